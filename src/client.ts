// The Temporal client side: how the CLI (and CI through it) starts and steers workflows.
import { Client, Connection } from '@temporalio/client';
import { temporal as proto } from '@temporalio/proto';
import type { TemporalConfig } from './config';
import { describeCause, UserError } from './shared/errors';
import type { PreflightInput, PreflightReport } from './shared/preflight';
import type { preflight } from './workflows';

export interface TemporalSession {
  client: Client;
  connection: Connection;
  close(): Promise<void>;
}

export async function connectClient(temporal: TemporalConfig): Promise<TemporalSession> {
  let connection: Connection;
  try {
    connection = await Connection.connect({ address: temporal.address, connectTimeout: '5s' });
  } catch (err) {
    throw new UserError(
      `cannot reach Temporal at ${temporal.address} (${describeCause(err)}). ` +
        'Start the embedded stack with `npm run dev`, or set TEMPORAL_ADDRESS to your Temporal frontend.',
    );
  }
  return { client: new Client({ connection, namespace: temporal.namespace }), connection, close: () => connection.close() };
}

export async function runPreflight(
  session: TemporalSession,
  temporal: TemporalConfig,
  input: PreflightInput,
): Promise<{ workflowId: string; report: PreflightReport }> {
  const workflowId = `preflight-${input.cluster}-${Date.now().toString(36)}`;
  const report = await session.client.workflow.execute<typeof preflight>('preflight', {
    taskQueue: temporal.taskQueue,
    workflowId,
    args: [input],
    workflowExecutionTimeout: '2m',
  });
  return { workflowId, report };
}

/** Fails with a clear line when no worker polls the task queue: the workflow would only wait. */
export async function assertWorkerPolling(session: TemporalSession, temporal: TemporalConfig): Promise<void> {
  const { pollers } = await session.client.workflowService.describeTaskQueue({
    namespace: temporal.namespace,
    taskQueue: { name: temporal.taskQueue },
    taskQueueType: proto.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
  });
  if (!pollers?.length) {
    throw new UserError(
      `no Switchyard worker is polling task queue "${temporal.taskQueue}" on ${temporal.address}. ` +
        'Start one with `switchyard worker` (or `npm run dev`), or set SWITCHYARD_TASK_QUEUE to the queue your worker uses.',
    );
  }
}
