// What `switchyard recover` asks the worker to do for a deployment that can no longer make progress, and
// what it reports. Safe for workflow code.
import type { AnySpec } from './deployment';

export interface RecoveryInput {
  /** The stuck deployment, and the spec it was started with (read from its workflow's start event). */
  deploymentId: string;
  spec: AnySpec;
  requestedBy: string;
  reason: string;
  pollIntervalMs?: number;
  /** Wait this long first: attempts of the ended workflow's activities may still be running. */
  settleMs?: number;
}

export interface RecoveryReport {
  deploymentId: string;
  /**
   * restored: production is on the last known-good deployment (or revision) again; kept: nothing else
   * could serve, so production stays on the stuck deployment, which serves all of it; left: nothing could
   * be verified to serve, so production was not touched (see leftovers); none: there is no production
   * rule (the stuck deployment was a first one that never went live), so there was nothing to restore.
   */
  production: 'restored' | 'kept' | 'left' | 'none';
  /** The deployment id (blue/green) or task definition (rolling) production is on now. */
  live?: string;
  /** One line per change made, in order. */
  actions: string[];
  /** What could not be removed (each with why): empty when the account is clean. */
  leftovers: string[];
}
