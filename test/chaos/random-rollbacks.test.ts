// Chaos: rollback requested at random moments of deployments, some at the same instant as the tests
// gate passes. Each deployment has exactly one outcome, and AWS agrees with it: active → production on
// the new deployment and nothing else left; rolled back → production on the previous one (or, for a
// first deployment, nothing at all). Short in `npm test` (CHAOS_ROLLBACKS, default 4).
import { rollbackSignal, statusQuery, testsPassedSignal } from '../../src/workflows/messages';
import { chaosSpec, expectHealthyHistories, scopeOf, useChaosStack } from '../support/chaos';
import { summarizeHistories, type HistoryReport } from '../support/history-check';
import { findLeaks } from '../support/leak-checker';
import { watchTrafficSafety } from '../support/traffic-invariant';
import { atAwsPace } from '../support/servers';
import { deploymentResult } from '../../src/client/handle';

const rounds = Number(process.env.CHAOS_ROLLBACKS ?? 4);
const spec = chaosSpec(`rr${Date.now().toString(36).slice(-6)}`, {
  percent: 30,
  bakeMs: 1_500,
  finalBakeMs: 1_000,
  drainMs: 1_500,
});

describe(`chaos: ${rounds} rollbacks at random moments`, () => {
  const stack = useChaosStack('rollbacks');

  it(
    'each deployment has one outcome, and the account agrees with it',
    async () => {
      const watch = watchTrafficSafety(stack.clients, scopeOf(stack, spec), 100);
      let live: string | undefined;
      const outcomes: string[] = [];
      const histories: HistoryReport[] = [];
      for (let round = 0; round < rounds; round++) {
        const { deploymentId, handle } = await stack.client.start({ ...spec, image: `nginx:${round + 2}` }, 'chaos');
        for (let n = 0; n < 600 && (await handle.query(statusQuery)).phase !== 'awaiting_tests'; n++)
          await new Promise((r) => setTimeout(r, 50));
        // Half the rounds: rollback at the very moment the gate passes; the others: at a random moment after.
        const together = round % 2 === 0;
        await Promise.all([
          handle.signal(testsPassedSignal, { by: 'ci' }),
          (async () => {
            if (!together) await new Promise((r) => setTimeout(r, Math.random() * 7_000));
            await handle.signal(rollbackSignal, { by: 'chaos' }).catch(() => undefined);
          })(),
        ]);
        const result = await deploymentResult(handle);
        histories.push(...(await expectHealthyHistories(stack.client.temporal, [handle])));
        const status = await handle.query(statusQuery);
        const said = status.history
          .filter((h) => /^(ignored rollback|rollback requested)/.test(h.note))
          .map((h) => h.note);
        outcomes.push(
          `${deploymentId}: ${result.phase}${together ? ' (rollback with the gate)' : ''}${said.length ? `, ${said[0]}` : ''}`,
        );
        // A rollback the deployment accepted is binding; one it ignored (teardown had begun) is not.
        const accepted = said.some((note) => note.startsWith('rollback requested by'));
        expect(result.phase).toBe(accepted ? 'rolled_back' : 'active');
        if (result.phase === 'active') live = deploymentId;
        expect(await findLeaks(stack.clients, { ...scopeOf(stack, spec), live })).toEqual([]);
      }
      const { violations, checks } = await watch.stop();
      process.stdout.write(
        `rollbacks: ${rounds} deployments, ${outcomes.filter((o) => o.includes('rolled_back')).length} rolled back, ${checks} traffic checks, ${violations.length} violations; ${summarizeHistories(histories)}\n${outcomes.join('\n')}\n`,
      );
      expect(violations).toEqual([]);
    },
    atAwsPace(20 * 60_000),
  );
});
