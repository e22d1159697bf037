// The activity proxies both deployment workflows use, and how their failures read.
import {
  ActivityCancellationType,
  ApplicationFailure,
  proxyActivities,
  proxyLocalActivities,
  type ActivityOptions,
  type RetryPolicy,
} from '@temporalio/workflow';
import type { Activities } from '../../activities';
import { failureTypes } from '../../shared/failures';

const retry: RetryPolicy = {
  initialInterval: '1s',
  backoffCoefficient: 2,
  maximumInterval: '30s',
  maximumAttempts: 10,
};

/** Forward steps. WAIT_CANCELLATION_COMPLETED: on rollback, an in-flight create finishes before its undo runs. */
// Each forward step and undo is a few AWS calls (seconds even with the SDK's retries): a worker that dies
// mid-activity is noticed after 30 s, not minutes.
export const aws = proxyActivities<Activities>({
  startToCloseTimeout: '30s',
  retry: {
    ...retry,
    nonRetryableErrorTypes: [
      failureTypes.waitFailed,
      failureTypes.deadlineExceeded,
      failureTypes.invalidForward,
      failureTypes.noRulePriority,
    ],
  },
  cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
});

/** Compensations: retried longer, since what they leave behind is what users would clean up by hand. */
export const undo = proxyActivities<Activities>({
  startToCloseTimeout: '30s',
  retry: { ...retry, maximumInterval: '1m', maximumAttempts: 30 },
});

/**
 * Writes to production's rule by its ARN (each weight change and the rollback's restore) as local
 * activities: run by the worker that runs the workflow, inside its workflow task, so a restore reaches
 * the load balancer without a round trip through the task queue, and a weight change is one marker event
 * instead of an activity's three plus a workflow task. Two ELB calls each, bounded tightly: the workflow
 * task stays open while one runs, so signals and queries wait for it. A write in flight when a rollback
 * arrives finishes before the restore runs (as for `aws`).
 */
export const productionRule = proxyLocalActivities<Activities>({
  startToCloseTimeout: '10s',
  scheduleToCloseTimeout: '30s',
  retry: {
    ...retry,
    maximumInterval: '5s',
    nonRetryableErrorTypes: [failureTypes.invalidForward, failureTypes.ruleNotFound],
  },
  cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
});

/** An analysis round that cannot run (AWS unreachable) is retried briefly, then counts as a failed check. */
export const analysis = proxyActivities<Activities>({
  startToCloseTimeout: '30s',
  retry: { ...retry, maximumAttempts: 3 },
});

/**
 * Options for a heartbeating wait that may take until `timeoutMs`. Waits heartbeat every 5 s (also while
 * backing off), so a worker killed mid-wait is noticed after 20 s and the wait resumes on another worker.
 */
export function waitOptions(timeoutMs: number, summary: string): ActivityOptions {
  return { startToCloseTimeout: timeoutMs + 60_000, heartbeatTimeout: '20s', retry: { maximumAttempts: 3 }, summary };
}

export const executionRolePolicy = 'service-role/AmazonECSTaskExecutionRolePolicy';

/** Thrown inside a workflow to roll back for a reason that is not an error (gate timeout, tests failed). */
export function rollbackBecause(reason: string): ApplicationFailure {
  return ApplicationFailure.nonRetryable(reason, failureTypes.rollback);
}

/** A failure as one line: the innermost cause, which says what was attempted. */
export function describeFailure(err: unknown): string {
  let current = err as { message?: string; cause?: unknown } | undefined;
  // Activity failures wrap the activity's own error: its message says what was attempted.
  while (current?.cause) current = current.cause as typeof current;
  return `failed: ${current?.message ?? String(err)}`;
}
