// Production traffic: shifted to the new deployment by the plan's steps (each weight read back before
// its bake), the production record pointed at the load balancer, the stage host removed; and, as the
// undo of every weight change, all of production restored to the previous deployment and read back.
import { ApplicationFailure, patched } from '@temporalio/workflow';
import type { HostRule, WeightedTarget } from '../../activities/elbv2';
import type { TrafficStatus } from '../../shared/deployment';
import { aliasesTo, describeRecords } from '../../shared/records';
import { percentOn, splitTraffic, type PlanStep } from '../../shared/traffic';
import { aws, productionRule, undo } from '../common/activities';
import { sideBySide } from '../common/side-by-side';
import { localTrafficPath } from '../patches';
import { bake } from './bake';
import type { BlueGreenContext, Found, Staged } from './context';
import { holdWhilePaused } from './steering';
import { failureTypes } from '../../shared/failures';

/**
 * Shifts production to the new deployment by the plan, each weight read back before its bake; returns
 * the plan's progress (at 100%), which the bake at full goes on with.
 */
export async function activate(ctx: BlueGreenContext, found: Found, staged: Staged): Promise<TrafficStatus> {
  const { spec, deploymentId, names, tracker, status, undos, plan } = ctx;
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
  const pointProductionRecord = found.productionRecords ? keepProductionRecord(ctx, found) : undefined;
  if (previous) {
    undos.push('production traffic', () => restoreProduction(ctx, traffic, listenerArn, previous.targetGroupArn));
  } else {
    if (!found.productionRecords && !(await aws.recordExists({ zoneId, name: spec.hosts.production }))) {
      undos.push('production DNS record', () => undo.deleteRecord({ zoneId, name: spec.hosts.production }));
    }
    undos.push('production rule', () => undo.deleteHostRule({ listenerArn, host: spec.hosts.production }));
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
    } else {
      traffic.paused = true;
      tracker.note(`step ${index + 1} of ${steps.length}: paused at ${traffic.percent}% until resume or promote`);
    }
  }
  // Promoted, or the plan ended below 100%: the rest of the way in one verified change.
  if (traffic.percent < 100) await setWeight(ctx, found, staged, traffic, 100);
  tracker.note(`production traffic verified on ${names.targetGroup}`);

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
 * The undo of the production record (pushed before the production rule's, so it runs after it), and
 * how to point it: records that pointed elsewhere (allowed by the spec) are replaced in one change and
 * put back on rollback; a record this first deployment creates is deleted on rollback; one that already
 * aliases the load balancer stays.
 */
function keepProductionRecord(ctx: BlueGreenContext, found: Found): () => Promise<string> {
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
      ? await productionRule.setRuleTargets({ ruleArn, targets: wanted })
      : await aws.putHostRule({
          listenerArn: found.listenerArn,
          host: ctx.spec.hosts.production,
          targets: wanted,
          tags: ctx.tags,
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
  ctx.status.resources.productionRuleArn = rule.ruleArn;
  traffic.percent = percentOn(targetGroupArn, rule.targets);
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
  traffic: TrafficStatus,
  listenerArn: string,
  previousTargetGroupArn: string,
): Promise<void> {
  const { status } = ctx;
  const targets: WeightedTarget[] = [{ targetGroupArn: previousTargetGroupArn, weight: 100 }];
  const byHost = () => undo.putHostRule({ listenerArn, host: ctx.spec.hosts.production, targets, tags: [] });
  const ruleArn = ctx.productionRuleArn;
  const rule: HostRule =
    ruleArn && patched(localTrafficPath)
      ? await productionRule.setRuleTargets({ ruleArn, targets }).catch(byHost)
      : await byHost();
  if (percentOn(previousTargetGroupArn, rule.targets) !== 100) {
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
  ctx.tracker.note(`production restored to ${status.previous?.deploymentId} (read back)`);
}
