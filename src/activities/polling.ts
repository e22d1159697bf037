// Waiting for AWS inside one heartbeating activity: a describe every `intervalMs` (never tighter than
// one per second), a heartbeat with the latest state each time, and a clear failure at the deadline.
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';

export interface PollOptions {
  /** Epoch milliseconds after which waiting fails (set by the workflow from the spec's timeout). */
  deadline: number;
  intervalMs?: number;
}

export interface PollResult<T> {
  done: boolean;
  /** The state in a few words, for heartbeats and the deadline message. */
  summary: string;
  value: T;
  /** Set when waiting longer cannot help (e.g. the deployment FAILED). */
  failed?: string;
}

export async function pollUntil<T>(opts: PollOptions, what: string, check: () => Promise<PollResult<T>>): Promise<T> {
  const ctx = Context.current();
  const interval = Math.max(opts.intervalMs ?? 5_000, 1_000);
  for (;;) {
    const result = await check();
    if (result.failed) throw ApplicationFailure.nonRetryable(`${what}: ${result.failed}`, 'WaitFailed');
    if (result.done) return result.value;
    ctx.heartbeat(result.summary);
    if (Date.now() + interval > opts.deadline) {
      throw ApplicationFailure.nonRetryable(`gave up waiting for ${what} at the deadline: ${result.summary}`, 'DeadlineExceeded');
    }
    await ctx.sleep(interval);
  }
}
