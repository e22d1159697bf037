// How people steer a blue/green deployment: the status query, the messages (tests passed or failed,
// approve, rollback, pause, resume, promote), each honoured only in the phases where it makes sense, and
// the gates that wait on them.
import { condition, setHandler } from '@temporalio/workflow';
import { formatDuration } from '../../shared/duration';
import { isTerminal, type MessageAnswer, type Phase, type TrafficStatus } from '../../shared/deployment';
import type { ApprovalGate } from '../../shared/traffic';
import { acceptMessage, sender } from '../common/accept';
import { rollbackBecause } from '../common/activities';
import { acceptRollbacks } from '../common/rollback-request';
import { statusQuery } from '../messages';
import { statusView, type BlueGreenContext } from './context';

/** Phases a rollback request is honoured in: everything before teardown. */
const rollbackable: Phase[] = ['staging', 'awaiting_tests', 'awaiting_approval', 'activating', 'baking', 'draining'];

export function installSteering(ctx: BlueGreenContext): void {
  const { tracker, status, steering } = ctx;
  setHandler(statusQuery, () => statusView(ctx));
  const notIn = (phase: Phase) => (tracker.phase !== phase ? `the deployment is ${tracker.phase}` : undefined);
  /** The gate's answer: once the deployment has left the phase it waited in. */
  const leaving = (phase: Phase) => async (did: string) => {
    await condition(() => tracker.phase !== phase);
    return { phase: tracker.phase, note: `${did}; the deployment is ${tracker.phase}` };
  };
  acceptMessage(tracker, 'testsPassed', {
    label: 'tests passed',
    refusal: () => notIn('awaiting_tests'),
    apply: (msg) => {
      steering.testsVerdict = 'passed';
      status.testsReportedBy = msg.by;
      return `tests passed (reported by ${sender(msg)})`;
    },
    answer: leaving('awaiting_tests'),
  });
  acceptMessage(tracker, 'testsFailed', {
    label: 'tests failed',
    refusal: () => notIn('awaiting_tests'),
    apply: (msg) => {
      steering.testsVerdict = 'failed';
      const why = msg.reason ? `: ${msg.reason}` : '';
      steering.testsFailure = `tests failed${msg.by ? ` (reported by ${msg.by})` : ''}${why}`;
      status.testsReportedBy = msg.by;
      status.reason = steering.testsFailure;
      return `tests failed (reported by ${sender(msg)})${why}`;
    },
    answer: leaving('awaiting_tests'),
  });
  acceptMessage(tracker, 'approve', {
    label: 'approval',
    refusal: () => notIn('awaiting_approval'),
    apply: (msg) => {
      steering.approved = true;
      status.approvedBy = msg.by ?? 'unknown';
      const gate = steering.approvalGate ?? 'before the switch';
      status.approvals = [
        ...(status.approvals ?? []),
        { at: new Date().toISOString(), gate, by: status.approvedBy, identity: msg.identity },
      ];
      const did = `approved by ${sender(msg)}${steering.approvalGate ? ` (${gate})` : ''}`;
      tracker.note(did);
      return did;
    },
    answer: leaving('awaiting_approval'),
  });
  acceptRollbacks(tracker, ctx.main, rollbackable, steering.rollback, () => rollbackSettled(ctx));

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
  const { spec, tracker, status, steering } = ctx;
  tracker.enter(
    'awaiting_tests',
    `ready for tests on ${spec.hosts.stage}`,
    `tests passed / tests failed (timeout ${formatDuration(spec.timeouts.testsMs)})`,
  );
  const answered = await condition(() => steering.testsVerdict !== undefined, spec.timeouts.testsMs, {
    summary: `tests gate timeout (${formatDuration(spec.timeouts.testsMs)})`,
  });
  if (!answered) throw rollbackBecause(`no test result within ${formatDuration(spec.timeouts.testsMs)}`);
  if (steering.testsVerdict === 'failed') throw rollbackBecause(steering.testsFailure ?? 'tests failed');
  tracker.note(`tests passed${status.testsReportedBy ? ` (reported by ${status.testsReportedBy})` : ''}`);
}

/** The approval before the switch, when the spec requires one. */
export async function approvalGate(ctx: BlueGreenContext): Promise<void> {
  if (!ctx.spec.approval.required) return;
  await awaitApproval(ctx, ctx.spec.approval);
}

/**
 * Waits in `awaiting_approval` for `approve` (or a rollback), up to the gate's timeout, which rolls back
 * or goes on as the gate says. `where` names a gate of the traffic plan (absent: the one before the switch).
 */
export async function awaitApproval(ctx: BlueGreenContext, gate: ApprovalGate, where?: string): Promise<void> {
  const { tracker, steering } = ctx;
  const timeout = formatDuration(gate.timeoutMs);
  steering.approved = false;
  steering.approvalGate = where;
  tracker.enter(
    'awaiting_approval',
    where ? `waiting for approval ${where}` : 'waiting for approval',
    `approve or rollback (timeout ${timeout}, then ${gate.onTimeout})`,
  );
  const approved = await condition(() => steering.approved, gate.timeoutMs, {
    summary: `approval timeout (${timeout}${where ? ` ${where}` : ''})`,
  });
  steering.approvalGate = undefined;
  if (approved) return;
  if (gate.onTimeout === 'rollback') throw rollbackBecause(`not approved within ${timeout}${where ? ` ${where}` : ''}`);
  tracker.note(`not approved within ${timeout}: continuing, as the spec says`);
}

/** Holds while a pause is in force (until resume or promote). */
export async function holdWhilePaused(ctx: BlueGreenContext, traffic: TrafficStatus): Promise<void> {
  if (!traffic.paused) return;
  ctx.tracker.waiting(`holding at ${traffic.percent}%`, 'resume or promote');
  await condition(() => !traffic.paused || traffic.promoted);
}
