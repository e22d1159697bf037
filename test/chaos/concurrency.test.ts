// Many deployments at once on one worker: CHAOS_CONCURRENT (default 20) services deploy together and all
// go live, each with nothing left behind. (Two deployments of the same service: test/e2e/deploy.test.ts.)
import { chaosSpec, driveToEnd, expectHealthyHistories, scopeOf, useChaosStack } from '../support/chaos';
import { summarizeHistories } from '../support/history-check';
import { findLeaks } from '../support/leak-checker';
import { atAwsPace } from '../support/servers';

const count = Number(process.env.CHAOS_CONCURRENT ?? 20);
const prefix = `cc${Date.now().toString(36).slice(-5)}`;
const specFor = (i: number) => chaosSpec(`${prefix}-${i}`, { desiredCount: 1, bakeMs: 1_000, drainMs: 1_000 });

describe(`concurrency: ${count} services deploying at once`, () => {
  const stack = useChaosStack('concurrency');

  it(
    'all of them go live, each with exactly its own resources',
    async () => {
      const started = Date.now();
      const results = await Promise.all(
        Array.from({ length: count }, async (_, i) => {
          const { deploymentId, handle } = await stack.client.start(specFor(i), 'concurrency');
          return { i, deploymentId, handle, result: await driveToEnd(handle) };
        }),
      );
      const histories = await expectHealthyHistories(
        stack.client.temporal,
        results.map((r) => r.handle),
      );
      process.stdout.write(
        `concurrency: ${count} deployments on one worker in ${Math.round((Date.now() - started) / 1000)} s; ${summarizeHistories(histories)}\n`,
      );
      expect(results.map((r) => r.result.phase)).toEqual(Array(count).fill('active'));
      for (const { i, deploymentId } of results) {
        expect(await findLeaks(stack.clients, { ...scopeOf(stack, specFor(i)), live: deploymentId })).toEqual([]);
      }
    },
    atAwsPace(15 * 60_000),
  );
});
