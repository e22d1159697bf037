// `switchyard plan`'s workflow: reads, and only reads, what a blue/green deployment of the spec would
// find (its prerequisites, the listener, production's rule and the deployment it forwards to, the roles,
// the rule priorities free, production's record), and returns the changes the deployment would make
// (src/shared/plan.ts). Nothing is written.
import { ApplicationFailure } from '@temporalio/workflow';
import type { DeploymentSpec } from '../shared/deployment';
import { resourceNames } from '../shared/naming';
import { planBlueGreen, type DeploymentPlan, type LiveState } from '../shared/plan';
import { aliasesTo, describeRecords } from '../shared/records';
import { alarmsOf, trafficPlanOf } from '../shared/traffic';
import { readLiveDeployment } from './blue-green/prerequisites';
import { aws } from './common/activities';
import { describeMissing, lookUpPrerequisites } from './common/prerequisites';

export async function planDeployment(input: { spec: DeploymentSpec }): Promise<DeploymentPlan> {
  const { spec } = input;
  const plan = { service: spec.service, environment: spec.environment, image: spec.image, notPreviewed: [] };
  const found = await lookUpPrerequisites(aws, {
    cluster: spec.cluster,
    loadBalancer: spec.loadBalancer.name,
    hostedZone: spec.hostedZone,
    capacityProviders: (spec.capacityProviderStrategy ?? []).map((p) => p.capacityProvider),
    alarms: alarmsOf(trafficPlanOf(spec)),
  });
  const { loadBalancer: lb, zone } = found;
  const missing = describeMissing(found, spec.cluster);
  if (missing.length || !lb || !zone)
    return { ...plan, live: 'unknown', changes: [], refused: `not found: ${missing.join(', ')}` };

  const listenerArn = await aws.findListener({ loadBalancerArn: lb.arn, port: spec.loadBalancer.listenerPort });
  let live: Awaited<ReturnType<typeof readLiveDeployment>> = {};
  try {
    if (listenerArn) live = await readLiveDeployment(spec, listenerArn);
  } catch (err) {
    if (err instanceof ApplicationFailure) return { ...plan, live: 'unknown', changes: [], refused: err.message };
    throw err;
  }
  const names = resourceNames(spec, 'x');
  const [priorities, taskRole, executionRole, records] = await Promise.all([
    aws.planRulePriorities({
      listenerArn,
      hosts: [
        { host: spec.hosts.stage },
        ...(live.rule ? [] : [{ host: spec.hosts.production, rule: spec.productionRule }]),
      ],
    }),
    aws.findRole({ name: names.taskRole }),
    aws.findRole({ name: names.executionRole }),
    aws.recordsAt({ zoneId: zone.id, name: spec.hosts.production }),
  ]);
  const elsewhere = records.filter((r) => !aliasesTo(r, lb.dnsName));
  const { previous, rule } = live;
  const targetGroupName = (arn: string) => /:targetgroup\/([^/]+)\//.exec(arn)?.[1] ?? arn;
  const state: LiveState = {
    listenerExists: listenerArn !== undefined,
    productionRule: rule && {
      priority: rule.priority,
      targets: rule.targets.map((t) => ({ targetGroup: targetGroupName(t.targetGroupArn), weight: t.weight })),
    },
    previous: previous && {
      deploymentId: previous.deploymentId,
      targetGroup: targetGroupName(previous.targetGroupArn),
      serviceName: previous.serviceName,
      taskDefinition: previous.taskDefinitionArn?.split(':task-definition/')[1],
      desiredCount: previous.tasks,
    },
    stageRule: priorities[0],
    productionRulePriority: priorities[1],
    missingRoles: [taskRole ? undefined : names.taskRole, executionRole ? undefined : names.executionRole].filter(
      (r): r is string => r !== undefined,
    ),
    productionRecord: elsewhere.length
      ? { elsewhere: describeRecords(elsewhere), types: elsewhere.map((r) => r.Type ?? '?') }
      : records.length
        ? 'alias'
        : 'none',
  };
  const liveNow = previous
    ? `${spec.hosts.production} forwards to ${previous.deploymentId} (${state.previous!.targetGroup})`
    : `nothing: ${spec.hosts.production} has no rule forwarding on listener port ${spec.loadBalancer.listenerPort}`;
  return { ...plan, live: liveNow, ...planBlueGreen(spec, state) };
}
