// Steering a deployment from outside: the messages it answers (refused when it has ended or is stuck,
// since it would never act on them), and following it to its end.
import { UserError } from '../shared/errors';
import type { ActorMessage, DeploymentResult, DeploymentStatus } from '../shared/deployment';
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
    if (stuck && stuckPolls >= 2)
      throw new UserError(describeStuck((await deploymentInputOf(handle)).deploymentId, stuck));
    const status = await handle.query(statusQuery).catch(() => undefined);
    if (status && status.history.length > seen) {
      onChange(status, status.history.slice(seen));
      seen = status.history.length;
    }
    if (finished) return result;
    await Promise.race([result.catch(() => undefined), new Promise((r) => setTimeout(r, intervalMs))]);
  }
}
