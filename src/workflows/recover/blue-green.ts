// Recovery of a blue/green deployment (see ../recover.ts for the rules): production to the last
// known-good deployment that can serve, kept on the stuck one, or left as it is; then every deployment
// production no longer forwards to removed.
import { ApplicationFailure } from '@temporalio/workflow';
import type { HostRule, TaggedTargetGroup, WeightedTarget } from '../../activities/elbv2';
import type { DeploymentSpec } from '../../shared/deployment';
import { failureTypes } from '../../shared/failures';
import { resourceNames } from '../../shared/naming';
import { percentOn } from '../../shared/traffic';
import { aws, undo } from '../common/activities';
import type { Recovery } from './recovery';

interface Candidate {
  targetGroupArn: string;
  /** Undefined: a target group Switchyard did not create (an adopted, unmanaged production). */
  deploymentId?: string;
  weight: number;
  serves: boolean;
}

export async function recoverBlueGreen(rec: Recovery, spec: DeploymentSpec): Promise<void> {
  const { input, report, did } = rec;
  const lb = await aws.findLoadBalancer({ loadBalancer: spec.loadBalancer.name });
  const listenerArn = lb && (await aws.findListener({ loadBalancerArn: lb.arn, port: spec.loadBalancer.listenerPort }));
  const groups = await aws.findTaggedTargetGroups({ service: spec.service, environment: spec.environment });
  const rule = listenerArn
    ? await aws.findHostRule({ listenerArn, host: spec.hosts.production, rule: spec.productionRule })
    : undefined;
  const candidates = await assess(spec, groups, rule);
  const stuck = candidates.find((c) => c.deploymentId === input.deploymentId);
  const others = candidates.filter((c) => c !== stuck && c.serves);
  const weighted = others.filter((c) => c.weight > 0).sort((a, b) => b.weight - a.weight);
  const unweighted = others.filter((c) => c.weight === 0);
  const knownGood = weighted[0] ?? (unweighted.length === 1 ? unweighted[0] : undefined);

  let live: Candidate | undefined;
  if (knownGood && rule) {
    const targets: WeightedTarget[] = [{ targetGroupArn: knownGood.targetGroupArn, weight: 100 }];
    const after = await aws.setRuleTargets({ ruleArn: rule.ruleArn, targets });
    if (percentOn(knownGood.targetGroupArn, after.targets) !== 100) {
      throw ApplicationFailure.nonRetryable(
        `the production rule reads back ${JSON.stringify(after.targets)}, not all on ${nameOf(knownGood)}`,
        failureTypes.trafficNotVerified,
      );
    }
    did(`production ${spec.hosts.production}: 100% on ${nameOf(knownGood)} (read back)`);
    report.production = 'restored';
    live = knownGood;
  } else if (stuck?.serves && stuck.weight > 0 && rule && percentOn(stuck.targetGroupArn, rule.targets) === 100) {
    did(
      `production ${spec.hosts.production}: stays on ${input.deploymentId}, which holds all of it and serves; nothing else can`,
    );
    report.production = 'kept';
    live = stuck;
  } else if (!rule) {
    did(`production ${spec.hosts.production}: no rule forwards it, so nothing was live to restore`);
    report.production = 'none';
  } else {
    const why =
      unweighted.length > 1
        ? `${unweighted.length} deployments could take it (${unweighted.map(nameOf).join(', ')}) and none has weight: not guessing`
        : 'nothing else can serve it';
    report.leftovers.push(
      `production ${spec.hosts.production} left as it was (${JSON.stringify(rule?.targets ?? [])}): ${why}`,
    );
  }
  report.live = live && nameOf(live);

  if (listenerArn)
    await rec.remove(`stage rule ${spec.hosts.stage}`, () =>
      undo.deleteHostRule({ listenerArn, host: spec.hosts.stage }),
    );
  const zone = await aws.findHostedZone({ name: spec.hostedZone });
  if (zone)
    await rec.remove(`stage DNS record ${spec.hosts.stage}`, () =>
      undo.deleteRecord({ zoneId: zone.id, name: spec.hosts.stage }),
    );

  // Every deployment production does not forward to any more: the stuck one (whatever of it exists)
  // and any other's remains. What production still forwards to stays.
  const forwarded = new Set(
    live ? [live.targetGroupArn] : (rule?.targets ?? []).filter((t) => t.weight > 0).map((t) => t.targetGroupArn),
  );
  const kept = new Set(groups.filter((g) => forwarded.has(g.arn)).map((g) => g.deploymentId));
  const doomed = new Set([input.deploymentId, ...groups.map((g) => g.deploymentId)].filter((id) => !kept.has(id)));
  for (const id of doomed) await removeDeployment(rec, spec, id);
  for (const id of kept)
    if (id !== live?.deploymentId) report.leftovers.push(`deployment ${id}: production still forwards to it`);
}

/** Every target group production forwards to or Switchyard tagged for the service, and whether it can serve. */
async function assess(
  spec: DeploymentSpec,
  groups: TaggedTargetGroup[],
  rule: HostRule | undefined,
): Promise<Candidate[]> {
  const weightOf = (arn: string) => rule?.targets.find((t) => t.targetGroupArn === arn)?.weight ?? 0;
  const unmanaged = (rule?.targets ?? []).filter((t) => !groups.some((g) => g.arn === t.targetGroupArn));
  const candidates: Candidate[] = [];
  for (const group of groups) {
    const weight = weightOf(group.arn);
    const service = await aws.findService({
      cluster: spec.cluster,
      name: resourceNames(spec, group.deploymentId).ecsService,
    });
    const health = await aws.countTargetHealth({ targetGroupArn: group.arn });
    const running =
      service?.status === 'ACTIVE' && service.desiredCount > 0 && service.runningCount >= service.desiredCount;
    // A group no rule forwards to is not health-checked (its targets are `unused`): registered counts.
    const checked = health.healthy > 0 || (weight === 0 && health.unused > 0);
    candidates.push({
      targetGroupArn: group.arn,
      deploymentId: group.deploymentId,
      weight,
      serves: running && checked,
    });
  }
  for (const target of unmanaged) {
    const health = await aws.countTargetHealth({ targetGroupArn: target.targetGroupArn });
    candidates.push({ targetGroupArn: target.targetGroupArn, weight: target.weight, serves: health.healthy > 0 });
  }
  return candidates;
}

/**
 * Deliberately unlike blue/green's teardownPrevious, which removes what the deployment found in AWS
 * before staging: a stuck deployment's memory is lost, so this works from the names alone, each removal
 * retried as an undo and reported if it is left.
 */
async function removeDeployment(rec: Recovery, spec: DeploymentSpec, deploymentId: string): Promise<void> {
  const { remove } = rec;
  const names = resourceNames(spec, deploymentId);
  const service = await aws.findService({ cluster: spec.cluster, name: names.ecsService });
  if (service)
    await remove(`ECS service ${names.ecsService}`, () =>
      undo.deleteService({ cluster: spec.cluster, name: names.ecsService }),
    );
  // Its revision: the one its service ran, else the family's latest if this deployment registered it.
  await remove(`task definition revision of ${deploymentId}`, () =>
    undo.deregisterTaskDefinition(service ? { arn: service.taskDefinition } : { family: names.family, deploymentId }),
  );
  // Last: a target group cannot be deleted while a rule forwards to it.
  await remove(`target group ${names.targetGroup}`, () => undo.deleteTargetGroup({ name: names.targetGroup }));
}

function nameOf(c: Candidate): string {
  return c.deploymentId ?? `target group ${c.targetGroupArn}`;
}
