// A blue/green deployment that is one service of a release (src/workflows/release.ts): where it holds
// for the release and what it reports. It holds after staging (the release's one tests gate and approval
// instead of its own), before its turn (ordered) or before each step of the shared plan (lockstep), after
// its drain (the previous deployment is torn down only once every service has drained), and, rolling
// back, between putting production back and removing what it staged: production first, everywhere.
// The release says what it may go past with releaseGo; the deployment reports with releaseReport. Every
// branch here is taken only by a deployment started in a release, after the release-hold-points patch.
import { condition, getExternalWorkflowHandle, patched, setHandler } from '@temporalio/workflow';
import type { DeploymentInput, TrafficStatus } from '../../shared/deployment';
import { formatDuration } from '../../shared/duration';
import type { ReleaseGo, ReleaseMembership, ReleaseReport, ReleaseReportKind } from '../../shared/release';
import { rollbackBecause } from '../common/activities';
import { releaseGoSignal, releaseReportSignal } from '../messages';
import { releaseHoldPoints } from '../patches';
import type { BlueGreenContext } from './context';

/** How long a rollback waits for the release to say production is back everywhere before it cleans up anyway. */
const cleanupHoldMs = 60 * 60_000;

export interface ReleaseHold {
  readonly membership: ReleaseMembership;
  /** What the release has let the deployment go past so far. */
  readonly go: ReleaseGo;
  /** Reported drained: from then on only the release rolls it back. */
  drained?: boolean;
}

/** The deployment's hold state, when it is one service of a release (decided once, at its start). */
export function releaseHoldOf(input: DeploymentInput): ReleaseHold | undefined {
  if (!input.release || !patched(releaseHoldPoints)) return undefined;
  const go: ReleaseGo = {};
  setHandler(releaseGoSignal, (more) => {
    // Monotonic: a repeated or late signal never takes a point back.
    go.gatesOpen ||= more.gatesOpen;
    go.activate ||= more.activate;
    go.teardown ||= more.teardown;
    go.promoted ||= more.promoted;
    go.cleanup ||= more.cleanup;
    go.abort ??= more.abort;
    if (more.throughStep !== undefined) go.throughStep = Math.max(go.throughStep ?? -1, more.throughStep);
  });
  return { membership: input.release, go };
}

/** Tells the release a point this deployment has reached; false when the release could not be told. */
async function report(
  ctx: BlueGreenContext,
  kind: ReleaseReportKind,
  more: Partial<Pick<ReleaseReport, 'stepsDone' | 'percent'>> = {},
): Promise<boolean> {
  const { membership } = ctx.release!;
  const sent: ReleaseReport = {
    index: membership.index,
    kind,
    phase: ctx.tracker.phase,
    ...more,
    ...(ctx.status.reason ? { reason: ctx.status.reason } : {}),
  };
  // A release that has ended (terminated, say) cannot be told; it cancels its services as it closes.
  return getExternalWorkflowHandle(membership.workflowId)
    .signal(releaseReportSignal, sent)
    .then(() => true)
    .catch((err: unknown) => {
      ctx.tracker.note(`release ${membership.releaseId} could not be told ${kind}: ${String(err)}`);
      return false;
    });
}

/**
 * Staged: the release's gates instead of the deployment's own. Its undo (run after production's, before
 * the staged resources') reports production back and waits for the release to say every service's is.
 */
export async function holdForReleaseGates(ctx: BlueGreenContext): Promise<void> {
  const { go, membership } = ctx.release!;
  ctx.undos.push('release: production back on every service before removing what was staged', async () => {
    // No release to wait for (it has ended): what was staged goes at once.
    if (!(await report(ctx, 'restored'))) return;
    const told = await condition(() => go.cleanup === true, cleanupHoldMs, {
      summary: `release ${membership.releaseId}: production back everywhere`,
    });
    if (!told)
      ctx.tracker.note(
        `release ${membership.releaseId} did not say within ${formatDuration(cleanupHoldMs)} that production is back everywhere: removing what was staged`,
      );
  });
  await report(ctx, 'staged');
  ctx.tracker.waiting(
    `staged; held by release ${membership.releaseId}`,
    `the release's tests gate and approval (switchyard tests-passed ${membership.releaseId})`,
  );
  await condition(() => go.gatesOpen === true || go.abort !== undefined);
  if (go.abort) throw rollbackBecause(go.abort);
  ctx.tracker.note(`release ${membership.releaseId}: tests passed and approved for every service`);
}

/** ordered: the deployment's turn, once every service before it is live. */
export async function holdForTurn(ctx: BlueGreenContext): Promise<void> {
  const { go, membership } = ctx.release!;
  if (membership.mode !== 'ordered') return;
  if (!go.activate) {
    ctx.tracker.waiting(
      `release ${membership.releaseId}: waiting for its turn`,
      'the services before it in the release to be live',
    );
    await condition(() => go.activate === true);
  }
}

/**
 * Before step `index`: lockstep, it runs once the release says so. A promoted release promotes the
 * deployment here (it may have taken the promote message itself before it made sense: still staging).
 */
export async function holdForStep(ctx: BlueGreenContext, traffic: TrafficStatus, index: number): Promise<void> {
  const { go, membership } = ctx.release!;
  if (membership.mode === 'lockstep' && (go.throughStep ?? -1) < index && !go.promoted && !traffic.promoted) {
    ctx.tracker.waiting(
      `release ${membership.releaseId}: step ${index + 1} of ${traffic.steps} verified here at ${traffic.percent}%`,
      `every service of the release to verify step ${index} first`,
    );
    await condition(() => (go.throughStep ?? -1) >= index || go.promoted === true || traffic.promoted);
  }
  if (go.promoted && !traffic.promoted) {
    traffic.promoted = true;
    ctx.tracker.note(`release ${membership.releaseId} promoted: to 100% without the remaining steps and bake`);
  }
}

/**
 * A rollback of this deployment alone, once it has drained: refused (the release may be tearing the
 * others down), unless the release itself is rolling back.
 */
export function heldForTeardown(ctx: BlueGreenContext): string | undefined {
  const hold = ctx.release;
  if (!hold?.drained || hold.go.abort) return undefined;
  return `deployment is one service of release ${hold.membership.releaseId} and has drained: roll back the release (switchyard rollback ${hold.membership.releaseId})`;
}

/** lockstep: a step of the shared plan done here (after its weight read back, or its bake). */
export async function reportStep(ctx: BlueGreenContext, traffic: TrafficStatus, stepsDone: number): Promise<void> {
  if (ctx.release?.membership.mode !== 'lockstep') return;
  await report(ctx, 'step', { stepsDone, percent: traffic.percent });
}

/** Production all here, read back (lockstep: the shared plan done or promoted). */
export async function reportFull(ctx: BlueGreenContext, traffic: TrafficStatus): Promise<void> {
  await report(ctx, 'full', { percent: traffic.percent, stepsDone: traffic.steps });
}

/** Through the bake at 100%: in an ordered release, the next service's turn. */
export async function reportLive(ctx: BlueGreenContext): Promise<void> {
  await report(ctx, 'live', { percent: 100 });
}

/** Drained: teardown of the previous deployment only once every service of the release has drained. */
export async function holdForTeardown(ctx: BlueGreenContext): Promise<void> {
  const hold = ctx.release!;
  const { go, membership } = hold;
  hold.drained = true;
  await report(ctx, 'drained', { percent: 100 });
  if (go.teardown) return;
  ctx.tracker.waiting(
    `drained; release ${membership.releaseId} holds the teardown`,
    'every service of the release to pass its drain; rollback is instant until then',
  );
  await condition(() => go.teardown === true);
}
