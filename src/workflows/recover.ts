// Recovery of a deployment whose workflow can no longer make progress (a non-determinism error, a
// poisoned task): `switchyard recover` ends that workflow, then runs this one. What to do is read from
// AWS, never from the stuck workflow: production goes back to the last deployment that can serve it (an
// ACTIVE service with running tasks and a healthy target; for a rolling update, the known-good
// revision), and everything else tagged for the service and environment is removed, as the leak
// checker would find it. Production is never pointed at something that cannot serve, and never emptied
// while something can.
import { ApplicationFailure, setCurrentDetails } from '@temporalio/workflow';
import type { TaggedTargetGroup, WeightedTarget } from '../activities/elbv2';
import { isRolling, type DeploymentSpec, type RollingSpec } from '../shared/deployment';
import { deploymentTags, resourceNames } from '../shared/naming';
import type { RecoveryInput, RecoveryReport } from '../shared/recovery';
import { percentOn } from '../shared/traffic';
import { aws, describeFailure, waitOptions } from './common/activities';

export async function recoverDeployment(input: RecoveryInput): Promise<RecoveryReport> {
  const report: RecoveryReport = { deploymentId: input.deploymentId, production: 'none', actions: [], leftovers: [] };
  const did = (line: string) => {
    report.actions.push(line);
    setCurrentDetails(`recovering **${input.spec.service}/${input.spec.environment}** deployment \`${input.deploymentId}\`\n\n${report.actions.join('\n\n')}`);
  };
  /** A removal (idempotent: already gone is fine) that fails is reported, and the others still run. */
  const remove = async (what: string, run: () => Promise<unknown>) => {
    try {
      await run();
      did(`gone: ${what}`);
    } catch (err) {
      report.leftovers.push(`${what} (${describeFailure(err)})`);
    }
  };
  if (isRolling(input.spec)) await recoverRolling(input.spec);
  else await recoverBlueGreen(input.spec);
  return report;

  async function recoverBlueGreen(spec: DeploymentSpec): Promise<void> {
    const lb = await aws.findLoadBalancer(spec.loadBalancer.name);
    const listenerArn = lb && (await aws.findListener({ loadBalancerArn: lb.arn, port: spec.loadBalancer.listenerPort }));
    const groups = await aws.findTaggedTargetGroups({ service: spec.service, environment: spec.environment });
    const rule = listenerArn ? await aws.findHostRule({ listenerArn, host: spec.hosts.production }) : undefined;
    const weightOn = (group: TaggedTargetGroup) => rule?.targets.find((t) => t.targetGroupArn === group.arn)?.weight ?? 0;

    // Who can serve: an ACTIVE service with running tasks behind a target group with a healthy target.
    const serving: { group: TaggedTargetGroup; healthy: number }[] = [];
    for (const group of groups) {
      const service = await aws.findService({ cluster: spec.cluster, name: resourceNames(spec, group.deploymentId).ecsService });
      const { healthy } = await aws.countTargetHealth(group.arn);
      if (service?.status === 'ACTIVE' && service.runningCount > 0 && healthy > 0) serving.push({ group, healthy });
    }
    // The last known good: another deployment that can serve (the one production weights most). Failing
    // that, the stuck one, if it serves production now.
    const others = serving.filter((s) => s.group.deploymentId !== input.deploymentId).sort((a, b) => weightOn(b.group) - weightOn(a.group) || b.healthy - a.healthy);
    const stuck = serving.find((s) => s.group.deploymentId === input.deploymentId && weightOn(s.group) > 0);
    const live = (others[0] ?? stuck)?.group;

    if (live && listenerArn) {
      if (!rule || percentOn(live.arn, rule.targets) !== 100 || rule.targets.length !== 1) {
        const targets: WeightedTarget[] = [{ targetGroupArn: live.arn, weight: 100 }];
        const after = rule
          ? await aws.setRuleTargets({ ruleArn: rule.ruleArn, targets })
          : await aws.putHostRule({ listenerArn, host: spec.hosts.production, targets, tags: deploymentTags(spec, live.deploymentId) });
        if (percentOn(live.arn, after.targets) !== 100) {
          throw ApplicationFailure.nonRetryable(`the production rule reads back ${JSON.stringify(after.targets)}, not all on ${live.deploymentId}`, 'TrafficNotVerified');
        }
        did(`production ${spec.hosts.production}: 100% on ${live.deploymentId} (read back)`);
      }
      report.production = live.deploymentId === input.deploymentId ? 'kept' : 'restored';
      report.live = live.deploymentId;
    } else if (rule && listenerArn) {
      // Nothing can serve. A rule that forwards only to Switchyard's groups goes with them (as a first
      // deployment's rollback removes it); one that forwards elsewhere too is not ours to remove.
      const ours = new Set(groups.map((g) => g.arn));
      if (rule.targets.every((t) => ours.has(t.targetGroupArn))) await remove(`production rule ${spec.hosts.production} (nothing can serve it)`, () => aws.deleteHostRule({ listenerArn, host: spec.hosts.production }));
      else report.leftovers.push(`production rule ${spec.hosts.production}: forwards to target groups Switchyard did not create`);
    }

    if (listenerArn) await remove(`stage rule ${spec.hosts.stage}`, () => aws.deleteHostRule({ listenerArn, host: spec.hosts.stage }));
    const zone = await aws.findHostedZone(spec.hostedZone);
    if (zone) await remove(`stage DNS record ${spec.hosts.stage}`, () => aws.deleteRecord({ zoneId: zone.id, name: spec.hosts.stage }));

    // Every deployment but the live one: the stuck one (whatever of it exists) and any other's remains.
    const doomed = new Set([input.deploymentId, ...groups.map((g) => g.deploymentId)]);
    if (live) doomed.delete(live.deploymentId);
    for (const id of doomed) await removeDeployment(spec, id);
  }

  async function removeDeployment(spec: DeploymentSpec, deploymentId: string): Promise<void> {
    const names = resourceNames(spec, deploymentId);
    const service = await aws.findService({ cluster: spec.cluster, name: names.ecsService });
    if (service) await remove(`ECS service ${names.ecsService}`, () => aws.deleteService({ cluster: spec.cluster, name: names.ecsService }));
    // Its revision: the one its service ran, else the family's latest if this deployment registered it.
    await remove(`task definition revision of ${deploymentId}`, () =>
      aws.deregisterTaskDefinition(service ? { arn: service.taskDefinition } : { family: names.family, deploymentId }),
    );
    // Last: a target group cannot be deleted while a rule forwards to it.
    await remove(`target group ${names.targetGroup}`, () => aws.deleteTargetGroup({ name: names.targetGroup }));
  }

  async function recoverRolling(spec: RollingSpec): Promise<void> {
    const family = typeof spec.taskDefinition.family === 'string' ? spec.taskDefinition.family : resourceNames(spec, input.deploymentId).family;
    const service = await aws.describeRollout({ cluster: spec.cluster, name: spec.ecsService });
    if (!service) {
      did(`ECS service ${spec.ecsService} not found: nothing serves, nothing to restore`);
      return remove(`task definition revision of ${input.deploymentId}`, () => aws.deregisterTaskDefinition({ family, deploymentId: input.deploymentId }));
    }
    // The revision to go back to: the one Switchyard recorded as known good; on a first rolling update,
    // the one ECS is still replacing (the service's ACTIVE deployment beside the new PRIMARY).
    const knownGood = service.knownGood ?? service.deployments.find((d) => d.status === 'ACTIVE' && d.taskDefinition !== service.taskDefinition)?.taskDefinition;
    if (knownGood && (await aws.taskDefinitionStatus(knownGood)) === 'ACTIVE') {
      if (service.taskDefinition !== knownGood || service.deployments.length !== 1) {
        await aws.updateServiceRevision({ cluster: spec.cluster, name: spec.ecsService, taskDefinitionArn: knownGood });
        await aws.waitForRollout.executeWithOptions(waitOptions(spec.timeouts.steadyMs, `wait for ${spec.ecsService} to run ${knownGood}`), [
          { cluster: spec.cluster, name: spec.ecsService, taskDefinitionArn: knownGood, deadline: Date.now() + spec.timeouts.steadyMs, intervalMs: input.pollIntervalMs ?? 5_000 },
        ]);
        did(`${spec.ecsService} rolled back to its known-good revision ${knownGood}`);
      }
      report.production = 'restored';
      report.live = knownGood;
    } else {
      report.production = 'kept';
      report.live = service.taskDefinition;
      did(`${spec.ecsService} has no known-good revision to go back to: left on ${service.taskDefinition}`);
    }
    // The stuck deployment's revision goes, unless the service runs it.
    await remove(`task definition revision of ${input.deploymentId}`, () => aws.deregisterTaskDefinition({ family, deploymentId: input.deploymentId, keep: report.live }));
  }
}
