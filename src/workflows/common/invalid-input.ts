// A deployment whose prerequisites are missing (a cluster, load balancer, hosted zone, alarm or capacity
// provider, a host another service serves, a rolling update's service) was given invalid input: it ends
// `failed` with the reason, which the CLI exits 1 on, and not `rolled_back` (exit 2) as if something had
// been tried and undone. Nothing is created before the checks; whatever was is still undone.
import { ActivityFailure, allHandlersFinished, ApplicationFailure, condition, patched } from '@temporalio/workflow';
import type { DeploymentResult } from '../../shared/deployment';
import { prerequisiteFails } from '../patches';
import type { CompensationStack } from './compensation';
import type { DeploymentTracker } from './tracker';
import { failureTypes } from '../../shared/failures';

/**
 * The reason, when the deployment failed on a prerequisite (and the patch applies): checked in workflow
 * code, or by an activity that read AWS (an image tag ECR does not hold, a missing role boundary).
 */
export function prerequisiteFailure(err: unknown): string | undefined {
  const failure = err instanceof ActivityFailure ? err.cause : err;
  return failure instanceof ApplicationFailure &&
    failure.type === failureTypes.prerequisite &&
    patched(prerequisiteFails)
    ? failure.message
    : undefined;
}

export async function endAsInvalidInput(
  reason: string,
  tracker: DeploymentTracker,
  undos: CompensationStack,
): Promise<DeploymentResult> {
  const status = tracker.status;
  status.reason = `invalid input: ${reason}`;
  const leftovers = await undos.runAll((label) => tracker.note(`undo: ${label}`));
  status.leftovers = leftovers;
  tracker.enter(
    'failed',
    leftovers.length ? `${status.reason}; could not clean up: ${leftovers.join(', ')}` : status.reason,
  );
  await condition(allHandlersFinished);
  return { deploymentId: status.deploymentId, phase: 'failed', reason: status.reason, leftovers };
}
