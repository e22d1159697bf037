// The gates a deployment waits at before production traffic moves, and the messages that open them:
// the tests gate (tests passed / tests failed) and the approval gate (approve), each honoured only while
// the deployment waits there. Blue/green and CodeDeploy mode share them over this much of their context.
import { condition } from '@temporalio/workflow';
import type { DeploymentStatus, Phase } from '../../shared/deployment';
import { formatDuration } from '../../shared/duration';
import type { ApprovalGate } from '../../shared/traffic';
import { acceptMessage, sender } from './accept';
import { rollbackBecause } from './activities';
import type { RollbackRequest } from './rollback-request';
import type { DeploymentTracker } from './tracker';

/** What the steering messages have said so far (the messages write it, the gates read it). */
export interface Steering {
  testsVerdict?: 'passed' | 'failed';
  /** Why the tests failed, as reported. */
  testsFailure?: string;
  /** The open approval gate has been approved (each gate starts unapproved). */
  approved: boolean;
  /** Which gate of the traffic plan waits for approval (absent: none, or the one before the switch). */
  approvalGate?: string;
  rollback: RollbackRequest;
  /** Held on a production rule someone else changed: only resume (or a rollback) ends it, not promote. */
  ruleHeld?: boolean;
}

export interface Gated {
  readonly tracker: DeploymentTracker;
  readonly status: DeploymentStatus;
  readonly steering: Steering;
}

/** testsPassed, testsFailed and approve, each refused outside its gate. */
export function acceptGateMessages(ctx: Gated): void {
  const { tracker, status, steering } = ctx;
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
}

/** Waits in `awaiting_tests` for a verdict on the deployment `where` it can be tested, up to `timeoutMs`. */
export async function awaitTests(ctx: Gated, where: string, timeoutMs: number): Promise<void> {
  const { tracker, status, steering } = ctx;
  tracker.enter(
    'awaiting_tests',
    `ready for tests on ${where}`,
    `tests passed / tests failed (timeout ${formatDuration(timeoutMs)})`,
  );
  const answered = await condition(() => steering.testsVerdict !== undefined, timeoutMs, {
    summary: `tests gate timeout (${formatDuration(timeoutMs)})`,
  });
  if (!answered) throw rollbackBecause(`no test result within ${formatDuration(timeoutMs)}`);
  if (steering.testsVerdict === 'failed') throw rollbackBecause(steering.testsFailure ?? 'tests failed');
  tracker.note(`tests passed${status.testsReportedBy ? ` (reported by ${status.testsReportedBy})` : ''}`);
}

/**
 * Waits in `awaiting_approval` for `approve` (or a rollback), up to the gate's timeout, which rolls back
 * or goes on as the gate says. `where` names a gate of the traffic plan (absent: the one before the switch).
 */
export async function awaitApproval(ctx: Gated, gate: ApprovalGate, where?: string): Promise<void> {
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
