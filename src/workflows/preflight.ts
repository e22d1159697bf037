// Preflight: checks that what a deployment needs already exists (cluster, load balancer and listener,
// hosted zone, and the alarms and capacity providers it names) and reports every miss at once, before
// anything is created.
import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { PreflightCheck, PreflightInput, PreflightReport } from '../shared/preflight';

const aws = proxyActivities<Activities>({
  startToCloseTimeout: '30s',
  retry: { initialInterval: '1s', maximumInterval: '10s', maximumAttempts: 5 },
});

export async function preflight(input: PreflightInput): Promise<PreflightReport> {
  const [cluster, loadBalancer, zone] = await Promise.all([
    aws.findCluster(input.cluster),
    aws.findLoadBalancer(input.loadBalancer),
    aws.findHostedZone(input.hostedZone),
  ]);

  const checks: PreflightCheck[] = [
    {
      resource: 'cluster',
      name: input.cluster,
      ok: cluster?.status === 'ACTIVE',
      detail: cluster ? `status ${cluster.status}` : 'not found',
    },
    {
      resource: 'loadBalancer',
      name: input.loadBalancer,
      ok: loadBalancer !== undefined,
      detail: loadBalancer ? loadBalancer.dnsName : 'not found',
    },
  ];
  if (input.listenerPort !== undefined) {
    const ports = loadBalancer?.listenerPorts ?? [];
    checks.push({
      resource: 'listener',
      name: `port ${input.listenerPort}`,
      ok: ports.includes(input.listenerPort),
      detail: loadBalancer ? `listeners on ${ports.length ? ports.join(', ') : 'no port'}` : 'no load balancer',
    });
  }
  checks.push({
    resource: 'hostedZone',
    name: input.hostedZone,
    ok: zone !== undefined,
    detail: zone ? `zone ${zone.id}` : 'not found',
  });
  for (const provider of input.capacityProviders ?? []) {
    const associated = cluster?.capacityProviders ?? [];
    checks.push({
      resource: 'capacityProvider',
      name: provider,
      ok: associated.includes(provider),
      detail: cluster ? `cluster has ${associated.length ? associated.join(', ') : 'no capacity providers'}` : 'no cluster',
    });
  }
  if (input.alarms?.length) {
    const states = await aws.describeAlarmStates(input.alarms);
    for (const alarm of input.alarms) checks.push({ resource: 'alarm', name: alarm, ok: alarm in states, detail: states[alarm] ?? 'not found' });
  }
  return { ok: checks.every((c) => c.ok), checks };
}
