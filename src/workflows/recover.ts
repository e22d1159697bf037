// Recovery of a deployment whose workflow can no longer make progress (a non-determinism error, a
// poisoned task). `switchyard recover` ends that workflow and runs this one under the service's own
// workflow id, so no deployment of the service can start while it runs. What to do is read from AWS,
// never from the stuck workflow:
// - production goes to 100% on the last known-good deployment: one that can serve (its ECS service
//   ACTIVE with every desired task running, its targets healthy, or registered and unused when no rule
//   forwards to them), the one production weights most; among several with no weight, none is guessed;
// - if none qualifies and the stuck deployment holds all of production and can serve, it stays;
// - with no production rule at all (a first deployment that never went live), there is nothing to restore;
// - otherwise production is left exactly as it is and nothing it forwards to is removed (the report
//   says what is left, and the CLI exits 1): recovery never raises the stuck deployment's weight and
//   never empties production;
// - then every other deployment tagged for the service and environment is removed.
import { ApplicationFailure, setCurrentDetails, sleep } from '@temporalio/workflow';
import type { HostRule, TaggedTargetGroup, WeightedTarget } from '../activities/elbv2';
import { isRolling, type DeploymentSpec, type RollingSpec } from '../shared/deployment';
import { formatDuration } from '../shared/duration';
import { resourceNames } from '../shared/naming';
import type { RecoveryInput, RecoveryReport } from '../shared/recovery';
import { percentOn } from '../shared/traffic';
import { aws, describeFailure, undo, waitOptions } from './common/activities';
import { failureTypes } from '../shared/failures';

interface Candidate {
  targetGroupArn: string;
  /** Undefined: a target group Switchyard did not create (an adopted, unmanaged production). */
  deploymentId?: string;
  weight: number;
  serves: boolean;
}

export async function recoverDeployment(input: RecoveryInput): Promise<RecoveryReport> {
  const report: RecoveryReport = { deploymentId: input.deploymentId, production: 'left', actions: [], leftovers: [] };
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
  // Attempts of the ended workflow's activities may still run (terminating a workflow does not stop
  // them): let them finish before reading what AWS has.
  if (input.settleMs) {
    did(`waited ${formatDuration(input.settleMs)} for the ended workflow's running activities`);
    await sleep(input.settleMs, { summary: 'let the ended workflow’s activities finish' });
  }
  if (isRolling(input.spec)) await recoverRolling(input.spec);
  else await recoverBlueGreen(input.spec);
  return report;

  async function recoverBlueGreen(spec: DeploymentSpec): Promise<void> {
    const lb = await aws.findLoadBalancer({ loadBalancer: spec.loadBalancer.name });
    const listenerArn = lb && (await aws.findListener({ loadBalancerArn: lb.arn, port: spec.loadBalancer.listenerPort }));
    const groups = await aws.findTaggedTargetGroups({ service: spec.service, environment: spec.environment });
    const rule = listenerArn ? await aws.findHostRule({ listenerArn, host: spec.hosts.production }) : undefined;
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
        throw ApplicationFailure.nonRetryable(`the production rule reads back ${JSON.stringify(after.targets)}, not all on ${nameOf(knownGood)}`, failureTypes.trafficNotVerified);
      }
      did(`production ${spec.hosts.production}: 100% on ${nameOf(knownGood)} (read back)`);
      report.production = 'restored';
      live = knownGood;
    } else if (stuck?.serves && stuck.weight > 0 && rule && percentOn(stuck.targetGroupArn, rule.targets) === 100) {
      did(`production ${spec.hosts.production}: stays on ${input.deploymentId}, which holds all of it and serves; nothing else can`);
      report.production = 'kept';
      live = stuck;
    } else if (!rule) {
      did(`production ${spec.hosts.production}: no rule forwards it, so nothing was live to restore`);
      report.production = 'none';
    } else {
      const why = unweighted.length > 1 ? `${unweighted.length} deployments could take it (${unweighted.map(nameOf).join(', ')}) and none has weight: not guessing` : 'nothing else can serve it';
      report.leftovers.push(`production ${spec.hosts.production} left as it was (${JSON.stringify(rule?.targets ?? [])}): ${why}`);
    }
    report.live = live && nameOf(live);

    if (listenerArn) await remove(`stage rule ${spec.hosts.stage}`, () => undo.deleteHostRule({ listenerArn, host: spec.hosts.stage }));
    const zone = await aws.findHostedZone({ name: spec.hostedZone });
    if (zone) await remove(`stage DNS record ${spec.hosts.stage}`, () => undo.deleteRecord({ zoneId: zone.id, name: spec.hosts.stage }));

    // Every deployment production does not forward to any more: the stuck one (whatever of it exists)
    // and any other's remains. What production still forwards to stays.
    const forwarded = new Set((live ? [live.targetGroupArn] : (rule?.targets ?? []).filter((t) => t.weight > 0).map((t) => t.targetGroupArn)));
    const kept = new Set(groups.filter((g) => forwarded.has(g.arn)).map((g) => g.deploymentId));
    const doomed = new Set([input.deploymentId, ...groups.map((g) => g.deploymentId)].filter((id) => !kept.has(id)));
    for (const id of doomed) await removeDeployment(spec, id);
    for (const id of kept) if (id !== live?.deploymentId) report.leftovers.push(`deployment ${id}: production still forwards to it`);
  }

  /** Every target group production forwards to or Switchyard tagged for the service, and whether it can serve. */
  async function assess(spec: DeploymentSpec, groups: TaggedTargetGroup[], rule: HostRule | undefined): Promise<Candidate[]> {
    const weightOf = (arn: string) => rule?.targets.find((t) => t.targetGroupArn === arn)?.weight ?? 0;
    const unmanaged = (rule?.targets ?? []).filter((t) => !groups.some((g) => g.arn === t.targetGroupArn));
    const candidates: Candidate[] = [];
    for (const group of groups) {
      const weight = weightOf(group.arn);
      const service = await aws.findService({ cluster: spec.cluster, name: resourceNames(spec, group.deploymentId).ecsService });
      const health = await aws.countTargetHealth({ targetGroupArn: group.arn });
      const running = service?.status === 'ACTIVE' && service.desiredCount > 0 && service.runningCount >= service.desiredCount;
      // A group no rule forwards to is not health-checked (its targets are `unused`): registered counts.
      const checked = health.healthy > 0 || (weight === 0 && health.unused > 0);
      candidates.push({ targetGroupArn: group.arn, deploymentId: group.deploymentId, weight, serves: running && checked });
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
  async function removeDeployment(spec: DeploymentSpec, deploymentId: string): Promise<void> {
    const names = resourceNames(spec, deploymentId);
    const service = await aws.findService({ cluster: spec.cluster, name: names.ecsService });
    if (service) await remove(`ECS service ${names.ecsService}`, () => undo.deleteService({ cluster: spec.cluster, name: names.ecsService }));
    // Its revision: the one its service ran, else the family's latest if this deployment registered it.
    await remove(`task definition revision of ${deploymentId}`, () =>
      undo.deregisterTaskDefinition(service ? { arn: service.taskDefinition } : { family: names.family, deploymentId }),
    );
    // Last: a target group cannot be deleted while a rule forwards to it.
    await remove(`target group ${names.targetGroup}`, () => undo.deleteTargetGroup({ name: names.targetGroup }));
  }

  async function recoverRolling(spec: RollingSpec): Promise<void> {
    const family = typeof spec.taskDefinition.family === 'string' ? spec.taskDefinition.family : resourceNames(spec, input.deploymentId).family;
    const service = await aws.describeRollout({ cluster: spec.cluster, name: spec.ecsService });
    if (!service) {
      report.leftovers.push(`ECS service ${spec.ecsService} not found: nothing serves`);
      return remove(`task definition revision of ${input.deploymentId}`, () => undo.deregisterTaskDefinition({ family, deploymentId: input.deploymentId }));
    }
    // The revision to go back to: the one Switchyard recorded as known good; on a first rolling update,
    // the one ECS is still replacing (the service's ACTIVE deployment beside the new PRIMARY).
    const knownGood = service.knownGood ?? service.deployments.find((d) => d.status === 'ACTIVE' && d.taskDefinition !== service.taskDefinition)?.taskDefinition;
    if (knownGood && (await aws.taskDefinitionStatus({ taskDefinition: knownGood })) === 'ACTIVE') {
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
      did(`${spec.ecsService} has no known-good revision to go back to: it stays on ${service.taskDefinition}`);
    }
    // The stuck deployment's revision goes, unless the service runs it.
    await remove(`task definition revision of ${input.deploymentId}`, () => undo.deregisterTaskDefinition({ family, deploymentId: input.deploymentId, keep: report.live }));
  }
}

function nameOf(c: Candidate): string {
  return c.deploymentId ?? `target group ${c.targetGroupArn}`;
}
