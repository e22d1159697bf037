// Chaos: the worker is killed with SIGKILL at random moments across deployments (staging, gates, traffic
// steps, bakes, drain, teardown) and started again at once; every deployment must still reach its
// terminal state, with no leaked resource and no moment at which production sent traffic to something
// without a running service and healthy targets. Short in `npm test` (CHAOS_KILLS, default 4);
// `npm run chaos` kills at least 20 times.
import { startDeployment } from '../../src/deployment-client';
import { startCli, type LongRunningCli } from '../support/cli';
import { chaosSpec, driveToEnd, scopeOf, useChaosStack } from '../support/chaos';
import { findLeaks } from '../support/leak-checker';
import { watchTrafficSafety } from '../support/traffic-invariant';

const kills = Number(process.env.CHAOS_KILLS ?? 4);
const spec = chaosSpec(`ch${Date.now().toString(36).slice(-6)}`);

describe(`chaos: ${kills} worker kills (SIGKILL) across deployments`, () => {
  const stack = useChaosStack('chaos');
  let current: LongRunningCli | undefined;
  afterAll(async () => {
    current?.child.kill('SIGINT');
    await current?.exited;
  });

  async function killAndRestart(): Promise<void> {
    const running = current ?? stack.worker.worker;
    running.child.kill('SIGKILL');
    await running.exited;
    current = startCli(['worker'], stack.worker.env);
    await current.waitForOutput(/worker polling task queue/);
  }

  it('every deployment ends active, with no leak and no unsafe traffic moment', async () => {
    const watch = watchTrafficSafety(stack.clients, scopeOf(stack, spec), 100);
    let killed = 0;
    const outcomes: string[] = [];
    for (let round = 0; killed < kills; round++) {
      const { deploymentId, handle } = await startDeployment(stack.session, stack.temporal, { ...spec, image: `nginx:${round + 2}` }, 'chaos');
      const driven = driveToEnd(handle);
      let done = false;
      void driven.finally(() => (done = true)).catch(() => undefined);
      // Kill the worker one to three times per deployment, at random moments.
      const killsHere = Math.min(kills - killed, 1 + Math.floor(Math.random() * 3));
      for (let k = 0; k < killsHere && !done; k++) {
        await new Promise((r) => setTimeout(r, 300 + Math.random() * 3_000));
        if (done) break;
        await killAndRestart();
        killed += 1;
      }
      const outcome = await driven;
      outcomes.push(`${deploymentId}: ${outcome.phase}${outcome.reason ? ` (${outcome.reason})` : ''}`);
      expect(outcome).toMatchObject({ phase: 'active', leftovers: [] });
      expect(await findLeaks(stack.clients, { ...scopeOf(stack, spec), live: deploymentId })).toEqual([]);
    }
    const { violations, checks } = await watch.stop();
    process.stdout.write(`chaos: ${killed} kills over ${outcomes.length} deployments, ${checks} traffic checks, ${violations.length} violations\n${outcomes.join('\n')}\n`);
    expect(violations).toEqual([]);
  }, 30 * 60_000);
});
