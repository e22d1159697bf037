// Stuck deployments: a workflow task that keeps failing because of the workflow code, so the deployment
// can neither go on nor roll back until `switchyard recover` gets it out.
import type { WorkflowExecutionDescription } from '@temporalio/client';
import { temporal as proto } from '@temporalio/proto';
import { findInHistoryFromEnd, type DeploymentHandle } from './handle';

/** A deployment whose workflow task keeps failing: it cannot go on (nor roll back) until recovered. */
export interface StuckTask {
  /** Failed attempts of the workflow task so far. */
  failures: number;
  /** When the failing task was first scheduled. */
  since?: string;
  /** Why the first of them failed (e.g. NON_DETERMINISTIC_ERROR), and the failure's message. */
  cause: string;
  message: string;
}

const { EventType, WorkflowTaskFailedCause } = proto.api.enums.v1;
const timeOf = (t: { seconds?: unknown; nanos?: number | null } | null | undefined) =>
  t?.seconds === undefined || t.seconds === null
    ? undefined
    : new Date(Number(t.seconds) * 1000 + Math.floor((t.nanos ?? 0) / 1e6)).toISOString();

/** A workflow task failure cause as people read it: NON_DETERMINISTIC_ERROR, UNHANDLED_COMMAND... */
export function failureCauseName(cause: number | null | undefined): string {
  return (WorkflowTaskFailedCause[cause ?? 0] ?? String(cause)).replace('WORKFLOW_TASK_FAILED_CAUSE_', '');
}

/** Failures that retrying the same code cannot cure: non-determinism, an error thrown by workflow code. */
export const defectCauses = new Set<number>([
  WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_NON_DETERMINISTIC_ERROR,
  WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_WORKFLOW_WORKER_UNHANDLED_FAILURE,
]);

/**
 * Whether the deployment is stuck: since its last completed workflow task, a task failed because of the
 * workflow code (non-determinism, an error in it), and the task is being retried. A task that timed out
 * (a worker killed while running it) raises the attempt count too, but is not stuck: another worker will
 * complete it. Such a deployment answers no query and acts on no message.
 */
export async function stuckTask(
  handle: DeploymentHandle,
  description?: WorkflowExecutionDescription,
): Promise<StuckTask | undefined> {
  const task = (description ?? (await handle.describe())).raw.pendingWorkflowTask;
  const attempt = task?.attempt ?? 1;
  if (!task || attempt < 2) return undefined;
  let failed: proto.api.history.v1.IWorkflowTaskFailedEventAttributes | undefined;
  await findInHistoryFromEnd(handle, (e) => {
    if (e.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED) return true;
    const f = e.workflowTaskFailedEventAttributes;
    if (f && defectCauses.has(f.cause ?? 0)) failed ??= f;
    return undefined;
  });
  if (!failed) return undefined;
  return {
    failures: attempt - 1,
    since: timeOf(task.originalScheduledTime),
    cause: failureCauseName(failed.cause),
    message: failed.failure?.message ?? '(no message)',
  };
}

export function describeStuck(deploymentId: string, stuck: StuckTask): string {
  return (
    `deployment ${deploymentId} is stuck: its workflow task has failed ${stuck.failures} time(s)${stuck.since ? ` since ${stuck.since}` : ''} ` +
    `(${stuck.cause}: ${stuck.message.split('\n')[0]}), so it can neither go on nor roll back. ` +
    `\`switchyard recover ${deploymentId}\` ends it and puts production on the last deployment that can serve it, if one can.`
  );
}
