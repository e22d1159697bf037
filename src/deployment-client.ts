// The client side of deployments: start one (refusing a second for the same service and environment),
// find one by id or service, send it messages, and follow it to its end.
import crypto from 'node:crypto';
import { WorkflowExecutionAlreadyStartedError, type WorkflowHandle } from '@temporalio/client';
import { TypedSearchAttributes } from '@temporalio/common';
import type { TemporalConfig } from './config';
import type { TemporalSession } from './client';
import { isRolling, type ActorMessage, type AnySpec, type DeploymentResult, type DeploymentStatus } from './shared/deployment';
import { UserError } from './shared/errors';
import { isDeploymentId, serviceWorkflowId } from './shared/naming';
import { allSearchAttributes, searchAttributes } from './shared/names';
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

/** Either strategy's workflow: same input shape, messages, status query and result. */
export type DeploymentHandle = WorkflowHandle<typeof blueGreenDeployment>;
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
    const handle: DeploymentHandle = await session.client.workflow.start(workflowType, {
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
    return { deploymentId, handle };
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    const running = await session.client.workflow.getHandle(workflowId).describe();
    const runningId = running.memo?.deploymentId ?? 'unknown';
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
    if (latest) return session.client.workflow.getHandle(latest.workflowId, latest.runId) as DeploymentHandle;
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

export async function deploymentStatus(handle: DeploymentHandle): Promise<DeploymentStatus> {
  return handle.query(statusQuery);
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
  await handle.signal(messages[name], message);
}

/** Calls `onChange` whenever the phase or the last step changes, until the deployment ends. */
export async function followDeployment(
  handle: DeploymentHandle,
  onChange: (status: DeploymentStatus, newSteps: DeploymentStatus['history']) => void,
  intervalMs = 1_000,
): Promise<DeploymentResult> {
  const result = handle.result();
  let seen = 0;
  let done = false;
  void result.finally(() => (done = true)).catch(() => undefined);
  for (;;) {
    const finished = done;
    const status = await handle.query(statusQuery).catch(() => undefined);
    if (status && status.history.length > seen) {
      onChange(status, status.history.slice(seen));
      seen = status.history.length;
    }
    if (finished) return result;
    await Promise.race([result.catch(() => undefined), new Promise((r) => setTimeout(r, intervalMs))]);
  }
}
