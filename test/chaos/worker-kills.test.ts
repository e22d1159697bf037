// Chaos: the worker is killed with SIGKILL at random moments across deployments (staging, gates, traffic
// steps, bakes, drain, teardown) and started again at once; every deployment must still reach its
// terminal state, with no leaked resource and no moment at which production sent traffic to something
// without a running service and healthy targets. Short in `npm test` (CHAOS_KILLS, default 4);
// `npm run chaos` kills at least 20 times.
import { connectClient, type TemporalSession } from '../../src/client';
import { startDeployment } from '../../src/deployment-client';
import { demoAccount } from '../../src/dev/demo';
import { seedAccount } from '../../src/dev/seed';
import { createActivities } from '../../src/activities';
import { destroyAwsClients, type AwsClients } from '../../src/aws/clients';
import type { DeploymentSpec, DeploymentStatus } from '../../src/shared/deployment';
import { statusQuery, testsPassedSignal } from '../../src/workflows/messages';
import { startCli, type LongRunningCli } from '../support/cli';
import { startE2eWorker, type E2eWorker } from '../support/e2e-worker';
import { findLeaks } from '../support/leak-checker';
import { observerClientsOnMoto, resetAws, servers } from '../support/servers';
import { watchTrafficSafety } from '../support/traffic-invariant';

const kills = Number(process.env.CHAOS_KILLS ?? 4);
const service = `ch${Date.now().toString(36).slice(-6)}`;
const environment = 'test';
const hosts = { production: `${service}.switchyard.test`, stage: `stage.${service}.switchyard.test` };

describe(`chaos: ${kills} worker kills (SIGKILL) across deployments`, () => {
  let worker: E2eWorker;
  let current: LongRunningCli;
  let clients: AwsClients;
  let session: TemporalSession;
  let listenerArn: string;
  let zoneId: string;

  beforeAll(async () => {
    await resetAws();
    clients = observerClientsOnMoto();
    await seedAccount(clients, demoAccount);
    const aws = createActivities(clients);
    listenerArn = await aws.ensureListener({ loadBalancerArn: (await aws.findLoadBalancer(demoAccount.loadBalancer))!.arn, port: 80 });
    zoneId = (await aws.findHostedZone(demoAccount.hostedZone))!.id;
    worker = await startE2eWorker('chaos');
    current = worker.worker;
    session = await connectClient({ address: servers.temporalAddress, namespace: 'default', taskQueue: worker.env.SWITCHYARD_TASK_QUEUE! });
  });

  afterAll(async () => {
    current?.child.kill('SIGINT');
    await current?.exited;
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
      steps: [{ kind: 'setWeight', percent: 10 }, { kind: 'bake', bake: { durationMs: 2_000, intervalMs: 1_000, failureLimit: 0, checks: { alarms: [], maxUnhealthyTargets: 0 } } }, { kind: 'setWeight', percent: 100 }],
      finalBake: { durationMs: 0, intervalMs: 1_000, failureLimit: 0, checks: { alarms: [] } },
    },
    drainMs: 2_000,
  };

  async function killAndRestart(): Promise<void> {
    current.child.kill('SIGKILL');
    await current.exited;
    current = startCli(['worker'], worker.env);
    await current.waitForOutput(/worker polling task queue/);
  }

  /** The status, once a worker answers the query (none does while it is being restarted). */
  async function statusOf(handle: Awaited<ReturnType<typeof startDeployment>>['handle']): Promise<DeploymentStatus> {
    for (;;) {
      const status = await handle.query(statusQuery).catch(() => undefined);
      if (status) return status;
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  it('every deployment ends active, with no leak and no unsafe traffic moment', async () => {
    const watch = watchTrafficSafety(clients, { service, environment, cluster: demoAccount.cluster, listenerArn, productionHost: hosts.production }, 100);
    let killed = 0;
    let live: string | undefined;
    const outcomes: string[] = [];
    for (let round = 0; killed < kills; round++) {
      const { deploymentId, handle } = await startDeployment(session, { address: servers.temporalAddress, namespace: 'default', taskQueue: worker.env.SWITCHYARD_TASK_QUEUE! }, { ...spec, image: `nginx:${round + 2}` }, 'chaos');
      const result = handle.result();
      let done = false;
      void result.finally(() => (done = true)).catch(() => undefined);
      // Kill the worker one to three times per deployment, at random moments, answering the tests gate between.
      const killsHere = Math.min(kills - killed, 1 + Math.floor(Math.random() * 3));
      for (let k = 0; k < killsHere && !done; k++) {
        await new Promise((r) => setTimeout(r, 300 + Math.random() * 3_000));
        if (done) break;
        await killAndRestart();
        killed += 1;
        const status = await Promise.race([statusOf(handle), result.then(() => undefined)]);
        if (status?.phase === 'awaiting_tests') await handle.signal(testsPassedSignal, { by: 'chaos' });
      }
      // Answer the gate if it is still waiting (signals are stored even while no worker runs).
      while (!done) {
        const status = await Promise.race([statusOf(handle), result.then(() => undefined)]);
        if (status?.phase === 'awaiting_tests') await handle.signal(testsPassedSignal, { by: 'chaos' });
        await new Promise((r) => setTimeout(r, 300));
      }
      const outcome = await result;
      outcomes.push(`${deploymentId}: ${outcome.phase}${outcome.reason ? ` (${outcome.reason})` : ''}`);
      expect(outcome).toMatchObject({ phase: 'active', leftovers: [] });
      live = deploymentId;
      expect(await findLeaks(clients, { service, environment, cluster: demoAccount.cluster, listenerArn, zoneId, hosts, live })).toEqual([]);
    }
    const { violations, checks } = await watch.stop();
    process.stdout.write(`chaos: ${killed} kills over ${outcomes.length} deployments, ${checks} traffic checks, ${violations.length} violations\n${outcomes.join('\n')}\n`);
    expect(violations).toEqual([]);
    expect(live).toBeDefined();
  }, 30 * 60_000);
});
