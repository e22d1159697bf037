// What a deployment needs before it creates anything, looked up once for every caller: the preflight
// workflow reports each check, and a deployment refuses to start (invalid input) on any it fails. The
// same activities in the same order for both (three lookups side by side, then the alarms).
import type { ClusterSummary } from '../../activities/ecs';
import type { LoadBalancerSummary } from '../../activities/elbv2';
import type { HostedZoneSummary } from '../../activities/route53';
import type { PreflightCheck, PreflightInput } from '../../shared/preflight';
import type { aws as awsProxy } from './activities';

export interface Prerequisites {
  cluster?: ClusterSummary;
  loadBalancer?: LoadBalancerSummary;
  zone?: HostedZoneSummary;
  checks: PreflightCheck[];
}

/** `aws`: the activity proxy to look up with (the preflight's retries less than a deployment's). */
export async function lookUpPrerequisites(
  aws: Pick<typeof awsProxy, 'findCluster' | 'findLoadBalancer' | 'findHostedZone' | 'describeAlarmStates'>,
  input: PreflightInput,
): Promise<Prerequisites> {
  const [cluster, loadBalancer, zone] = await Promise.all([
    aws.findCluster({ cluster: input.cluster }),
    aws.findLoadBalancer({ loadBalancer: input.loadBalancer }),
    aws.findHostedZone({ name: input.hostedZone }),
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
      detail: cluster
        ? `cluster has ${associated.length ? associated.join(', ') : 'no capacity providers'}`
        : 'no cluster',
    });
  }
  if (input.alarms?.length) {
    const states = await aws.describeAlarmStates({ alarmNames: input.alarms });
    for (const alarm of input.alarms)
      checks.push({ resource: 'alarm', name: alarm, ok: alarm in states, detail: states[alarm] ?? 'not found' });
  }
  return { cluster, loadBalancer, zone, checks };
}

/** How a deployment names what is missing, in this order (a provider only once the cluster exists; it ensures the listener itself). */
const missingOrder: PreflightCheck['resource'][] = [
  'cluster',
  'capacityProvider',
  'loadBalancer',
  'hostedZone',
  'alarm',
];

/** "ECS cluster main, load balancer edge": the failed checks, as a deployment refuses to start on them. */
export function describeMissing(found: Prerequisites, cluster: string): string[] {
  const failed = found.checks.filter((c) => !c.ok && (c.resource !== 'capacityProvider' || found.cluster));
  const phrase = (c: PreflightCheck): string => {
    switch (c.resource) {
      case 'cluster':
        return `ECS cluster ${c.name}`;
      case 'capacityProvider':
        return `capacity provider ${c.name} associated with cluster ${cluster}`;
      case 'loadBalancer':
        return `load balancer ${c.name}`;
      case 'hostedZone':
        return `hosted zone ${c.name}`;
      case 'alarm':
        return `CloudWatch alarm ${c.name}`;
      case 'listener':
        return `listener on ${c.name}`;
    }
  };
  return missingOrder.flatMap((resource) => failed.filter((c) => c.resource === resource).map(phrase));
}
