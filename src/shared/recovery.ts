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
}

export interface RecoveryReport {
  deploymentId: string;
  /**
   * restored: production is on the last known-good deployment (or revision) again; kept: nothing better
   * could serve, so production stays on the stuck deployment, which serves it; none: nothing serves it.
   */
  production: 'restored' | 'kept' | 'none';
  /** The deployment id (blue/green) or task definition (rolling) production is on now. */
  live?: string;
  /** One line per change made, in order. */
  actions: string[];
  /** What could not be removed (each with why): empty when the account is clean. */
  leftovers: string[];
}

export function recoveryWorkflowId(spec: Pick<AnySpec, 'service' | 'environment'>, deploymentId: string): string {
  return `switchyard-recover-${spec.service}-${spec.environment}-${deploymentId}`;
}
