// After a chaos round: every deployment's history is replayed against today's workflow code and read
// for failed workflow tasks. A replay error, or a task failed by non-determinism or by an error in our
// workflow code, is a defect; failures the server makes by design (UnhandledCommand when a signal races
// a completion) are counted by cause and reported.
import type { Client, WorkflowHandle } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { Worker } from '@temporalio/worker';
import { defectCauses, failureCauseName } from '../../src/client/stuck';
import { servers } from './servers';

const { EventType } = temporal.api.enums.v1;
type History = temporal.api.history.v1.IHistory;

export interface HistoryReport {
  workflowId: string;
  events: number;
  /** Failed workflow tasks by cause name (e.g. UNHANDLED_COMMAND: 1). */
  failedTasks: Record<string, number>;
  /** Workflow tasks that timed out (a killed worker's sticky task): the shape of a crash, not a defect. */
  timedOutTasks: number;
  /** Activities that ran more than one attempt (a killed worker's, say), by activity type. */
  retriedActivities: Record<string, number>;
  /** One line per defect: a replay error, or a failed task caused by non-determinism or our code. */
  defects: string[];
}

/** Reads and replays one history. */
export async function checkHistory(workflowId: string, history: History): Promise<HistoryReport> {
  const report: HistoryReport = {
    workflowId,
    events: history.events?.length ?? 0,
    failedTasks: {},
    timedOutTasks: 0,
    retriedActivities: {},
    defects: [],
  };
  const activityTypes = new Map<string, string>();
  for (const event of history.events ?? []) {
    if (event.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT) report.timedOutTasks += 1;
    const scheduled = event.activityTaskScheduledEventAttributes;
    if (scheduled) activityTypes.set(String(event.eventId), scheduled.activityType?.name ?? '');
    const started = event.activityTaskStartedEventAttributes;
    if (started && (started.attempt ?? 1) > 1) {
      const type = activityTypes.get(String(started.scheduledEventId)) ?? 'unknown';
      report.retriedActivities[type] = (report.retriedActivities[type] ?? 0) + 1;
    }
    const failed = event.workflowTaskFailedEventAttributes;
    if (!failed) continue;
    const name = failureCauseName(failed.cause);
    report.failedTasks[name] = (report.failedTasks[name] ?? 0) + 1;
    if (defectCauses.has(failed.cause ?? 0))
      report.defects.push(
        `${workflowId}: event ${event.eventId}: workflow task failed (${name}): ${failed.failure?.message}`,
      );
  }
  try {
    await Worker.runReplayHistory(
      { workflowBundle: { codePath: servers.workflowBundlePath }, replayName: workflowId },
      history,
    );
  } catch (err) {
    report.defects.push(`${workflowId}: replay failed: ${(err as Error).message.split('\n')[0].slice(0, 500)}`);
  }
  return report;
}

/**
 * The runs these handles started, fetched and checked. Deployments of one service share a workflow id,
 * so each is fetched by its own run (a handle from `start` knows only its first run id).
 */
export async function checkHistories(client: Client, handles: WorkflowHandle[]): Promise<HistoryReport[]> {
  const reports: HistoryReport[] = [];
  for (const handle of handles) {
    const runId = runOf(handle);
    reports.push(
      await checkHistory(
        `${handle.workflowId}/${runId}`,
        await client.workflow.getHandle(handle.workflowId, runId).fetchHistory(),
      ),
    );
  }
  return reports;
}

/** The run a handle stands for: the run `start` began, or the one `getHandle` was given. */
export function runOf(handle: WorkflowHandle): string {
  const { firstExecutionRunId, runId } = handle as { firstExecutionRunId?: string; runId?: string };
  const run = runId ?? firstExecutionRunId;
  if (!run) throw new Error(`${handle.workflowId}: no run id to fetch its own history by`);
  return run;
}

/** One line for the run's output: histories replayed, failed tasks by cause, timed-out tasks. */
export function summarizeHistories(reports: HistoryReport[]): string {
  const causes: Record<string, number> = {};
  for (const r of reports)
    for (const [cause, n] of Object.entries(r.failedTasks)) causes[cause] = (causes[cause] ?? 0) + n;
  const failed =
    Object.entries(causes)
      .map(([cause, n]) => `${cause} ${n}`)
      .join(', ') || 'none';
  const timedOut = reports.reduce((sum, r) => sum + r.timedOutTasks, 0);
  const defects = reports.flatMap((r) => r.defects).length;
  return `histories: ${reports.length} replayed, ${defects} defects; failed workflow tasks by cause: ${failed}; timed-out workflow tasks: ${timedOut}`;
}
