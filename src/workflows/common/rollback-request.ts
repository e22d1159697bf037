// The rollback message, as every strategy takes it: honoured once, and only in the phases where there
// is something to roll back to; it cancels the scope the deployment's steps run in, and the cancelled
// step hands over to the strategy's roll-back (./roll-back.ts).
import { setHandler, type CancellationScope } from '@temporalio/workflow';
import type { Phase } from '../../shared/deployment';
import { rollbackSignal } from '../messages';
import type { DeploymentTracker } from './tracker';

export interface RollbackRequest {
  /** Set by the first request honoured: the rollback runs with it. */
  reason?: string;
  /** Workflow time of that request (for the status only: how long the restore took). */
  requestedAt?: number;
}

export function acceptRollbacks(
  tracker: DeploymentTracker,
  scope: CancellationScope,
  phases: readonly Phase[],
  request: RollbackRequest,
): void {
  setHandler(rollbackSignal, (msg) => {
    if (!phases.includes(tracker.phase)) return tracker.ignored('rollback', `the deployment is ${tracker.phase}`);
    if (request.reason) return;
    request.requestedAt = Date.now();
    tracker.status.rollbackRequestedBy = msg?.by ?? 'unknown';
    request.reason = `rollback requested by ${tracker.status.rollbackRequestedBy}${msg?.reason ? `: ${msg.reason}` : ''}`;
    tracker.note(request.reason);
    scope.cancel();
  });
}
