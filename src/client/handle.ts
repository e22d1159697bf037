// A deployment's workflow as the client holds it, and what its history says: its input, and the newest
// event that answers a question.
import { WorkflowFailedError, type Client, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { temporal as proto } from '@temporalio/proto';
import type { AnySpec, DeploymentInput, DeploymentResult } from '../shared/deployment';
import { failureTypes } from '../shared/failures';
import { UserError } from '../shared/errors';
import type { blueGreenDeployment } from '../workflows';

/**
 * Either strategy's workflow: same input shape, messages, status query and result. Pinned to its run:
 * a recovery runs under the same workflow id after it, and a bare handle would follow the latest run.
 */
export type DeploymentHandle = WorkflowHandle<typeof blueGreenDeployment> & { readonly runId: string };

/** Deployments never continue as new: their one run is also the first of its chain. */
export function deploymentHandle(client: Client, workflowId: string, runId: string): DeploymentHandle {
  return Object.assign(
    client.workflow.getHandle<typeof blueGreenDeployment>(workflowId, runId, { firstExecutionRunId: runId }),
    { runId },
  );
}

const endedAsFailure: readonly string[] = [failureTypes.deploymentRolledBack, failureTypes.deploymentFailed];

/**
 * How the deployment ended. One that rolled back or failed ends its workflow failed (src/workflows/common/
 * outcome.ts) with the result in the failure's details; one started before that completes with it.
 */
export async function deploymentResult(handle: Pick<DeploymentHandle, 'result'>): Promise<DeploymentResult> {
  try {
    return await handle.result();
  } catch (err) {
    const cause = err instanceof WorkflowFailedError ? err.cause : undefined;
    if (cause instanceof ApplicationFailure && endedAsFailure.includes(cause.type ?? '') && cause.details?.length)
      return cause.details[0] as DeploymentResult;
    throw err;
  }
}

/** The newest events of the deployment's history first, page by page, until `find` returns something. */
export async function findInHistoryFromEnd<T>(
  handle: DeploymentHandle,
  find: (e: proto.api.history.v1.IHistoryEvent) => T | undefined,
): Promise<T | undefined> {
  let nextPageToken: Uint8Array | undefined;
  do {
    const page = await handle.client.workflowService.getWorkflowExecutionHistoryReverse({
      namespace: handle.client.options.namespace,
      execution: { workflowId: handle.workflowId, runId: handle.runId },
      maximumPageSize: 100,
      nextPageToken,
    });
    for (const event of page.history?.events ?? []) {
      const found = find(event);
      if (found !== undefined) return found;
    }
    nextPageToken = page.nextPageToken?.length ? page.nextPageToken : undefined;
  } while (nextPageToken);
  return undefined;
}

/** The deployment's input, as its workflow was started with it (its first history event). */
export async function deploymentInputOf(handle: DeploymentHandle): Promise<DeploymentInput<AnySpec>> {
  const page = await handle.client.workflowService.getWorkflowExecutionHistory({
    namespace: handle.client.options.namespace,
    execution: { workflowId: handle.workflowId, runId: handle.runId },
    maximumPageSize: 1,
  });
  const payload = page.history?.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0];
  if (!payload) throw new UserError(`deployment workflow ${handle.workflowId} has no input in its history`);
  return handle.client.options.loadedDataConverter.payloadConverter.fromPayload<DeploymentInput<AnySpec>>(payload);
}
