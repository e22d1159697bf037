// The end of a blue/green deployment: the drain (the previous deployment keeps serving what it has at
// weight 0; rollback stays instant), production read back as all on this deployment, then, past the point
// of no return, the previous deployment's service, revision and target group removed.
import { ApplicationFailure, patched, sleep } from '@temporalio/workflow';
import type { TrafficStatus } from '../../shared/deployment';
import { formatDuration } from '../../shared/duration';
import { percentOn } from '../../shared/traffic';
import { aws, productionRule } from '../common/activities';
import { sideBySide } from '../common/side-by-side';
import { localTrafficPath, verifyProductionBeforeTeardown } from '../patches';
import { holdForChangedRule } from './traffic';
import type { BlueGreenContext, Found, Staged } from './context';
import { failureTypes } from '../../shared/failures';

export async function drain(
  ctx: BlueGreenContext,
  found: Found,
  staged: Staged,
  traffic: TrafficStatus,
): Promise<void> {
  const { previous } = found;
  if (!previous) return;
  ctx.tracker.enter(
    'draining',
    `letting connections to ${previous.deploymentId} drain`,
    `the drain time (${formatDuration(ctx.spec.drainMs)}); rollback is instant until then`,
  );
  await sleep(ctx.spec.drainMs, { summary: `drain ${previous.deploymentId}` });
  if (found.adopting) await holdUntilProductionIsMine(ctx, found, staged, traffic);
  else if (patched(verifyProductionBeforeTeardown)) await verifyProductionIsMine(ctx, found, staged);
}

/**
 * Nothing is torn down on a rule Switchyard did not write: production, read from AWS now, must be all
 * on this deployment and the rule as Switchyard left it. Otherwise the deployment pauses and says what it
 * found; on resume it writes all of production to this deployment again (over the rule as it is) and
 * reads it back; a rollback restores the previous deployment, which is still there.
 */
async function holdUntilProductionIsMine(
  ctx: BlueGreenContext,
  found: Found,
  staged: Staged,
  traffic: TrafficStatus,
): Promise<void> {
  for (;;) {
    // A regular activity, not a local one: a rollback sent while it runs is delivered before teardown.
    const rule = await aws.findHostRule({
      listenerArn: found.listenerArn,
      host: ctx.spec.hosts.production,
      rule: ctx.spec.productionRule,
    });
    // All of it: the staged group the only one with weight (a rule at 999:1 rounds to 100%).
    const allMine = rule?.targets.every((t) => t.weight === 0 || t.targetGroupArn === staged.targetGroupArn);
    const unchanged =
      rule && (ctx.productionRuleFingerprint === undefined || rule.fingerprint === ctx.productionRuleFingerprint);
    if (rule && allMine && percentOn(staged.targetGroupArn, rule.targets) === 100 && unchanged) return;
    await holdForChangedRule(
      ctx,
      traffic,
      rule
        ? `before teardown, the production rule reads ${JSON.stringify(rule.targets)} with actions ${(rule.actions ?? []).map((a) => a.Type).join(', ')}: it was changed outside Switchyard`
        : `before teardown, no rule for ${ctx.spec.hosts.production} is there: it was removed outside Switchyard`,
    );
    if (!rule) continue;
    const written = await productionRule.setRuleTargets({
      ruleArn: rule.ruleArn,
      targets: [{ targetGroupArn: staged.targetGroupArn, weight: 100 }],
    });
    ctx.productionRuleArn = written.ruleArn;
    ctx.productionRuleFingerprint = written.fingerprint;
    ctx.productionRuleFrame = written.frame;
  }
}

/** Nothing may be torn down unless production, read from AWS now, is all on this deployment. */
async function verifyProductionIsMine(ctx: BlueGreenContext, found: Found, staged: Staged): Promise<void> {
  // A regular activity, not a local one: a rollback sent while it runs is delivered before teardown.
  const rule = await aws.findHostRule({ listenerArn: found.listenerArn, host: ctx.spec.hosts.production });
  const percent = rule ? percentOn(staged.targetGroupArn, rule.targets) : 0;
  if (percent !== 100) {
    throw ApplicationFailure.nonRetryable(
      `before teardown, the production rule reads ${JSON.stringify(rule?.targets ?? [])}: someone changed it`,
      failureTypes.trafficNotVerified,
    );
  }
}

export async function teardownPrevious(ctx: BlueGreenContext, found: Found): Promise<void> {
  const { previous } = found;
  const { spec, tracker } = ctx;
  tracker.enter(
    'tearing_down',
    previous ? `tearing down ${previous.deploymentId}` : 'first deployment: nothing to tear down',
  );
  if (!previous) return;
  if (previous.deploymentId === 'unmanaged') {
    tracker.note(`left target group ${previous.targetGroupArn} in place: Switchyard did not create it`);
    if (found.capacity?.adoptedService) await retireAdopted(ctx, found.capacity.adoptedService);
    return;
  }
  // A spec with autoscaling gave the previous service a scalable target (since adopt-live-service); any
  // other goes with its service (deleting a service removes its target).
  const scaled = Boolean(found.capacity && spec.autoScaling);
  const removeService = async () => {
    if (!previous.serviceName) return;
    // Its scalable target first, by the documented path (deregistering deletes its policies and their
    // alarms); deleting the service is reported to remove it too, so a target already gone is fine.
    if (scaled) await aws.removeServiceScaling({ cluster: spec.cluster, service: previous.serviceName });
    await aws.deleteService({ cluster: spec.cluster, name: previous.serviceName });
  };
  const removeRevision = async () =>
    previous.taskDefinitionArn && (await aws.deregisterTaskDefinition({ arn: previous.taskDefinitionArn }));
  if (patched(localTrafficPath)) await sideBySide(removeService(), removeRevision());
  else await removeService().then(removeRevision);
  // Last: a target group still referenced by a rule cannot be deleted, and the rule was verified above.
  await aws.deleteTargetGroup({ arn: previous.targetGroupArn });
  tracker.note(`removed ${previous.deploymentId}: service, task definition revision and target group`);
}

/**
 * A service Switchyard did not create, once production has left it: left as it is, or scaled to 0 with
 * its autoscaling suspended (so no alarm scales it back up). Never deleted; resuming its scaling and
 * count is the owner's to do.
 */
async function retireAdopted(ctx: BlueGreenContext, service: string): Promise<void> {
  const { spec, tracker } = ctx;
  const target = { cluster: spec.cluster, service };
  if (spec.adopt?.retire !== 'scaleToZero') {
    // Its scale-in was held while production left it (traffic.ts): as it was again.
    if (ctx.previousScaling) await aws.setScalingSuspended({ ...target, ...ctx.previousScaling });
    tracker.note(`left ${service} running as it is (adopt.retire: leave): Switchyard did not create it`);
    return;
  }
  const suspended = await aws.setScalingSuspended({ ...target, scaleIn: true, scaleOut: true, scheduled: true });
  await aws.scaleService({ cluster: spec.cluster, name: service, desiredCount: 0 });
  tracker.note(
    `scaled ${service} to 0 tasks${suspended ? ' and suspended its autoscaling' : ''} (adopt.retire: scaleToZero); it is not deleted: Switchyard did not create it`,
  );
}
