// The client side of deployments: start one (refusing a second for the same service and environment),
// find one by id or service, send it messages, and follow it to its end.
import crypto from 'node:crypto';
import { WorkflowExecutionAlreadyStartedError, type Client, type WorkflowExecutionDescription, type WorkflowHandle } from '@temporalio/client';
import { TypedSearchAttributes } from '@temporalio/common';
import { temporal as proto } from '@temporalio/proto';
import type { TemporalConfig } from './config';
import type { TemporalSession } from './client';
import { isRolling, phases, type ActorMessage, type AnySpec, type DeploymentInput, type DeploymentResult, type DeploymentStatus, type Phase } from './shared/deployment';
import { UserError } from './shared/errors';
import { allSearchAttributes, isDeploymentId, searchAttributes, serviceWorkflowId } from './shared/naming';
import type { blueGreenDeployment } from './workflows';
import {
  approveSignal,
  pauseSignal,
  promoteSignal,
  resumeSignal,
  rollbackSignal,
  statusQuery,
  testsFailedSignal,
  testsPassedSignal,
} from './workflows/messages';

/**
 * Either strategy's workflow: same input shape, messages, status query and result. Pinned to its run:
 * a recovery runs under the same workflow id after it, and a bare handle would follow the latest run.
 */
export type DeploymentHandle = WorkflowHandle<typeof blueGreenDeployment> & { readonly runId: string };

/** Deployments never continue as new: their one run is also the first of its chain. */
export function deploymentHandle(client: Client, workflowId: string, runId: string): DeploymentHandle {
  return Object.assign(client.workflow.getHandle<typeof blueGreenDeployment>(workflowId, runId, { firstExecutionRunId: runId }), { runId });
}
export const deploymentWorkflowTypes = ['blueGreenDeployment', 'rollingDeployment'] as const;

export function newDeploymentId(): string {
  // 8 base-36 characters from 40 random bits.
  return BigInt('0x' + crypto.randomBytes(5).toString('hex')).toString(36).padStart(8, '0').slice(-8);
}

/** Workflows fail their tasks on unknown search attributes: check before starting, with the fix. */
export async function assertSearchAttributesRegistered(session: TemporalSession, temporal: TemporalConfig): Promise<void> {
  const { customAttributes } = await session.connection.operatorService.listSearchAttributes({ namespace: temporal.namespace });
  const missing = allSearchAttributes.filter((k) => !(k.name in (customAttributes ?? {}))).map((k) => k.name);
  if (missing.length) {
    throw new UserError(`namespace ${temporal.namespace} lacks Switchyard's search attributes (${missing.join(', ')}). Run \`switchyard init\` once.`);
  }
}

export async function startDeployment(
  session: TemporalSession,
  temporal: TemporalConfig,
  spec: AnySpec,
  requestedBy: string,
): Promise<{ deploymentId: string; handle: DeploymentHandle }> {
  const deploymentId = newDeploymentId();
  const workflowId = serviceWorkflowId(spec.service, spec.environment);
  try {
    // Both strategies take the same input and answer the same messages and query.
    const workflowType: (typeof deploymentWorkflowTypes)[number] = isRolling(spec) ? 'rollingDeployment' : 'blueGreenDeployment';
    const started = await session.client.workflow.start(workflowType, {
      taskQueue: temporal.taskQueue,
      workflowId,
      workflowIdConflictPolicy: 'FAIL',
      args: [{ deploymentId, spec, requestedBy }],
      memo: { deploymentId },
      typedSearchAttributes: new TypedSearchAttributes([
        { key: searchAttributes.service, value: spec.service },
        { key: searchAttributes.environment, value: spec.environment },
        { key: searchAttributes.image, value: spec.image },
        { key: searchAttributes.deploymentId, value: deploymentId },
        { key: searchAttributes.phase, value: 'pending' },
      ]),
      staticSummary: `deploy ${spec.service}/${spec.environment}: ${spec.image}`,
      staticDetails: `deployment ${deploymentId}, requested by ${requestedBy}`,
    });
    return { deploymentId, handle: deploymentHandle(session.client, workflowId, started.firstExecutionRunId) };
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    const running = await session.client.workflow.getHandle(workflowId).describe();
    const runningId = running.memo?.deploymentId ?? 'unknown';
    if (running.memo?.recovery) throw new UserError(`deployment ${runningId} of ${spec.service}/${spec.environment} is being recovered (switchyard recover): deploy once that has finished`);
    throw new UserError(
      `a deployment of ${spec.service}/${spec.environment} is already running: ${runningId}. ` +
        `Wait for it (switchyard status ${runningId}) or roll it back (switchyard rollback ${runningId}).`,
    );
  }
}

/**
 * A deployment by its id, or the latest of a service ("web" or "web/prod"). Visibility can trail a start
 * by a moment, so a fresh id is looked up for a few seconds before giving up.
 */
export async function findDeployment(session: TemporalSession, ref: string, waitMs = 5_000): Promise<DeploymentHandle> {
  const query = deploymentQuery(ref);
  const deadline = Date.now() + waitMs;
  for (;;) {
    let latest: { workflowId: string; runId: string; startTime: Date } | undefined;
    for await (const wf of session.client.workflow.list({ query })) {
      if (!latest || wf.startTime > latest.startTime) latest = wf;
    }
    if (latest) return deploymentHandle(session.client, latest.workflowId, latest.runId);
    if (Date.now() > deadline) throw new UserError(`no deployment ${isDeploymentId(ref) ? 'with id' : 'of service'} ${ref} was found`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** The visibility query for a deployment id or a service[/environment]; a UserError for anything else. */
export function deploymentQuery(ref: string): string {
  if (isDeploymentId(ref)) return `SwitchyardDeploymentId = '${ref}'`;
  const match = /^([a-z0-9-]{1,20})(?:\/([a-z0-9-]{1,10}))?$/.exec(ref);
  if (!match) throw new UserError(`"${ref}" is neither a deployment id (8 lowercase letters and digits) nor a service ("web" or "web/prod")`);
  const [, service, environment] = match;
  return `SwitchyardService = '${service}'` + (environment ? ` AND SwitchyardEnvironment = '${environment}'` : '');
}

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

/** What `status` shows: the deployment's own status, and what Temporal says of its workflow. */
export interface DeploymentReport extends DeploymentStatus {
  /** RUNNING, COMPLETED, TERMINATED... */
  workflowStatus: string;
  stuck?: StuckTask;
}

const { EventType, WorkflowTaskFailedCause } = proto.api.enums.v1;
const timeOf = (t: { seconds?: unknown; nanos?: number | null } | null | undefined) =>
  t?.seconds === undefined || t.seconds === null ? undefined : new Date(Number(t.seconds) * 1000 + Math.floor((t.nanos ?? 0) / 1e6)).toISOString();

/** The newest events of the deployment's history first, page by page, until `find` returns something. */
async function findInHistoryFromEnd<T>(handle: DeploymentHandle, find: (e: proto.api.history.v1.IHistoryEvent) => T | undefined): Promise<T | undefined> {
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
export async function stuckTask(handle: DeploymentHandle, description?: WorkflowExecutionDescription): Promise<StuckTask | undefined> {
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
  return { failures: attempt - 1, since: timeOf(task.originalScheduledTime), cause: failureCauseName(failed.cause), message: failed.failure?.message ?? '(no message)' };
}

export function describeStuck(deploymentId: string, stuck: StuckTask): string {
  return (
    `deployment ${deploymentId} is stuck: its workflow task has failed ${stuck.failures} time(s)${stuck.since ? ` since ${stuck.since}` : ''} ` +
    `(${stuck.cause}: ${stuck.message.split('\n')[0]}), so it can neither go on nor roll back. ` +
    `\`switchyard recover ${deploymentId}\` ends it and puts production on the last deployment that can serve it, if one can.`
  );
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

export async function deploymentStatus(handle: DeploymentHandle): Promise<DeploymentStatus> {
  return handle.query(statusQuery);
}

/**
 * The deployment's status with its workflow's state. A stuck deployment, or an ended one whose history
 * no longer replays (recovered), cannot answer the status query: its status is then read from its
 * history and search attributes.
 */
export async function inspectDeployment(handle: DeploymentHandle): Promise<DeploymentReport> {
  const description = await handle.describe();
  const workflowStatus = description.status.name;
  const stuck = workflowStatus === 'RUNNING' ? await stuckTask(handle, description) : undefined;
  // Ended from outside (`switchyard recover`, or by hand): why, whatever its last status says.
  const terminated = workflowStatus === 'TERMINATED'
    ? await findInHistoryFromEnd(handle, (e) => (e.eventType === EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED ? (e.workflowExecutionTerminatedEventAttributes?.reason ?? '') : undefined))
    : undefined;
  if (!stuck) {
    // A terminated deployment that still replays answers with its status as it was when it was ended.
    const status = await handle.query(statusQuery).catch(() => undefined);
    if (status) return { ...status, reason: terminated ? `terminated: ${terminated}` : status.reason, workflowStatus };
  }
  const input = await deploymentInputOf(handle);
  const phase = description.typedSearchAttributes.get(searchAttributes.phase) as Phase | undefined;
  return {
    deploymentId: input.deploymentId,
    service: input.spec.service,
    environment: input.spec.environment,
    image: input.spec.image,
    phase: phase && phases.includes(phase) ? phase : 'pending',
    startedAt: description.startTime.toISOString(),
    updatedAt: (description.closeTime ?? description.executionTime ?? description.startTime).toISOString(),
    requestedBy: input.requestedBy,
    reason: terminated ? `terminated: ${terminated}` : undefined,
    resources: {},
    leftovers: [],
    history: [],
    workflowStatus,
    stuck,
  };
}

export const messages = {
  'tests-passed': testsPassedSignal,
  'tests-failed': testsFailedSignal,
  approve: approveSignal,
  rollback: rollbackSignal,
  pause: pauseSignal,
  resume: resumeSignal,
  promote: promoteSignal,
} as const;
export type MessageName = keyof typeof messages;

export async function sendMessage(handle: DeploymentHandle, name: MessageName, message: ActorMessage): Promise<void> {
  const description = await handle.describe();
  if (description.status.name !== 'RUNNING') throw new UserError(`deployment ${handle.workflowId} has ended (${description.status.name}); nothing to ${name}`);
  // A stuck deployment would store the message and never act on it.
  const stuck = await stuckTask(handle, description);
  if (stuck) throw new UserError(`cannot ${name}: ${describeStuck(description.memo?.deploymentId as string ?? handle.workflowId, stuck)}`);
  await handle.signal(messages[name], message);
}

/**
 * Calls `onChange` whenever the phase or the last step changes, until the deployment ends; fails with
 * a UserError if it gets stuck.
 */
export async function followDeployment(
  handle: DeploymentHandle,
  onChange: (status: DeploymentStatus, newSteps: DeploymentStatus['history']) => void,
  intervalMs = 1_000,
): Promise<DeploymentResult> {
  const result = handle.result();
  let seen = 0;
  let done = false;
  void result.finally(() => (done = true)).catch(() => undefined);
  let stuckPolls = 0;
  for (;;) {
    const finished = done;
    // A stuck deployment never ends by itself: say so (exit 1) instead of waiting for ever, once it is
    // seen stuck on two polls in a row.
    const stuck = finished ? undefined : await stuckTask(handle);
    stuckPolls = stuck ? stuckPolls + 1 : 0;
    if (stuck && stuckPolls >= 2) throw new UserError(describeStuck((await deploymentInputOf(handle)).deploymentId, stuck));
    const status = await handle.query(statusQuery).catch(() => undefined);
    if (status && status.history.length > seen) {
      onChange(status, status.history.slice(seen));
      seen = status.history.length;
    }
    if (finished) return result;
    await Promise.race([result.catch(() => undefined), new Promise((r) => setTimeout(r, intervalMs))]);
  }
}
