// How every strategy ends when something fails or someone asks it to roll back: a missing prerequisite
// is invalid input (`failed`, nothing was tried); otherwise every undo runs, newest first, and the
// deployment is `rolled_back` when all of them succeeded, `failed` naming what is left when not.
import { allHandlersFinished, ApplicationFailure, condition, isCancellation } from '@temporalio/workflow';
import type { DeploymentResult } from '../../shared/deployment';
import { describeFailure } from './activities';
import type { CompensationStack } from './compensation';
import { endAsInvalidInput, prerequisiteFailure } from './invalid-input';
import type { DeploymentTracker } from './tracker';
import { failureTypes } from '../../shared/failures';

export interface RollBackInput {
  tracker: DeploymentTracker;
  undos: CompensationStack;
  /** The reason of a rollback someone asked for (it wins over the error it caused). */
  requested?: string;
  /** The last note once everything is undone (default: the reason). */
  restored?: (reason: string) => string;
}

export async function rollBack(
  err: unknown,
  { tracker, undos, requested, restored = (reason) => reason }: RollBackInput,
): Promise<DeploymentResult> {
  const invalid = prerequisiteFailure(err);
  if (invalid !== undefined) return endAsInvalidInput(invalid, tracker, undos);
  const status = tracker.status;
  const reason = requested ?? failureReason(err);
  status.reason = reason;
  tracker.enter('rolling_back', `rolling back: ${reason}`);
  const leftovers = await undos.runAll(
    (label) => tracker.note(`undo: ${label}`),
    () => tracker.productionSafe(),
  );
  status.leftovers = leftovers;
  // Cleaned up completely: rolled back (whatever the cause). Anything left behind: failed, and said what.
  const phase = leftovers.length ? 'failed' : 'rolled_back';
  tracker.enter(phase, leftovers.length ? `${reason}; could not clean up: ${leftovers.join(', ')}` : restored(reason));
  await condition(allHandlersFinished);
  return { deploymentId: status.deploymentId, phase, reason, leftovers };
}

/** Why, in one line: a gate's reason as it is, a cancellation as such, a failure by its innermost cause. */
export function failureReason(err: unknown): string {
  if (err instanceof ApplicationFailure && err.type === failureTypes.rollback) return err.message;
  return isCancellation(err) ? 'the deployment was cancelled' : describeFailure(err);
}
