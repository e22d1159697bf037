// Steering a deployment from outside: the messages it answers (refused when it has ended or is stuck,
// since it would never act on them), and following it to its end.
import { UserError } from '../shared/errors';
import type { ActorMessage, DeploymentResult, DeploymentStatus, Phase } from '../shared/deployment';
import {
  approveSignal,
  pauseSignal,
  promoteSignal,
  resumeSignal,
  rollbackSignal,
  statusQuery,
  testsFailedSignal,
  testsPassedSignal,
} from '../workflows/messages';
import { deploymentInputOf, type DeploymentHandle } from './handle';
import { describeStuck, stuckTask } from './stuck';

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
  if (description.status.name !== 'RUNNING')
    throw new UserError(`deployment ${handle.workflowId} has ended (${description.status.name}); nothing to ${name}`);
  // A stuck deployment would store the message and never act on it.
  const stuck = await stuckTask(handle, description);
  if (stuck)
    throw new UserError(
      `cannot ${name}: ${describeStuck((description.memo?.deploymentId as string) ?? handle.workflowId, stuck)}`,
    );
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

/**
 * Follows the deployment like `followDeployment`, and stops early when it is in `phase` or at
 * `deadline` (epoch ms). An ended deployment answers with its result, whatever it was waited for.
 */
export async function watchDeployment(
  handle: DeploymentHandle,
  onChange: (status: DeploymentStatus, newSteps: DeploymentStatus['history']) => void,
  opts: { intervalMs?: number; phase?: Phase; deadline?: number } = {},
): Promise<Watched> {
  const { intervalMs = 1_000, phase, deadline = Infinity } = opts;
  const result = handle.result();
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
