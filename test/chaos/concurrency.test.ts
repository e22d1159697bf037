// Many deployments at once on one worker: CHAOS_CONCURRENT (default 20) services deploy together and all
// go live, each with nothing left behind. (Two deployments of the same service: test/e2e/deploy.test.ts.)
import { connectClient, type TemporalSession } from '../../src/client';
import { createActivities } from '../../src/activities';
import { destroyAwsClients, type AwsClients } from '../../src/aws/clients';
import { startDeployment } from '../../src/deployment-client';
import { demoAccount } from '../../src/dev/demo';
import { seedAccount } from '../../src/dev/seed';
import type { DeploymentSpec } from '../../src/shared/deployment';
import { statusQuery, testsPassedSignal } from '../../src/workflows/messages';
import { startE2eWorker, type E2eWorker } from '../support/e2e-worker';
import { findLeaks } from '../support/leak-checker';
import { observerClientsOnMoto, resetAws, servers } from '../support/servers';

const count = Number(process.env.CHAOS_CONCURRENT ?? 20);
const prefix = `cc${Date.now().toString(36).slice(-5)}`;

describe(`concurrency: ${count} services deploying at once`, () => {
  let worker: E2eWorker;
  let clients: AwsClients;
  let session: TemporalSession;

  beforeAll(async () => {
    await resetAws();
    clients = observerClientsOnMoto();
    await seedAccount(clients, demoAccount);
    worker = await startE2eWorker('concurrency');
    session = await connectClient({ address: servers.temporalAddress, namespace: 'default', taskQueue: worker.env.SWITCHYARD_TASK_QUEUE! });
  });
  afterAll(async () => {
    await worker?.stop();
    await session?.close();
    destroyAwsClients(clients);
  });

  const specFor = (i: number): DeploymentSpec => {
    const service = `${prefix}-${i}`;
    return {
      strategy: 'blueGreen', service, environment: 'test', cluster: demoAccount.cluster,
      taskDefinition: { containerDefinitions: [{ name: 'web', image: 'nginx:1', memory: 128 }] }, image: 'nginx:2',
      container: { name: 'web', port: 80 }, desiredCount: 1, loadBalancer: { name: demoAccount.loadBalancer, listenerPort: 80 },
      hosts: { production: `${service}.switchyard.test`, stage: `stage.${service}.switchyard.test` }, hostedZone: demoAccount.hostedZone,
      healthCheck: { path: '/', intervalSeconds: 10, timeoutSeconds: 5, healthyThreshold: 2, unhealthyThreshold: 3, matcher: '200' },
      timeouts: { steadyMs: 300_000, testsMs: 600_000 }, approval: { required: false, timeoutMs: 600_000, onTimeout: 'rollback' },
      drainMs: 1_000,
    };
  };

  it('all of them go live, each with exactly its own resources', async () => {
    const temporal = { address: servers.temporalAddress, namespace: 'default', taskQueue: worker.env.SWITCHYARD_TASK_QUEUE! };
    const started = Date.now();
    const results = await Promise.all(
      Array.from({ length: count }, async (_, i) => {
        const { deploymentId, handle } = await startDeployment(session, temporal, specFor(i), 'concurrency');
        for (let n = 0; n < 1200; n++) {
          const status = await handle.query(statusQuery).catch(() => undefined);
          if (status?.phase === 'awaiting_tests') break;
          await new Promise((r) => setTimeout(r, 250));
        }
        await handle.signal(testsPassedSignal, { by: 'concurrency' });
        return { i, deploymentId, result: await handle.result() };
      }),
    );
    const elapsed = Date.now() - started;
    process.stdout.write(`concurrency: ${count} deployments on one worker in ${Math.round(elapsed / 1000)} s\n`);
    expect(results.map((r) => r.result.phase)).toEqual(Array(count).fill('active'));
    const aws = createActivities(clients);
    const listenerArn = await aws.ensureListener({ loadBalancerArn: (await aws.findLoadBalancer(demoAccount.loadBalancer))!.arn, port: 80 });
    const zoneId = (await aws.findHostedZone(demoAccount.hostedZone))!.id;
    for (const { i, deploymentId } of results) {
      const spec = specFor(i);
      expect(await findLeaks(clients, { service: spec.service, environment: 'test', cluster: demoAccount.cluster, listenerArn, zoneId, hosts: spec.hosts, live: deploymentId })).toEqual([]);
    }
  }, 15 * 60_000);
});
