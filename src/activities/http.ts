// The optional HTTP check of an analysis: one request, its status and how long it took.
import type { HttpCheckSpec } from '../shared/traffic';

export interface HttpProbe {
  status?: number;
  latencyMs: number;
  /** Why there is no status (timeout, connection refused, DNS). */
  error?: string;
}

/** True when `status` is in a matcher such as "200-399" or "200,204". */
export function statusMatches(status: number, expect: string): boolean {
  return expect.split(',').some((part) => {
    const [low, high = low] = part.split('-').map(Number);
    return status >= low && status <= high;
  });
}

export function createHttpActivities() {
  return {
    async probeHttp(check: Pick<HttpCheckSpec, 'url' | 'timeoutMs'>): Promise<HttpProbe> {
      const started = performance.now();
      try {
        const res = await fetch(check.url, { signal: AbortSignal.timeout(check.timeoutMs), redirect: 'manual' });
        await res.arrayBuffer();
        return { status: res.status, latencyMs: Math.round(performance.now() - started) };
      } catch (err) {
        const cause = (err as { cause?: { code?: string } }).cause?.code;
        const reason =
          (err as Error).name === 'TimeoutError'
            ? `no answer within ${check.timeoutMs} ms`
            : (cause ?? (err as Error).message);
        return { latencyMs: Math.round(performance.now() - started), error: reason };
      }
    },
  };
}
