// Waiting for AWS inside one heartbeating activity: a describe every `intervalMs` (never tighter than
// one per second), a heartbeat with the latest state each time, and a clear failure at the deadline.
// A describe AWS refuses for a passing reason (throttling, 5xx) doubles the interval, up to a minute,
// instead of failing the wait; the next answer brings it back. The wait heartbeats every few seconds
// the whole time (through slow describes and long back-offs alike), so a worker that dies mid-wait is
// noticed within the wait's short heartbeat timeout and nothing else trips it.
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { failureTypes } from '../shared/failures';

const maxBackoffMs = 60_000;
/** Heartbeat at least this often, whatever the wait is doing. */
export const heartbeatEveryMs = 5_000;

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
  let summary = `waiting for ${what}`;
  const beat = setInterval(() => ctx.heartbeat(summary), heartbeatEveryMs);
  try {
    return await poll(ctx, opts, what, check, (latest) => (summary = latest));
  } finally {
    clearInterval(beat);
  }
}

async function poll<T>(
  ctx: Context,
  opts: PollOptions,
  what: string,
  check: () => Promise<PollResult<T>>,
  report: (summary: string) => void,
): Promise<T> {
  const baseInterval = Math.max(opts.intervalMs ?? 5_000, 1_000);
  let interval = baseInterval;
  for (;;) {
    let summary: string;
    try {
      const result = await check();
      if (result.failed) throw ApplicationFailure.nonRetryable(`${what}: ${result.failed}`, failureTypes.waitFailed);
      if (result.done) return result.value;
      summary = result.summary;
      interval = baseInterval;
    } catch (err) {
      if (!(err instanceof ApplicationFailure) || err.nonRetryable) throw err;
      interval = Math.min(interval * 2, maxBackoffMs);
      summary = `${err.message}; next describe in ${interval / 1000} s`;
    }
    report(summary);
    ctx.heartbeat(summary);
    if (Date.now() + interval > opts.deadline) {
      throw ApplicationFailure.nonRetryable(
        `gave up waiting for ${what} at the deadline: ${summary}`,
        failureTypes.deadlineExceeded,
      );
    }
    await ctx.sleep(interval);
  }
}
