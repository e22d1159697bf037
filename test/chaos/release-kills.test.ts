// Chaos for releases: the worker is killed with SIGKILL mid-release (while its three services stage,
// at a lockstep step, in the drain every service holds in; in an ordered release, mid-way through the
// second service) and started again after a delay (at once, 3 s, 12 s: past the dead worker's sticky
// task timeout). The first release must go live, the second (a rollback sent right after its kill)
// must put every service back. After each: no leaked resource of any service, no moment at which a
// production rule sent traffic to something without a running service and healthy targets, and every
// history (the release's and each service's) replays with no failed workflow task of ours.
import { searchAttributes, serviceWorkflowId } from '../../src/shared/naming';
import { deploymentHandle, deploymentResult, type DeploymentHandle } from '../../src/client/handle';
import type { Phase } from '../../src/shared/deployment';
import type { ReleaseMode, ReleaseStatus } from '../../src/shared/release';
import type { LoadedRelease } from '../../src/spec/release';
import { rollbackSignal, statusQuery, testsPassedSignal } from '../../src/workflows/messages';
import {
  chaosSpec,
  driveToEnd,
  expectHealthyHistories,
  killableWorker,
  scopeOf,
  useChaosStack,
} from '../support/chaos';
import { summarizeHistories, type HistoryReport } from '../support/history-check';
import { findLeaks } from '../support/leak-checker';
import { atAwsPace } from '../support/servers';
import { watchTrafficSafety } from '../support/traffic-invariant';

const suffix = Date.now().toString(36).slice(-6);
const specs = ['ra', 'rb', 'rc'].map((p) => chaosSpec(`${p}${suffix}`, { bakeMs: 3_000, drainMs: 5_000 }));

interface Seen {
  phase?: Phase;
  status?: ReleaseStatus;
}
interface Point {
  name: string;
  reached: (s: Seen) => boolean;
  delayMs: number;
  /** Sent once the worker is back. */
  then?: (h: DeploymentHandle) => Promise<unknown>;
}

/** The release's phase and status; while no worker answers queries, the phase from its search attribute. */
async function observe(handle: DeploymentHandle): Promise<Seen> {
  const quickly = new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), 300));
  const [status, description] = await Promise.all([
    Promise.race([handle.query(statusQuery).catch(() => undefined), quickly]) as Promise<ReleaseStatus | undefined>,
    handle.describe(),
  ]);
  return {
    status,
    phase: status?.phase ?? (description.typedSearchAttributes.get(searchAttributes.phase) as Phase | undefined),
  };
}

describe('chaos: worker kills (SIGKILL) mid-release', () => {
  const stack = useChaosStack('release-chaos');
  const worker = killableWorker(stack);
  afterAll(async () => {
    await worker.stop();
  });

  it(
    'a lockstep release goes live and an ordered one rolls back, with no leak and no unsafe traffic moment',
    async () => {
      const live = new Map<string, string>();
      const histories: HistoryReport[] = [];
      for (const spec of specs) {
        const first = await stack.client.start(spec, 'chaos');
        expect(await driveToEnd(first.handle)).toMatchObject({ phase: 'active' });
        live.set(spec.service, first.deploymentId);
      }
      const watches = specs.map((s) => watchTrafficSafety(stack.clients, scopeOf(stack, s), 200));
      const lines: string[] = [];

      async function round(mode: ReleaseMode, image: string, points: Point[], expected: 'active' | 'rolled_back') {
        const loaded: LoadedRelease = {
          name: `chaos-${mode}-${suffix}`,
          mode,
          specs: specs.map((s) => ({ ...s, image })),
          testsTimeoutMs: 600_000,
          approval: { required: false, timeoutMs: 600_000, onTimeout: 'rollback' },
          ...(mode === 'lockstep' ? { plan: specs[0].traffic } : {}),
        };
        const { releaseId, handle, input } = await stack.client.release(loaded, 'chaos');
        const result = deploymentResult(handle);
        let done = false;
        void result.finally(() => (done = true)).catch(() => undefined);
        const pending = [...points];
        const killed: string[] = [];
        while (!done) {
          const seen = await observe(handle).catch(() => undefined);
          const point = pending[0];
          if (seen && point?.reached(seen)) {
            await worker.killAndRestart(point.delayMs);
            killed.push(`${point.name} (restarted after ${point.delayMs / 1000} s)`);
            pending.shift();
            await point.then?.(handle);
          } else if (seen?.phase === 'awaiting_tests') {
            await handle.signal(testsPassedSignal, { by: 'chaos' }).catch(() => undefined);
          }
          await new Promise((r) => setTimeout(r, 100));
        }
        const outcome = await result;
        lines.push(`${releaseId} (${mode}): ${outcome.phase}; killed at ${killed.join(', ')}`);
        expect(pending.map((p) => p.name)).toEqual([]);
        expect(outcome).toMatchObject({ phase: expected, leftovers: [] });
        // Every history: the release's, and each service's deployment (its run under the service's id).
        const children: DeploymentHandle[] = [];
        for (const s of input.services) {
          const workflowId = serviceWorkflowId(s.spec.service, s.spec.environment);
          const { runId } = await stack.client.temporal.workflow.getHandle(workflowId).describe();
          children.push(deploymentHandle(stack.client.temporal, workflowId, runId));
        }
        histories.push(...(await expectHealthyHistories(stack.client.temporal, [handle, ...children])));
        if (expected === 'active') for (const s of input.services) live.set(s.spec.service, s.deploymentId);
        for (const spec of specs)
          expect(await findLeaks(stack.clients, { ...scopeOf(stack, spec), live: live.get(spec.service) })).toEqual([]);
      }

      const stepOnEvery = (s: Seen) =>
        s.phase === 'activating' && (s.status?.release.services.every((x) => (x.stepsDone ?? 0) >= 1) ?? false);
      await round(
        'lockstep',
        'nginx:2',
        [
          {
            name: 'staging, every service started',
            reached: (s) =>
              s.phase === 'staging' && (s.status?.release.services.every((x) => x.phase !== 'pending') ?? false),
            delayMs: 0,
          },
          { name: 'lockstep, step 1 verified on every service', reached: stepOnEvery, delayMs: 3_000 },
          { name: 'every service draining', reached: (s) => s.phase === 'draining', delayMs: 12_000 },
        ],
        'active',
      );
      await round(
        'ordered',
        'nginx:3',
        [
          {
            name: 'ordered, the first service live and the second one taking its turn',
            reached: (s) => s.phase === 'activating' && s.status?.release.services[0].percent === 100,
            delayMs: 3_000,
            then: (h) => h.signal(rollbackSignal, { by: 'chaos', reason: 'killed mid-release' }),
          },
        ],
        'rolled_back',
      );

      const stopped = await Promise.all(watches.map((w) => w.stop()));
      const violations = stopped.flatMap((s) => s.violations);
      const checks = stopped.reduce((n, s) => n + s.checks, 0);
      process.stdout.write(
        `release chaos: ${checks} traffic checks, ${violations.length} violations; ${summarizeHistories(histories)}\n${lines.join('\n')}\n`,
      );
      expect(violations).toEqual([]);
    },
    atAwsPace(30 * 60_000),
  );
});
