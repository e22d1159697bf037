// Waits heartbeat every few seconds the whole time, also while sleeping between describes, so their
// 20-second heartbeat timeout notices a dead worker and nothing else (pollUntil in a mock activity).
import { MockActivityEnvironment } from '@temporalio/testing';
import { heartbeatEveryMs, pollUntil } from '../../src/activities/polling';

describe('pollUntil', () => {
  it('heartbeats during an 11-second interval between two describes, then returns the value', async () => {
    const env = new MockActivityEnvironment();
    const beats: { at: number; details: unknown }[] = [];
    const started = Date.now();
    env.on('heartbeat', (details: unknown) => beats.push({ at: Date.now() - started, details }));
    let describes = 0;
    const value = await env.run(() =>
      pollUntil({ deadline: Date.now() + 60_000, intervalMs: 11_000 }, 'the service', async () => {
        describes += 1;
        return describes === 1
          ? { done: false, summary: 'running 0 of 2', value: 0 }
          : { done: true, summary: 'steady', value: 2 };
      }),
    );
    expect(value).toBe(2);
    expect(describes).toBe(2);
    // One heartbeat with the first describe's state, then at least two more while sleeping 11 s.
    const whileSleeping = beats.filter((b) => b.at >= heartbeatEveryMs - 500 && b.at < 11_000);
    expect(beats[0].details).toBe('running 0 of 2');
    expect(whileSleeping.length).toBeGreaterThanOrEqual(2);
    expect(whileSleeping.every((b) => b.details === 'running 0 of 2')).toBe(true);
  }, 30_000);

  it('gives up at the deadline with the last state, without sleeping past it', async () => {
    const env = new MockActivityEnvironment();
    const started = Date.now();
    const err = await env
      .run(() =>
        pollUntil({ deadline: Date.now() + 1_500, intervalMs: 1_000 }, 'the service', async () => ({
          done: false,
          summary: 'running 1 of 2',
          value: 0,
        })),
      )
      .catch((e: Error) => e);
    expect(err).toMatchObject({
      type: 'DeadlineExceeded',
      message: 'gave up waiting for the service at the deadline: running 1 of 2',
    });
    expect(Date.now() - started).toBeLessThan(3_000);
  });
});
