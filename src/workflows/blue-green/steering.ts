// How people steer a blue/green deployment: the status query, the messages (tests passed or failed,
// approve, rollback, pause, resume, promote), each honoured only in the phases where it makes sense, and
// the gates that wait on them.
import { condition, setHandler } from '@temporalio/workflow';
import { isTerminal, type MessageAnswer, type Phase, type TrafficStatus } from '../../shared/deployment';
import { acceptMessage, sender } from '../common/accept';
import { acceptGateMessages, awaitApproval, awaitTests } from '../common/gates';
import { acceptRollbacks } from '../common/rollback-request';
import { statusQuery } from '../messages';
import { statusView, type BlueGreenContext } from './context';
import { heldForTeardown } from './release-hold';

/** Phases a rollback request is honoured in: everything before teardown. */
const rollbackable: Phase[] = ['staging', 'awaiting_tests', 'awaiting_approval', 'activating', 'baking', 'draining'];

export function installSteering(ctx: BlueGreenContext): void {
  const { tracker, steering } = ctx;
  setHandler(statusQuery, () => statusView(ctx));
  acceptGateMessages(ctx);
  acceptRollbacks(
    tracker,
    ctx.main,
    rollbackable,
    steering.rollback,
    () => rollbackSettled(ctx),
    () => heldForTeardown(ctx),
  );

  const steerable = () => {
    if (!ctx.traffic || !['activating', 'baking'].includes(tracker.phase)) return `the deployment is ${tracker.phase}`;
    return undefined;
  };
  acceptMessage(tracker, 'pause', {
    label: 'pause',
    refusal: () => steerable() ?? (ctx.traffic!.paused ? 'already paused' : undefined),
    apply: (msg) => {
      const traffic = ctx.traffic!;
      traffic.paused = true;
      const did = `paused at ${traffic.percent}% by ${sender(msg)}${msg.reason ? `: ${msg.reason}` : ''}`;
      tracker.note(did);
      return did;
    },
  });
  acceptMessage(tracker, 'resume', {
    label: 'resume',
    refusal: () =>
      !ctx.traffic || (!ctx.traffic.paused && !steering.ruleHeld) ? 'the deployment is not paused' : undefined,
    apply: (msg) => {
      const traffic = ctx.traffic!;
      traffic.paused = false;
      steering.ruleHeld = false;
      const did = `resumed at ${traffic.percent}% by ${sender(msg)}`;
      tracker.note(did);
      return did;
    },
  });
  acceptMessage(tracker, 'promote', {
    label: 'promote',
    refusal: () => steerable() ?? (ctx.traffic!.promoted ? 'already promoted' : undefined),
    apply: (msg) => {
      const traffic = ctx.traffic!;
      traffic.promoted = true;
      traffic.paused = false;
      const did = `promoted by ${sender(msg)}: ${tracker.phase === 'baking' ? 'ending the bake at 100%' : 'skipping the remaining steps and the bake, to 100%'}`;
      tracker.note(did);
      return did;
    },
  });
}

/**
 * A rollback's answer: once production reads back on the previous deployment (or never left it, or the
 * deployment has ended: a first deployment's production rule is removed by its roll-back).
 */
function rollbackSettled(ctx: BlueGreenContext): Omit<MessageAnswer, 'phase'> | undefined {
  const { traffic, status, tracker } = ctx;
  if (!traffic) return { note: 'production was never switched: it stays where it was' };
  if (traffic.restoredAt)
    return {
      note: `production restored to ${status.previous?.deploymentId} (read back)`,
      restoreMs: traffic.restoreMs,
    };
  if (isTerminal(tracker.phase)) return { note: `${tracker.phase}: ${status.reason ?? ''}` };
  return undefined;
}

export async function testsGate(ctx: BlueGreenContext): Promise<void> {
  await awaitTests(ctx, ctx.spec.hosts.stage, ctx.spec.timeouts.testsMs);
}

/** The approval before the switch, when the spec requires one. */
export async function approvalGate(ctx: BlueGreenContext): Promise<void> {
  if (!ctx.spec.approval.required) return;
  await awaitApproval(ctx, ctx.spec.approval);
}

/** Holds while a pause is in force (until resume or promote). */
export async function holdWhilePaused(ctx: BlueGreenContext, traffic: TrafficStatus): Promise<void> {
  if (!traffic.paused) return;
  ctx.tracker.waiting(`holding at ${traffic.percent}%`, 'resume or promote');
  await condition(() => !traffic.paused || traffic.promoted);
}
