// Production traffic: shifted to the new deployment by the plan's steps (each weight read back before
// its bake, on a rule nobody else changed meanwhile), the production record pointed at the load balancer
// when the spec manages it, the stage host removed; and, as the undo of every weight change, all of
// production restored to the previous deployment (an adopted rule action for action) and read back.
import { ActivityFailure, ApplicationFailure, condition, patched } from '@temporalio/workflow';
import type { HostRule, WeightedTarget } from '../../activities/elbv2';
import type { TrafficStatus } from '../../shared/deployment';
import { aliasesTo, describeRecords } from '../../shared/records';
import { percentOn, splitTraffic, type PlanStep } from '../../shared/traffic';
import { aws, productionRule, undo } from '../common/activities';
import { sideBySide } from '../common/side-by-side';
import { localTrafficPath } from '../patches';
import { bake } from './bake';
import type { BlueGreenContext, Found, Staged } from './context';
import { awaitApproval } from '../common/gates';
import { holdForStep, holdForTurn, reportFull, reportStep } from './release-hold';
import { holdWhilePaused } from './steering';
import { failureTypes } from '../../shared/failures';

/**
 * Shifts production to the new deployment by the plan, each weight read back before its bake; returns
 * the plan's progress (at 100%), which the bake at full goes on with.
 */
export async function activate(ctx: BlueGreenContext, found: Found, staged: Staged): Promise<TrafficStatus> {
  const { spec, deploymentId, names, tracker, status, undos, plan } = ctx;
  if (ctx.release) await holdForTurn(ctx);
  const { lb, zoneId, listenerArn, previous } = found;
  // A first deployment has nothing to share traffic with: all of it goes to the new one at once.
  const steps: PlanStep[] = previous ? plan.steps : [{ kind: 'setWeight', percent: 100 }];
  const traffic: TrafficStatus = {
    plan: plan.name,
    step: 0,
    steps: steps.length,
    percent: 0,
    paused: false,
    promoted: false,
    failedAnalyses: [],
  };
  ctx.traffic = traffic;
  tracker.enter(
    'activating',
    `switching ${spec.hosts.production} to ${deploymentId}${previous ? ` (${plan.name}, ${steps.length} step(s))` : ''}`,
  );
  const { adopting } = found;
  // Since adopt-live-service a record the spec leaves alone is never written, nor one already right.
  const leaveRecord = adopting && spec.hosts.productionRecord === 'leave';
  const pointProductionRecord = leaveRecord
    ? async () => undefined
    : found.productionRecords
      ? keepProductionRecord(ctx, found, adopting)
      : undefined;
  if (previous) {
    await holdPreviousSize(ctx, found);
    undos.push('production traffic', () => restoreProduction(ctx, found, traffic, previous.targetGroupArn), {
      restoresProduction: true,
    });
  } else {
    if (
      !leaveRecord &&
      !found.productionRecords &&
      !(await aws.recordExists({ zoneId, name: spec.hosts.production }))
    ) {
      undos.push('production DNS record', () => undo.deleteRecord({ zoneId, name: spec.hosts.production }));
    }
    undos.push(
      'production rule',
      () => undo.deleteHostRule({ listenerArn, host: spec.hosts.production, rule: spec.productionRule }),
      { restoresProduction: true },
    );
  }
  const alias = {
    zoneId,
    name: spec.hosts.production,
    targetDnsName: lb.dnsName,
    targetZoneId: lb.canonicalHostedZoneId,
  };

  let dnsPointed = false;
  for (const [index, step] of steps.entries()) {
    traffic.step = index;
    if (ctx.release) await holdForStep(ctx, traffic, index);
    await holdWhilePaused(ctx, traffic);
    if (traffic.promoted) break;
    if (step.kind === 'setWeight') {
      await setWeight(ctx, found, staged, traffic, step.percent);
      if (!dnsPointed) {
        await (pointProductionRecord ? pointProductionRecord() : aws.upsertAliasRecord(alias));
        dnsPointed = true;
      }
    } else if (step.kind === 'bake') {
      await bake(ctx, staged, traffic, step.bake, `step ${index + 1} of ${steps.length}`);
    } else if (step.kind === 'approval') {
      await awaitApproval(ctx, step.approval, `at ${traffic.percent}% (step ${index + 1} of ${steps.length})`);
      tracker.enter('activating', `going on from ${traffic.percent}% (step ${index + 1} of ${steps.length})`);
    } else {
      traffic.paused = true;
      tracker.note(`step ${index + 1} of ${steps.length}: paused at ${traffic.percent}% until resume or promote`);
    }
    if (ctx.release) await reportStep(ctx, traffic, index + 1);
  }
  // Promoted, or the plan ended below 100%: the rest of the way in one verified change.
  if (traffic.percent < 100) await setWeight(ctx, found, staged, traffic, 100);
  tracker.note(`production traffic verified on ${names.targetGroup}`);
  if (ctx.release) await reportFull(ctx, traffic);
  if (found.capacity?.scaling) {
    // Production is all on the new service: it may now scale in as well as out.
    await aws.setScalingSuspended({
      cluster: spec.cluster,
      service: names.ecsService,
      scaleIn: false,
      scaleOut: false,
    });
    tracker.note(`autoscaling of ${names.ecsService} resumed in both directions`);
  }

  const removeStageRule = () => aws.deleteHostRule({ listenerArn, host: spec.hosts.stage });
  const removeStageRecord = () => aws.deleteRecord({ zoneId, name: spec.hosts.stage });
  if (patched(localTrafficPath)) await sideBySide(removeStageRule(), removeStageRecord());
  else await removeStageRule().then(removeStageRecord);
  undos.drop('stage rule');
  undos.drop('stage DNS record');
  status.resources.stageRuleArn = undefined;
  tracker.note('stage rule and DNS record removed');
  return traffic;
}

/**
 * The previous service keeps the size it serves production at while production leaves it: its own
 * autoscaling would scale it in as its share falls (to its minimum at 0%), and a rollback would then put
 * all of production on that minimum. Its scale-in is suspended until teardown; the undo (run after the
 * restore) puts its suspension back as it was. Only a service that has autoscaling: an adopted one, or
 * Switchyard's own when the spec gives autoscaling (since adopt-live-service).
 */
async function holdPreviousSize(ctx: BlueGreenContext, found: Found): Promise<void> {
  const { spec, undos, tracker } = ctx;
  const service = found.capacity?.adoptedService ?? (spec.autoScaling ? found.previous?.serviceName : undefined);
  if (!service) return;
  const target = { cluster: spec.cluster, service };
  undos.push('previous service scaling', async () => {
    if (ctx.previousScaling) await undo.setScalingSuspended({ ...target, ...ctx.previousScaling });
  });
  ctx.previousScaling = await aws.setScalingSuspended({ ...target, scaleIn: true });
  if (ctx.previousScaling)
    tracker.note(
      `scale-in of ${service} suspended while production leaves it: a rollback finds it at the size it served`,
    );
}

/**
 * The undo of the production record (pushed before the production rule's, so it runs after it), and
 * how to point it: records that pointed elsewhere (allowed by the spec) are replaced in one change and
 * put back on rollback; a record this first deployment creates is deleted on rollback; one that already
 * aliases the load balancer stays.
 */
function keepProductionRecord(ctx: BlueGreenContext, found: Found, adopting: boolean): () => Promise<unknown> {
  const { lb, zoneId, productionRecords } = found;
  const name = ctx.spec.hosts.production;
  const elsewhere = (productionRecords ?? []).filter((r) => !aliasesTo(r, lb.dnsName));
  const alias = { zoneId, name, targetDnsName: lb.dnsName, targetZoneId: lb.canonicalHostedZoneId };
  if (elsewhere.length) {
    ctx.undos.push('production DNS record', () =>
      undo.restoreRecords({ zoneId, name, targetDnsName: lb.dnsName, records: elsewhere }),
    );
    ctx.tracker.note(
      `${name} will replace ${describeRecords(elsewhere)} (hosts.overwriteProductionRecord); a rollback puts it back`,
    );
    return () => aws.replaceWithAlias({ ...alias, replacing: elsewhere });
  }
  if (!found.previous && productionRecords?.length === 0)
    ctx.undos.push('production DNS record', () => undo.deleteRecord({ zoneId, name }));
  // Already an alias of the load balancer: nothing to write (since adopt-live-service).
  if (adopting && productionRecords?.length) return async () => undefined;
  return () => aws.upsertAliasRecord(alias);
}

/** One weighted forward action on the production rule, then the rule as read back must say the same. */
async function setWeight(
  ctx: BlueGreenContext,
  found: Found,
  staged: Staged,
  traffic: TrafficStatus,
  percent: number,
): Promise<void> {
  const { targetGroupArn } = staged;
  const { previous } = found;
  const wanted = splitTraffic(targetGroupArn, previous?.targetGroupArn, percent);
  // The rule that serves production now is known (found before staging): modify it by its ARN.
  const ruleArn = ctx.productionRuleArn;
  const rule =
    ruleArn && patched(localTrafficPath)
      ? await writeOwnedRule(ctx, traffic, ruleArn, wanted)
      : await aws.putHostRule({
          listenerArn: found.listenerArn,
          host: ctx.spec.hosts.production,
          targets: wanted,
          tags: ctx.tags,
          rule: ctx.spec.productionRule,
        });
  const readBack = [...rule.targets]
    .filter((t) => t.weight > 0)
    .sort((a, b) => a.targetGroupArn.localeCompare(b.targetGroupArn));
  const expected = [...wanted].sort((a, b) => a.targetGroupArn.localeCompare(b.targetGroupArn));
  if (JSON.stringify(readBack) !== JSON.stringify(expected)) {
    throw ApplicationFailure.nonRetryable(
      `the production rule reads back ${JSON.stringify(rule.targets)}, not ${JSON.stringify(wanted)}`,
      failureTypes.trafficNotVerified,
    );
  }
  ctx.productionRuleArn = rule.ruleArn;
  // Watched for changes by others only in deployments that started with adopt-live-service.
  if (found.adopting) {
    ctx.productionRuleFingerprint = rule.fingerprint;
    ctx.productionRuleFrame = rule.frame;
  }
  ctx.status.resources.productionRuleArn = rule.ruleArn;
  traffic.percent = percentOn(targetGroupArn, rule.targets);
  ctx.tracker.notifier.send('traffic_step', `production: ${traffic.percent}% on ${ctx.deploymentId} (read back)`, {
    percent: traffic.percent,
  });
  if (previous && percent < 100)
    ctx.tracker.note(
      `production: ${percent}% on ${ctx.deploymentId}, ${100 - percent}% on ${previous.deploymentId} (read back)`,
    );
}

/**
 * The undo of every weight change: all of production back on the previous target group, read back.
 * The first attempt is a local activity on the rule's ARN (the fastest path from the rollback signal
 * to the load balancer); should it fail, the rule is found by host and written like any undo.
 */
async function restoreProduction(
  ctx: BlueGreenContext,
  found: Found,
  traffic: TrafficStatus,
  previousTargetGroupArn: string,
): Promise<void> {
  const { status } = ctx;
  const { listenerArn } = found;
  const targets: WeightedTarget[] = [{ targetGroupArn: previousTargetGroupArn, weight: 100 }];
  const byHost = () =>
    undo.putHostRule({
      listenerArn,
      host: ctx.spec.hosts.production,
      targets,
      tags: [],
      rule: ctx.spec.productionRule,
    });
  const ruleArn = ctx.productionRuleArn;
  // The rule as it was found, every action (since adopt-live-service): what a team's own rule said, it
  // says again, and it forwards as it did then.
  const original = found.productionRule;
  const exact =
    original?.actions && original.ruleArn === ruleArn
      ? { ruleArn: original.ruleArn, actions: original.actions, targets: original.targets }
      : undefined;
  // An adopted rule is never re-created by host (a forward-only rule would serve production without its
  // sign-in): should the rule be gone, the restore fails and says so, for its owner to recreate.
  const restoreExactly = (input: { ruleArn: string; actions: NonNullable<HostRule['actions']> }) =>
    productionRule.restoreRuleActions(input).catch((err: unknown) => {
      if (
        err instanceof ActivityFailure &&
        err.cause instanceof ApplicationFailure &&
        err.cause.type === failureTypes.ruleNotFound
      )
        throw err;
      return undo.restoreRuleActions(input);
    });
  const rule: HostRule = exact
    ? await restoreExactly({ ruleArn: exact.ruleArn, actions: exact.actions })
    : ruleArn && patched(localTrafficPath)
      ? await productionRule.setRuleTargets({ ruleArn, targets }).catch(byHost)
      : await byHost();
  const wanted = exact ? liveGroups(exact.targets) : [previousTargetGroupArn];
  if (JSON.stringify(liveGroups(rule.targets)) !== JSON.stringify(wanted)) {
    throw ApplicationFailure.retryable(
      `the production rule reads back ${JSON.stringify(rule.targets)} after restoring it`,
      failureTypes.trafficNotVerified,
    );
  }
  traffic.percent = 0;
  traffic.restoredAt = new Date().toISOString();
  const requestedAt = ctx.steering.rollback.requestedAt;
  // For the status only (how long the restore took): no branch reads it.
  // eslint-disable-next-line no-restricted-syntax
  if (requestedAt !== undefined) traffic.restoreMs = Date.now() - requestedAt;
  ctx.tracker.note(
    `production restored to ${status.previous?.deploymentId}${exact ? ', every action as it was found' : ''} (read back)`,
  );
}

/** The target groups a rule sends traffic to (weight above 0), sorted. */
function liveGroups(targets: WeightedTarget[]): string[] {
  return targets
    .filter((t) => t.weight > 0)
    .map((t) => t.targetGroupArn)
    .sort();
}

/**
 * A weight change on the rule Switchyard last read or wrote. Should someone else have changed it since
 * (a Terraform apply, a person), nothing is written: the deployment pauses and says what it found, until
 * `resume` (which writes Switchyard's weights over the rule as it is now) or a rollback.
 */
async function writeOwnedRule(
  ctx: BlueGreenContext,
  traffic: TrafficStatus,
  ruleArn: string,
  targets: WeightedTarget[],
): Promise<HostRule> {
  for (;;) {
    try {
      return await productionRule.setRuleTargets({
        ruleArn,
        targets,
        expectFingerprint: ctx.productionRuleFingerprint,
        expectFrame: ctx.productionRuleFrame,
      });
    } catch (err) {
      const changed = changedRule(err);
      if (!changed) throw err;
      await holdForChangedRule(ctx, traffic, changed);
      ctx.productionRuleFingerprint = ctx.productionRuleFrame = undefined;
    }
  }
}

/** The message of a RuleChanged failure, if that is what this is. */
export function changedRule(err: unknown): string | undefined {
  const cause = err instanceof ActivityFailure ? err.cause : err;
  return cause instanceof ApplicationFailure && cause.type === failureTypes.ruleChanged ? cause.message : undefined;
}

/** Pauses on a production rule someone else changed, until resume (or a rollback, which cancels the wait). */
export async function holdForChangedRule(ctx: BlueGreenContext, traffic: TrafficStatus, found: string): Promise<void> {
  traffic.paused = true;
  ctx.steering.ruleHeld = true;
  ctx.tracker.note(`paused: ${found}; resume to write Switchyard's weights over the rule as it is now, or roll back`);
  ctx.tracker.waiting(
    `holding at ${traffic.percent}%: the production rule was changed outside Switchyard`,
    'resume or rollback',
  );
  await condition(() => !ctx.steering.ruleHeld);
  ctx.tracker.note('resumed: the production rule is taken as it is now');
}
