// How a release ends when a service fails, fails its analysis or is rolled back, when someone rolls the
// release back, or when a service is busy at the start: every service that moved puts production back,
// in reverse order, each read back before the next is asked; then, production safe everywhere, each
// removes what it staged. The release is rolled_back when every service is, failed when any failed (or
// a busy service refused it: invalid input).
import { allHandlersFinished, CancellationScope, condition } from '@temporalio/workflow';
import type { DeploymentResult } from '../../shared/deployment';
import { failureReason } from '../common/roll-back';
import { rollbackSignal } from '../messages';
import type { ReleaseContext } from './context';
import { tell, tellAll } from './services';

export async function rollBackRelease(ctx: ReleaseContext, err: unknown): Promise<DeploymentResult> {
  const { tracker, status, children, releaseId } = ctx;
  ctx.rollingBack = true;
  const reason = ctx.steering.rollback.reason ?? ctx.refused ?? ctx.failure ?? failureReason(err);
  status.reason = ctx.refused ? `invalid input: ${reason}` : reason;
  tracker.enter('rolling_back', `rolling back every service: ${reason}`);
  await CancellationScope.nonCancellable(async () => {
    for (const child of [...children].reverse()) {
      if (!child.handle || child.result) continue;
      if (!child.reached.has('restored')) {
        // Still staging: it rolls back at its first hold, with nothing of production to put back (told
        // rather than cancelled mid-step). Staged or later: the rollback message, as a person would send it.
        await tell(child, { abort: reason });
        if (child.reached.has('staged'))
          await child.handle.signal(rollbackSignal, { by: `release ${releaseId}`, reason }).catch(() => undefined);
        await condition(() => child.reached.has('restored') || child.result !== undefined);
      }
      tracker.note(`${child.label}: production put back (or never moved)`);
    }
    tracker.productionSafe();
    await tellAll(ctx, { cleanup: true });
    await condition(() => children.every((c) => !c.handle || c.result));
  });
  const leftovers = children.flatMap((c) => (c.result?.leftovers ?? []).map((l) => `${c.label}: ${l}`));
  const anyFailed = children.some((c) => c.result?.phase === 'failed');
  const phase = ctx.refused || anyFailed || leftovers.length ? 'failed' : 'rolled_back';
  status.leftovers = leftovers;
  tracker.enter(
    phase,
    leftovers.length ? `${status.reason}; could not clean up: ${leftovers.join(', ')}` : `${status.reason}`,
  );
  await CancellationScope.nonCancellable(() => condition(allHandlersFinished));
  return { deploymentId: releaseId, phase, reason: status.reason, leftovers };
}
