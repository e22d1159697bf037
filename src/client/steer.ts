// Steering a deployment from outside: the messages it answers (refused when it has ended or is stuck,
// since it would never act on them), and following it to its end.
import {
  WorkflowUpdateFailedError,
  WorkflowUpdateRPCTimeoutOrCancelledError,
  WorkflowUpdateStage,
} from '@temporalio/client';
import { ExitCode, UserError } from '../shared/errors';
import type { ActorMessage, DeploymentResult, DeploymentStatus, MessageAnswer, Phase } from '../shared/deployment';
import { formatDuration } from '../shared/duration';
import { signals, statusQuery, updates, type MessageName } from '../workflows/messages';
import { deploymentInputOf, deploymentResult, type DeploymentHandle } from './handle';
import { describeStuck, stuckTask } from './stuck';

/** The CLI's command for each message the workflows take. */
export const messageCommands = {
  'tests-passed': 'testsPassed',
  'tests-failed': 'testsFailed',
  approve: 'approve',
  rollback: 'rollback',
  pause: 'pause',
  resume: 'resume',
  promote: 'promote',
} as const satisfies Record<string, MessageName>;
export type MessageCommand = keyof typeof messageCommands;

export interface SendOptions {
  /** As a durable signal: stored even while no worker runs, and not answered. */
  signal?: boolean;
  /** How long to wait for the answer (default 10 minutes). */
  timeoutMs?: number;
}

export interface Sent {
  /** The deployment's answer (absent when sent as a signal). */
  answer?: MessageAnswer;
  /** From sending to the answer (or to the signal being stored). */
  tookMs: number;
}

/**
 * Sends a message, refused at once when the deployment has ended or is stuck (it would never act on it).
 * As an Update it returns the deployment's answer once the message has taken effect, and a refusal (a
 * message that makes no sense in its phase) is a UserError saying why.
 */
export async function sendMessage(
  handle: DeploymentHandle,
  command: MessageCommand,
  message: ActorMessage,
  opts: SendOptions = {},
): Promise<Sent> {
  const description = await handle.describe();
  const id = (description.memo?.deploymentId as string) ?? handle.workflowId;
  if (description.status.name !== 'RUNNING')
    throw new UserError(`deployment ${id} has ended (${description.status.name}); nothing to ${command}`);
  if (description.memo?.recovery) throw new UserError(`deployment ${id} is being recovered; it takes no ${command}`);
  const stuck = await stuckTask(handle, description);
  if (stuck) throw new UserError(`cannot ${command}: ${describeStuck(id, stuck)}`);

  const name = messageCommands[command];
  message = { ...message, identity: message.identity ?? handle.client.options.identity };
  const started = Date.now();
  if (opts.signal) {
    await handle.signal(signals[name], message);
    return { tookMs: Date.now() - started };
  }
  const timeoutMs = opts.timeoutMs ?? 10 * 60_000;
  const connection = handle.client.connection;
  const deadline = started + timeoutMs;
  let accepted = false;
  try {
    const update = await connection.withDeadline(deadline, () =>
      handle.startUpdate(updates[name], { args: [message], waitForStage: WorkflowUpdateStage.ACCEPTED }),
    );
    accepted = true;
    const answer = await connection.withDeadline(deadline, () => update.result());
    return { answer, tookMs: Date.now() - started };
  } catch (err) {
    if (err instanceof WorkflowUpdateFailedError) throw new UserError(`deployment ${id}: ${refusal(err, command)}`);
    if (err instanceof WorkflowUpdateRPCTimeoutOrCancelledError)
      throw new UserError(
        accepted
          ? `deployment ${id} accepted ${command} but did not answer within ${formatDuration(timeoutMs)}; \`switchyard wait ${id}\` follows it`
          : `deployment ${id} did not take ${command} within ${formatDuration(timeoutMs)}: is a Switchyard worker running? ` +
            `The Temporal server may still hand it to the next worker, but does not store it durably until one takes it; ` +
            `\`switchyard ${command} ${id} --signal\` stores the message durably for when one does`,
        ExitCode.timedOut,
      );
    throw err;
  }
}

/** Why the deployment refused the message, in a line (a worker too old to take updates says so too). */
function refusal(err: WorkflowUpdateFailedError, command: MessageCommand): string {
  const why = (err.cause as Error | undefined)?.message ?? err.message;
  if (/no registered handler for update/i.test(why))
    return `its worker takes ${command} only as a signal (a Switchyard release before messages answered); send it with --signal`;
  return why;
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
  const watched = await watchDeployment(handle, onChange, { intervalMs });
  return watched.result!;
}

/** Where a watch stopped: the deployment ended (`result`), reached the phase, or the deadline passed. */
export interface Watched {
  result?: DeploymentResult;
  /** The last status read (absent only if none could be read). */
  status?: DeploymentStatus;
  reached?: boolean;
  timedOut?: boolean;
}

export interface WatchOptions {
  intervalMs?: number;
  /** Stop once the deployment is in this phase. */
  phase?: Phase;
  /** Stop at this time (epoch ms). */
  deadline?: number;
  /** Every status read, changed or not (a live view redraws from it). */
  onStatus?: (status: DeploymentStatus) => void;
}

/**
 * Follows the deployment like `followDeployment`, and stops early when it is in `phase` or at
 * `deadline` (epoch ms). An ended deployment answers with its result, whatever it was waited for.
 */
export async function watchDeployment(
  handle: DeploymentHandle,
  onChange: (status: DeploymentStatus, newSteps: DeploymentStatus['history']) => void,
  opts: WatchOptions = {},
): Promise<Watched> {
  const { intervalMs = 1_000, phase, deadline = Infinity, onStatus } = opts;
  const result = deploymentResult(handle);
  let seen = 0;
  let done = false;
  let status: DeploymentStatus | undefined;
  void result.finally(() => (done = true)).catch(() => undefined);
  let stuckPolls = 0;
  for (;;) {
    const finished = done;
    // A stuck deployment never ends by itself: say so (exit 1) instead of waiting for ever, once it is
    // seen stuck on two polls in a row.
    const stuck = finished ? undefined : await stuckTask(handle);
    stuckPolls = stuck ? stuckPolls + 1 : 0;
    if (stuck && stuckPolls >= 2)
      throw new UserError(describeStuck((await deploymentInputOf(handle)).deploymentId, stuck));
    status = (await handle.query(statusQuery).catch(() => undefined)) ?? status;
    if (status) onStatus?.(status);
    if (status && status.history.length > seen) {
      onChange(status, status.history.slice(seen));
      seen = status.history.length;
    }
    if (finished) return { result: await result, status };
    if (phase && status?.phase === phase) return { status, reached: true };
    if (Date.now() >= deadline) return { status, timedOut: true };
    const pause = Math.max(0, Math.min(intervalMs, deadline - Date.now()));
    await Promise.race([result.catch(() => undefined), new Promise((r) => setTimeout(r, pause))]);
  }
}
