// The rollback message, as every strategy takes it: honoured once, and only in the phases where there
// is something to roll back to; it cancels the scope the deployment's steps run in, and the cancelled
// step hands over to the strategy's roll-back (./roll-back.ts). Sent as an Update, it answers when the
// strategy says production is safe again.
import { condition, type CancellationScope } from '@temporalio/workflow';
import type { MessageAnswer, Phase } from '../../shared/deployment';
import { acceptMessage, sender } from './accept';
import type { DeploymentTracker } from './tracker';

export interface RollbackRequest {
  /** Set by the first request honoured: the rollback runs with it. */
  reason?: string;
  /** Workflow time of that request (for the status only: how long the restore took). */
  requestedAt?: number;
}

/** What a rollback's sender is answered once production is safe again; undefined until it is. */
export type RollbackSettled = () => Omit<MessageAnswer, 'phase'> | undefined;

export function acceptRollbacks(
  tracker: DeploymentTracker,
  scope: CancellationScope,
  phases: readonly Phase[],
  request: RollbackRequest,
  settled: RollbackSettled,
  /** A strategy's own reason to refuse one now (a release's service past its drain). */
  refusedBecause: () => string | undefined = () => undefined,
): void {
  acceptMessage(tracker, 'rollback', {
    label: 'rollback',
    refusal: () => {
      if (request.reason) return `a rollback is already under way (${request.reason})`;
      const own = refusedBecause();
      if (own) return own;
      if (tracker.phase === 'rolling_back') return `the deployment is already rolling back: ${tracker.status.reason}`;
      if (!phases.includes(tracker.phase)) return `the deployment is ${tracker.phase}`;
      return undefined;
    },
    apply: (msg) => {
      request.requestedAt = Date.now();
      tracker.status.rollbackRequestedBy = msg.by ?? 'unknown';
      const why = msg.reason ? `: ${msg.reason}` : '';
      request.reason = `rollback requested by ${tracker.status.rollbackRequestedBy}${why}`;
      const did = `rollback requested by ${sender(msg)}${why}`;
      tracker.note(did);
      scope.cancel();
      return did;
    },
    answer: async () => {
      let answer: Omit<MessageAnswer, 'phase'> | undefined;
      await condition(() => (answer = settled()) !== undefined);
      return { phase: tracker.phase, ...answer! };
    },
  });
}
