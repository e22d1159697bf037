// Following the CodeDeploy deployment: a heartbeating activity returns each time it moves (its status,
// the share of production on the replacement task set, the termination wait), and the deployment's
// phase and status say where it is. A deployment CodeDeploy fails or stops is a rollback, with CodeDeploy's
// reason and the lifecycle event that failed.
import { ActivityCancellationType } from '@temporalio/workflow';
import type { CodeDeployProgress, TrafficRouting } from '../../activities/codedeploy';
import { aws, rollbackBecause, waitOptions } from '../common/activities';
import type { CodeDeployContext, Setup } from './context';
import { describeRouting } from './setup';

const ended = ['Succeeded', 'Failed', 'Stopped'];

/** The wait's end (workflow epoch ms, set once) and how long that is from its start. */
export interface FollowWindow {
  deadline: number;
  timeoutMs: number;
}

export function followWindow(timeoutMs: number): FollowWindow {
  return { deadline: Date.now() + timeoutMs, timeoutMs };
}

/** Follows the deployment until `reached` holds (or it fails), within the window. */
export async function followUntil(
  ctx: CodeDeployContext,
  setup: Setup,
  what: string,
  window: FollowWindow,
  reached: (p: CodeDeployProgress) => boolean,
): Promise<CodeDeployProgress> {
  const { pollIntervalMs, targetId } = ctx;
  for (;;) {
    const seen = ctx.progress;
    const progress = await aws.followCodeDeployDeployment.executeWithOptions(
      {
        ...waitOptions(window.timeoutMs, `follow CodeDeploy deployment ${ctx.codeDeployId} until ${what}`),
        // It only reads: a rollback goes ahead at once instead of waiting for the cancel to reach it (the
        // worker throttles heartbeats, so that takes up to 16 s, in which CodeDeploy may finish).
        cancellationType: ActivityCancellationType.TRY_CANCEL,
      },
      [
        {
          deploymentId: ctx.codeDeployId!,
          targetId,
          ...(seen
            ? {
                seen: {
                  status: seen.status,
                  terminationWait: seen.terminationWait,
                  replacementPercent: seen.replacementPercent,
                },
              }
            : {}),
          deadline: window.deadline,
          intervalMs: pollIntervalMs,
        },
      ],
    );
    observe(ctx, setup, progress);
    if (progress.status === 'Failed' || progress.status === 'Stopped') throw rollbackBecause(failureOf(progress));
    if (reached(progress) || ended.includes(progress.status)) return progress;
  }
}

/** What moved, into the status and the history. */
function observe(ctx: CodeDeployContext, setup: Setup, now: CodeDeployProgress): void {
  const { tracker } = ctx;
  const before = ctx.progress;
  ctx.progress = now;
  if (before?.status !== now.status) tracker.note(`CodeDeploy deployment ${now.id}: ${now.status}`);
  if (ctx.traffic && now.replacementPercent !== ctx.traffic.percent) {
    ctx.traffic.percent = now.replacementPercent;
    ctx.traffic.step = stepOf(setup.group.deploymentConfig.routing, now.replacementPercent);
    tracker.note(`CodeDeploy has ${now.replacementPercent}% of production on the replacement task set`);
  }
}

/** Production's traffic from the ready wait's end: CodeDeploy shifts it by its config; shown in the status. */
export function startTraffic(ctx: CodeDeployContext, setup: Setup): void {
  const { name, routing } = setup.group.deploymentConfig;
  ctx.traffic = {
    plan: `${name} (${describeRouting(routing)})`,
    step: 0,
    steps: stepsOf(routing),
    percent: ctx.progress?.replacementPercent ?? 0,
    paused: false,
    promoted: false,
    failedAnalyses: [],
  };
}

function stepsOf(routing: TrafficRouting): number {
  if (routing.type === 'TimeBasedCanary') return 2;
  if (routing.type === 'TimeBasedLinear') return Math.ceil(100 / (routing.percentage || 100));
  return 1;
}

function stepOf(routing: TrafficRouting, percent: number): number {
  if (routing.type === 'TimeBasedCanary') return percent >= 100 ? 1 : 0;
  if (routing.type === 'TimeBasedLinear') return Math.max(0, Math.ceil(percent / (routing.percentage || 100)) - 1);
  return 0;
}

/** CodeDeploy's reason, and the lifecycle event that failed with its diagnostics. */
function failureOf(p: CodeDeployProgress): string {
  const failed = p.events.find((e) => e.status === 'Failed');
  const event = failed
    ? `; lifecycle event ${failed.name} failed${failed.diagnostics ? ` (${failed.diagnostics})` : ''}`
    : '';
  const rolledBack = p.rollbackDeploymentId ? `; rolled back by CodeDeploy deployment ${p.rollbackDeploymentId}` : '';
  return `CodeDeploy deployment ${p.id} ${p.status}: ${p.error ?? 'no reason given'}${event}${rolledBack}`;
}
