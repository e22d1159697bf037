// Bakes: waiting at a weight for the bake's intervals, one durable timer each, with an analysis round
// (alarms, target health, an HTTP probe) when an interval completes. More failed rounds than the bake
// tolerates roll back. Nothing here reads the clock: a workflow task's time is not the same in every
// execution of it (a replay, or a query answered by a worker that had not cached the deployment, sees
// another), so a branch on elapsed time can diverge from its own history (issue 11).
import { condition, isCancellation, patched } from '@temporalio/workflow';
import { formatDuration } from '../../shared/duration';
import { bakeIntervals, hasChecks, type AnalysisResult, type Bake } from '../../shared/traffic';
import { analysis, describeFailure, rollbackBecause } from '../common/activities';
import { deploymentMetrics } from '../common/metrics';
import { bakeCountsIntervals } from '../patches';
import type { TrafficStatus } from '../../shared/deployment';
import type { BlueGreenContext, Staged } from './context';
import { holdWhilePaused } from './steering';

/** After 100%: the previous deployment stays up and rollback stays instant while the checks go on. */
export async function bakeAtFull(ctx: BlueGreenContext, staged: Staged, traffic: TrafficStatus): Promise<void> {
  const { finalBake } = ctx.plan;
  if (finalBake.durationMs <= 0) return;
  ctx.tracker.enter(
    'baking',
    `baking at 100% for ${formatDuration(finalBake.durationMs)}`,
    'the bake to end; rollback is instant until then',
  );
  await bake(ctx, staged, traffic, finalBake, 'bake at 100%');
}

/**
 * Waits at the current weight for the bake's intervals (`bakeIntervals`); an interval counts when its
 * timer fires, and its analysis round runs then. A pause discards the interval it interrupts (it starts
 * again in full after resume); promote ends the bake.
 */
export async function bake(
  ctx: BlueGreenContext,
  staged: Staged,
  traffic: TrafficStatus,
  bake: Bake,
  label: string,
): Promise<void> {
  if (!patched(bakeCountsIntervals)) return bakeByClock(ctx, staged, traffic, bake, label);
  const checking = hasChecks(bake.checks);
  const intervals = bakeIntervals(bake);
  let failed = 0;
  ctx.tracker.waiting(
    `${label}: ${baking(bake, traffic.percent, checking)}`,
    `the bake to end (rollback, pause or promote)`,
  );
  for (let completed = 0; completed < intervals.length; ) {
    await holdWhilePaused(ctx, traffic);
    if (traffic.promoted) return;
    const interrupted = await condition(() => traffic.paused || traffic.promoted, intervals[completed], {
      summary: `bake at ${traffic.percent}% (${completed + 1} of ${intervals.length})`,
    });
    if (traffic.promoted) return;
    if (interrupted) continue;
    completed += 1;
    if (checking) failed = await analyse(ctx, staged, traffic, bake, label, failed);
  }
}

function baking(bake: Bake, percent: number, checking: boolean): string {
  return `baking ${formatDuration(bake.durationMs)} at ${percent}%${checking ? ', checks every ' + formatDuration(bake.intervalMs) : ''}`;
}

/** One analysis round; returns the bake's failed rounds so far, or rolls back past the bake's limit. */
async function analyse(
  ctx: BlueGreenContext,
  staged: Staged,
  traffic: TrafficStatus,
  bake: Bake,
  label: string,
  failedBefore: number,
): Promise<number> {
  const result = await analysis
    .runAnalysis({ checks: bake.checks, targetGroupArn: staged.targetGroupArn })
    .catch((err: unknown) => {
      if (isCancellation(err)) throw err;
      return {
        at: new Date().toISOString(),
        failures: [`the checks could not run: ${describeFailure(err)}`],
        observations: [],
        failedChecks: ['unavailable'],
      } satisfies AnalysisResult;
    });
  traffic.lastAnalysis = result;
  if (result.failures.length === 0) return failedBefore;
  const failed = failedBefore + 1;
  traffic.failedAnalyses.push(result);
  deploymentMetrics.analysisFailed(result.failedChecks ?? []);
  const note = `analysis failed (${failed} of ${bake.failureLimit} tolerated): ${result.failures.join('; ')}`;
  ctx.tracker.note(note);
  ctx.tracker.notifier.send('analysis_failed', `${note} at ${traffic.percent}%`, {
    reason: result.failures.join('; '),
    percent: traffic.percent,
  });
  if (failed > bake.failureLimit)
    throw rollbackBecause(`analysis failed at ${traffic.percent}% (${label}): ${result.failures.join('; ')}`);
  return failed;
}

/**
 * The bake of deployments started before `bake-counts-intervals`, kept so their histories replay: it
 * subtracted clock readings taken in different workflow tasks, which is not replay-safe (issue 11).
 */
async function bakeByClock(
  ctx: BlueGreenContext,
  staged: Staged,
  traffic: TrafficStatus,
  bake: Bake,
  label: string,
): Promise<void> {
  const checking = hasChecks(bake.checks);
  let remaining = bake.durationMs;
  let failed = 0;
  ctx.tracker.waiting(
    `${label}: ${baking(bake, traffic.percent, checking)}`,
    `the bake to end (rollback, pause or promote)`,
  );
  while (remaining > 0) {
    await holdWhilePaused(ctx, traffic);
    if (traffic.promoted) return;
    const wait = checking ? Math.min(bake.intervalMs, remaining) : remaining;
    const started = Date.now();
    await condition(() => traffic.paused || traffic.promoted, wait, { summary: `bake at ${traffic.percent}%` });
    // The old path, for old histories only (see above).
    // eslint-disable-next-line no-restricted-syntax
    remaining -= Date.now() - started;
    if (traffic.promoted) return;
    if (traffic.paused || !checking) continue;
    failed = await analyse(ctx, staged, traffic, bake, label, failed);
  }
}
