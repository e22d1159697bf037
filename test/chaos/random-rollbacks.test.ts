// Chaos: rollback requested at random moments of deployments, some at the same instant as the tests
// gate passes. Each deployment has exactly one outcome, and AWS agrees with it: active → production on
// the new deployment and nothing else left; rolled back → production on the previous one (or, for a
// first deployment, nothing at all). Short in `npm test` (CHAOS_ROLLBACKS, default 4).
import { connectClient, type TemporalSession } from '../../src/client';
import { createActivities } from '../../src/activities';
import { destroyAwsClients, type AwsClients } from '../../src/aws/clients';
import { startDeployment } from '../../src/deployment-client';
import { demoAccount } from '../../src/dev/demo';
import { seedAccount } from '../../src/dev/seed';
import type { DeploymentSpec } from '../../src/shared/deployment';
import { rollbackSignal, statusQuery, testsPassedSignal } from '../../src/workflows/messages';
import { startE2eWorker, type E2eWorker } from '../support/e2e-worker';
import { findLeaks } from '../support/leak-checker';
import { observerClientsOnMoto, resetAws, servers } from '../support/servers';
import { watchTrafficSafety } from '../support/traffic-invariant';

const rounds = Number(process.env.CHAOS_ROLLBACKS ?? 4);
const service = `rr${Date.now().toString(36).slice(-6)}`;
const environment = 'test';
const hosts = { production: `${service}.switchyard.test`, stage: `stage.${service}.switchyard.test` };

describe(`chaos: ${rounds} rollbacks at random moments`, () => {
  let worker: E2eWorker;
  let clients: AwsClients;
  let session: TemporalSession;

  beforeAll(async () => {
    await resetAws();
    clients = observerClientsOnMoto();
    await seedAccount(clients, demoAccount);
    worker = await startE2eWorker('rollbacks');
    session = await connectClient({ address: servers.temporalAddress, namespace: 'default', taskQueue: worker.env.SWITCHYARD_TASK_QUEUE! });
  });
  afterAll(async () => {
    await worker?.stop();
    await session?.close();
    destroyAwsClients(clients);
  });

  const spec: DeploymentSpec = {
    strategy: 'blueGreen', service, environment, cluster: demoAccount.cluster,
    taskDefinition: { containerDefinitions: [{ name: 'web', image: 'nginx:1', memory: 128 }] }, image: 'nginx:1',
    container: { name: 'web', port: 80 }, desiredCount: 2, loadBalancer: { name: demoAccount.loadBalancer, listenerPort: 80 },
    hosts, hostedZone: demoAccount.hostedZone,
    healthCheck: { path: '/', intervalSeconds: 10, timeoutSeconds: 5, healthyThreshold: 2, unhealthyThreshold: 3, matcher: '200' },
    timeouts: { steadyMs: 120_000, testsMs: 600_000 }, approval: { required: false, timeoutMs: 600_000, onTimeout: 'rollback' },
    traffic: {
      name: 'steps',
      steps: [{ kind: 'setWeight', percent: 30 }, { kind: 'bake', bake: { durationMs: 1_500, intervalMs: 500, failureLimit: 0, checks: { alarms: [], maxUnhealthyTargets: 0 } } }, { kind: 'setWeight', percent: 100 }],
      finalBake: { durationMs: 1_000, intervalMs: 500, failureLimit: 0, checks: { alarms: [] } },
    },
    drainMs: 1_500,
  };

  it('each deployment has one outcome, and the account agrees with it', async () => {
    const aws = createActivities(clients);
    const listenerArn = await aws.ensureListener({ loadBalancerArn: (await aws.findLoadBalancer(demoAccount.loadBalancer))!.arn, port: 80 });
    const zoneId = (await aws.findHostedZone(demoAccount.hostedZone))!.id;
    const watch = watchTrafficSafety(clients, { service, environment, cluster: demoAccount.cluster, listenerArn, productionHost: hosts.production }, 100);
    const temporal = { address: servers.temporalAddress, namespace: 'default', taskQueue: worker.env.SWITCHYARD_TASK_QUEUE! };
    let live: string | undefined;
    const outcomes: string[] = [];
    for (let round = 0; round < rounds; round++) {
      const { deploymentId, handle } = await startDeployment(session, temporal, { ...spec, image: `nginx:${round + 2}` }, 'chaos');
      for (let n = 0; n < 600 && (await handle.query(statusQuery)).phase !== 'awaiting_tests'; n++) await new Promise((r) => setTimeout(r, 50));
      // Half the rounds: rollback at the very moment the gate passes; the others: at a random moment after.
      const together = round % 2 === 0;
      await Promise.all([
        handle.signal(testsPassedSignal, { by: 'ci' }),
        (async () => {
          if (!together) await new Promise((r) => setTimeout(r, Math.random() * 7_000));
          await handle.signal(rollbackSignal, { by: 'chaos' }).catch(() => undefined);
        })(),
      ]);
      const result = await handle.result();
      const status = await handle.query(statusQuery);
      outcomes.push(`${deploymentId}: ${result.phase}${together ? ' (rollback with the gate)' : ''}, ${status.history.filter((h) => /^(ignored rollback|rollback requested)/.test(h.note)).map((h) => h.note).join('; ')}`);
      // A rollback the deployment accepted is binding; one it ignored (teardown had begun) is not.
      const accepted = status.history.some((h) => h.note.startsWith('rollback requested by'));
      expect(result.phase).toBe(accepted ? 'rolled_back' : 'active');
      if (result.phase === 'active') live = deploymentId;
      expect(await findLeaks(clients, { service, environment, cluster: demoAccount.cluster, listenerArn, zoneId, hosts, live })).toEqual([]);
    }
    const { violations, checks } = await watch.stop();
    process.stdout.write(`rollbacks: ${rounds} deployments, ${outcomes.filter((o) => o.includes('rolled_back')).length} rolled back, ${checks} traffic checks, ${violations.length} violations\n${outcomes.join('\n')}\n`);
    expect(violations).toEqual([]);
  }, 20 * 60_000);
});
