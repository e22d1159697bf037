// Chaos: deployments while 20% of AWS calls fail through the behaviour proxy (throttling, 5xx, latency,
// connections dropped after the work was done). Every deployment must end active with nothing duplicated
// or left behind, production never unsafe; the calls made and the faults met are counted and printed.
// Short in `npm test` (CHAOS_FAULT_DEPLOYMENTS, default 2); `npm run chaos` runs more.
import fs from 'node:fs';
import { policyFile } from '../../scripts/worker-policy';
import { connectClient, type TemporalSession } from '../../src/client';
import { startDeployment } from '../../src/deployment-client';
import { createActivities } from '../../src/activities';
import { destroyAwsClients, type AwsClients } from '../../src/aws/clients';
import { controlPath, type ProxyStats } from '../../src/dev/aws-behaviour-proxy';
import { demoAccount } from '../../src/dev/demo';
import { seedAccount } from '../../src/dev/seed';
import type { DeploymentSpec } from '../../src/shared/deployment';
import { statusQuery, testsPassedSignal } from '../../src/workflows/messages';
import { startE2eWorker, type E2eWorker } from '../support/e2e-worker';
import { findLeaks } from '../support/leak-checker';
import { observerClientsOnMoto, resetAws, servers, setAwsScenario } from '../support/servers';
import { watchTrafficSafety } from '../support/traffic-invariant';

const deployments = Number(process.env.CHAOS_FAULT_DEPLOYMENTS ?? 2);
const service = `fa${Date.now().toString(36).slice(-6)}`;
const environment = 'test';
const hosts = { production: `${service}.switchyard.test`, stage: `stage.${service}.switchyard.test` };

async function stats(): Promise<ProxyStats> {
  return (await fetch(`${servers.awsEndpoint}${controlPath}/stats`)).json() as Promise<ProxyStats>;
}
const iamPrefixes: Record<string, string> = { ECS: 'ecs', ELBv2: 'elasticloadbalancing', Route53: 'route53', CloudWatch: 'cloudwatch', IAM: 'iam' };
/** "ELBv2.ModifyRule" (the proxy's name of a call) → "elasticloadbalancing:ModifyRule". */
const iamAction = (operation: string) => `${iamPrefixes[operation.split('.')[0]] ?? operation.split('.')[0]}:${operation.split('.')[1]}`;
const total = (counts: Record<string, number | undefined>) => Object.values(counts).reduce<number>((a, b) => a + (b ?? 0), 0);

describe(`chaos: ${deployments} deployments with 20% of AWS calls failing`, () => {
  let worker: E2eWorker;
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
    worker = await startE2eWorker('faults');
    session = await connectClient({ address: servers.temporalAddress, namespace: 'default', taskQueue: worker.env.SWITCHYARD_TASK_QUEUE! });
  });

  afterAll(async () => {
    await setAwsScenario({});
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
      steps: [{ kind: 'setWeight', percent: 20 }, { kind: 'bake', bake: { durationMs: 2_000, intervalMs: 1_000, failureLimit: 1, checks: { alarms: [], maxUnhealthyTargets: 0 } } }, { kind: 'setWeight', percent: 100 }],
      finalBake: { durationMs: 0, intervalMs: 1_000, failureLimit: 0, checks: { alarms: [] } },
    },
    drainMs: 1_000,
  };

  it('every deployment ends active with no leak, no duplicate and no unsafe traffic moment', async () => {
    const watch = watchTrafficSafety(clients, { service, environment, cluster: demoAccount.cluster, listenerArn, productionHost: hosts.production }, 100);
    await setAwsScenario({ faults: { rate: 0.2, latencyMs: 300 } });
    const before = await stats();
    const lines: string[] = [];
    for (let i = 0; i < deployments; i++) {
      const { deploymentId, handle } = await startDeployment(session, { address: servers.temporalAddress, namespace: 'default', taskQueue: worker.env.SWITCHYARD_TASK_QUEUE! }, { ...spec, image: `nginx:${i + 2}` }, 'chaos');
      const result = handle.result();
      let done = false;
      void result.finally(() => (done = true)).catch(() => undefined);
      while (!done) {
        const status = await handle.query(statusQuery).catch(() => undefined);
        if (status?.phase === 'awaiting_tests') await handle.signal(testsPassedSignal, { by: 'chaos' }).catch(() => undefined);
        await new Promise((r) => setTimeout(r, 300));
      }
      const outcome = await result;
      lines.push(`${deploymentId}: ${outcome.phase}${outcome.reason ? ` (${outcome.reason})` : ''}`);
      expect(outcome).toMatchObject({ phase: 'active', leftovers: [] });
      expect(await findLeaks(clients, { service, environment, cluster: demoAccount.cluster, listenerArn, zoneId, hosts, live: deploymentId })).toEqual([]);
    }
    const after = await stats();
    await setAwsScenario({});
    const calls = total(after.calls) - total(before.calls);
    const faults = { ...after.faults };
    const { violations, checks } = await watch.stop();
    process.stdout.write(`faults: ${deployments} deployments, ${calls} AWS calls (${Math.round(calls / deployments)} a deployment), faults ${JSON.stringify(faults)}, ${checks} traffic checks, ${violations.length} violations\n${lines.join('\n')}\n`);
    expect(total(faults)).toBeGreaterThan(0);
    expect(violations).toEqual([]);
    // Everything the worker sent is allowed by the worker's IAM policy (examples/iam/worker-policy.json).
    const allowed = new Set((JSON.parse(fs.readFileSync(policyFile, 'utf8')) as { Statement: { Action: string[] }[] }).Statement.flatMap((st) => st.Action));
    const sent = Object.keys(after.calls).map(iamAction);
    expect(sent.filter((action) => !allowed.has(action))).toEqual([]);
    expect(sent).toEqual(expect.arrayContaining(['ecs:CreateService', 'elasticloadbalancing:ModifyRule', 'route53:ChangeResourceRecordSets', 'iam:CreateRole']));
  }, 20 * 60_000);
});
