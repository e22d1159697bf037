// How people steer a release: the same status query and messages as one deployment. The tests gate and
// approval are the release's own; a rollback puts every service back; pause, resume and promote hold or
// free the release (no service goes past its current step or turn while paused) and go on to the
// services shifting traffic now.
import { setHandler } from '@temporalio/workflow';
import { isTerminal, type ActorMessage, type MessageAnswer, type Phase } from '../../shared/deployment';
import { acceptMessage, sender } from '../common/accept';
import { acceptGateMessages } from '../common/gates';
import { acceptRollbacks } from '../common/rollback-request';
import { statusQuery, type MessageName } from '../messages';
import { releaseStatusView, running, type ReleaseContext } from './context';
import { forward, tellAll } from './services';

const rollbackable: Phase[] = ['staging', 'awaiting_tests', 'awaiting_approval', 'activating', 'baking', 'draining'];

export function installReleaseSteering(ctx: ReleaseContext): void {
  const { tracker } = ctx;
  setHandler(statusQuery, () => releaseStatusView(ctx));
  acceptGateMessages(ctx);
  acceptRollbacks(tracker, ctx.main, rollbackable, ctx.steering.rollback, () => rollbackSettled(ctx));

  const shifting = () =>
    !['activating', 'baking'].includes(tracker.phase) ? `the release is ${tracker.phase}` : undefined;
  /** The message goes on to every service moving traffic now; says to which. */
  const passOn = (name: MessageName, msg: ActorMessage) => {
    const to = running(ctx).filter((c) => c.reached.has('staged'));
    const reason = `release ${ctx.releaseId}${msg.reason ? `: ${msg.reason}` : ''}`;
    for (const child of to) void forward(child, name, { ...msg, reason });
    return to.map((c) => c.label).join(', ') || 'no service yet';
  };
  acceptMessage(tracker, 'pause', {
    label: 'pause',
    refusal: () => shifting() ?? (ctx.paused ? 'already paused' : undefined),
    apply: (msg) => {
      ctx.paused = true;
      const did = `paused by ${sender(msg)}: no service goes past its current step or turn (sent to ${passOn('pause', msg)})`;
      tracker.note(did);
      return did;
    },
  });
  acceptMessage(tracker, 'resume', {
    label: 'resume',
    refusal: () =>
      !ctx.paused
        ? 'the release is not paused'
        : !rollbackable.includes(tracker.phase)
          ? `the release is ${tracker.phase}`
          : undefined,
    apply: (msg) => {
      ctx.paused = false;
      const did = `resumed by ${sender(msg)} (sent to ${passOn('resume', msg)})`;
      tracker.note(did);
      return did;
    },
  });
  acceptMessage(tracker, 'promote', {
    label: 'promote',
    refusal: () => shifting() ?? (ctx.promoted ? 'already promoted' : undefined),
    apply: (msg) => {
      ctx.promoted = true;
      ctx.paused = false;
      // Also as a go: a service that takes the message where it makes no sense yet (still staging, or
      // holding before a step) goes to 100% at its next step.
      void tellAll(ctx, { promoted: true });
      const did = `promoted by ${sender(msg)}: every service to 100% without its remaining steps and bake (sent to ${passOn('promote', msg)})`;
      tracker.note(did);
      return did;
    },
  });
}

/** A rollback's answer: once every service that moved has put production back (or the release has ended). */
function rollbackSettled(ctx: ReleaseContext): Omit<MessageAnswer, 'phase'> | undefined {
  if (isTerminal(ctx.tracker.phase)) return { note: `${ctx.tracker.phase}: ${ctx.status.reason ?? ''}` };
  if (ctx.rollingBack && ctx.children.every((c) => !c.handle || c.result || c.reached.has('restored')))
    return { note: `production put back on every service (${ctx.children.map((c) => c.label).join(', ')})` };
  return undefined;
}
