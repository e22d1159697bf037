// How a deployment's workflow ends: `active` completes it; `rolled_back` and `failed` fail it with a
// typed failure whose details carry the same result, so the web UI's failure filter, visibility and
// Temporal's failure metrics count them, while the CLI reads the result either way (src/client/result.ts).
import { ApplicationFailure, patched } from '@temporalio/workflow';
import type { DeploymentResult } from '../../shared/deployment';
import { failureTypes } from '../../shared/failures';
import { outcomeInWorkflowStatus } from '../patches';

export function concluded(result: DeploymentResult): DeploymentResult {
  if (result.phase === 'active' || !patched(outcomeInWorkflowStatus)) return result;
  const rolledBack = result.phase === 'rolled_back';
  const left = result.leftovers.length ? `; left behind: ${result.leftovers.join(', ')}` : '';
  throw ApplicationFailure.create({
    type: rolledBack ? failureTypes.deploymentRolledBack : failureTypes.deploymentFailed,
    message: `deployment ${result.deploymentId} ${rolledBack ? 'rolled back' : 'failed'}: ${result.reason ?? 'no reason given'}${left}`,
    details: [result],
    nonRetryable: true,
  });
}
