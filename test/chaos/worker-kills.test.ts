// Chaos: the worker is killed with SIGKILL at named points of the lifecycle (creating, waiting for the
// service, each gate, a traffic step's bake, the bake at 100%, the drain, tear-down, a rollback in
// progress, and a rolling update's wait and rollback) and started again after a delay: at once, before
// the dead worker's sticky task times out (2 s), after it (12 s), and past the activity heartbeat
// timeout (25 s). Bakes are short (3 s), so a bake's time runs out while no worker runs. The deployment's
// status is queried all along. Every deployment must reach the terminal state its round expects, with no
// leaked resource, no moment at which production sent traffic to something without a running service and
// healthy targets, and a history that replays with no failed workflow task of ours (each is checked after
// its round). A per-point coverage report is printed: a point the run could not catch fails the test.
// `npm test`: one blue/green deployment killed at each of its points, the delays taken in turn;
// `npm run chaos` (CHAOS_MATRIX=1): every point of every round at every delay. CHAOS_RESTART_DELAYS
// (seconds, comma-separated) sets the delays.
import { DescribeServicesCommand, RegisterTaskDefinitionCommand } from '@aws-sdk/client-ecs';
import { temporal } from '@temporalio/proto';
import { deploymentResult, type DeploymentHandle } from '../../src/client/handle';
import { demoAccount } from '../../src/dev/demo';
import { searchAttributes, tagKeys } from '../../src/shared/naming';
import { phases, type AnySpec, type DeploymentStatus, type Phase, type RollingSpec } from '../../src/shared/deployment';
import {
  approveSignal,
  rollbackSignal,
  statusQuery,
  testsFailedSignal,
  testsPassedSignal,
} from '../../src/workflows/messages';
import {
  chaosSpec,
  driveToEnd,
  expectHealthyHistories,
  keepQuerying,
  killableWorker,
  scopeOf,
  useChaosStack,
} from '../support/chaos';
import { summarizeHistories, type HistoryReport } from '../support/history-check';
import { findLeaks } from '../support/leak-checker';
import { atAwsPace, iamPropagationMs, setAwsScenario } from '../support/servers';
import { watchTrafficSafety } from '../support/traffic-invariant';
import { createEc2Service } from '../../src/dev/emulator/ec2-capacity';

const matrix = process.env.CHAOS_MATRIX === '1';
const delaysMs = (process.env.CHAOS_RESTART_DELAYS ?? '0,2,12,25').split(',').map((s) => Number(s) * 1000);
const suffix = Date.now().toString(36).slice(-6);
// Bakes and drain long enough for the watcher (a query and a describe every 50 ms) to catch them.
const spec = chaosSpec(`ck${suffix}`, { bakeMs: 3_000, finalBakeMs: 3_000, drainMs: 5_000, approval: true });
const rollingService = `cr${suffix}`;

/**
 * What the watcher sees of a deployment: its phase and traffic (query) and the activities running on the
 * current worker (server: started since the last restart; a killed worker's attempt stays pending until
 * it times out, and must not count).
 */
interface Observation {
  phase?: Phase;
  percent?: number;
  activities: string[];
}

interface KillPoint {
  name: string;
  /** The phase the point is in: once the deployment is past it, the point was missed. */
  phase: Phase;
  reached(o: Observation): boolean;
  /** Sent once the worker is back (e.g. fail the tests gate so the round rolls back). */
  then?: (handle: DeploymentHandle) => Promise<unknown>;
}

interface Round {
  strategy: 'blueGreen' | 'rolling';
  points: KillPoint[];
  expect: 'active' | 'rolled_back';
}

/** A kill point as the run takes it: with the delay before the worker starts again. */
type Kill = KillPoint & { delayMs: number };

const inPhase = (phase: Phase) => ({ phase, reached: (o: Observation) => o.phase === phase });
const running = (phase: Phase, ...activities: string[]) => ({
  phase,
  reached: (o: Observation) => o.phase === phase && o.activities.some((a) => activities.includes(a)),
});
/** Lifecycle order (phases are listed in it): a deployment in a later phase has passed the point. */
const passed = (point: KillPoint, o: Observation) =>
  o.phase !== undefined && phases.indexOf(o.phase) > phases.indexOf(point.phase);
const by = { by: 'chaos' };

/** The rounds, in the order they run (see `plan`). */
const rounds: Round[] = [
  {
    strategy: 'blueGreen',
    expect: 'active',
    points: [
      { name: 'blue/green: staging (prerequisites, creates)', ...inPhase('staging') },
      {
        name: 'blue/green: waiting for the new service and targets',
        ...running('staging', 'waitForServiceSteady', 'waitForTargetsHealthy'),
      },
      { name: 'blue/green: tests gate', ...inPhase('awaiting_tests'), then: (h) => h.signal(testsPassedSignal, by) },
      { name: 'blue/green: approval gate', ...inPhase('awaiting_approval'), then: (h) => h.signal(approveSignal, by) },
      {
        name: 'blue/green: bake at 10%',
        phase: 'activating',
        reached: (o) => o.phase === 'activating' && o.percent === 10 && o.activities.length === 0,
      },
      { name: 'blue/green: bake at 100%', ...inPhase('baking') },
      { name: 'blue/green: draining', ...inPhase('draining') },
      { name: 'blue/green: tearing down the previous deployment', ...inPhase('tearing_down') },
    ],
  },
  {
    strategy: 'rolling',
    expect: 'active',
    points: [
      { name: 'rolling: updating the service', ...inPhase('updating') },
      { name: 'rolling: waiting for the rollout', ...running('updating', 'waitForRollout') },
    ],
  },
  {
    strategy: 'blueGreen',
    expect: 'rolled_back',
    points: [
      {
        name: 'blue/green: tests gate, then tests failed',
        ...inPhase('awaiting_tests'),
        then: (h) => h.signal(testsFailedSignal, by),
      },
      { name: 'blue/green: rolling back', ...inPhase('rolling_back') },
    ],
  },
  {
    strategy: 'rolling',
    expect: 'rolled_back',
    points: [
      {
        name: 'rolling: waiting for the rollout, then rollback',
        ...running('updating', 'waitForRollout'),
        then: (h) => h.signal(rollbackSignal, by),
      },
      { name: 'rolling: rolling back to known good', ...inPhase('rolling_back') },
    ],
  },
];

/**
 * The rounds to run, each with its kills. The matrix: every round once per delay, every point at that
 * delay. Otherwise the first round, its points taking the delays in turn.
 */
function plan(): (Omit<Round, 'points'> & { kills: Kill[] })[] {
  if (matrix)
    return delaysMs.flatMap((delayMs) =>
      rounds.map((r) => ({ ...r, kills: r.points.map((p) => ({ ...p, delayMs })) })),
    );
  return [{ ...rounds[0], kills: rounds[0].points.map((p, i) => ({ ...p, delayMs: delaysMs[i % delaysMs.length] })) }];
}
const killCount = plan().reduce((n, r) => n + r.kills.length, 0);

/**
 * What the deployment is doing. A query sent just after a restart waits for the dead worker's sticky
 * queue to time out (10 s), longer than a short point lasts: it gets 300 ms, then the phase comes from
 * the search attribute the workflow sets as it enters each phase (the same moment the query reports).
 */
async function observe(handle: DeploymentHandle, since: number): Promise<Observation> {
  const quickly = new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), 300));
  const [status, description] = await Promise.all([
    Promise.race([handle.query(statusQuery).catch(() => undefined as DeploymentStatus | undefined), quickly]),
    handle.describe(),
  ]);
  const startedSince = (a: temporal.api.workflow.v1.IPendingActivityInfo) =>
    a.state === temporal.api.enums.v1.PendingActivityState.PENDING_ACTIVITY_STATE_STARTED &&
    Number(a.lastStartedTime?.seconds ?? 0) * 1000 >= since;
  return {
    phase: status?.phase ?? (description.typedSearchAttributes.get(searchAttributes.phase) as Phase | undefined),
    percent: status?.traffic?.percent,
    activities: (description.raw.pendingActivities ?? []).filter(startedSince).map((a) => a.activityType?.name ?? ''),
  };
}

describe(`chaos: ${killCount} worker kills (SIGKILL) at named lifecycle points, restarted after ${delaysMs.map((d) => d / 1000).join(', ')} s`, () => {
  const stack = useChaosStack('chaos');
  const worker = killableWorker(stack);
  let rollingSpec: RollingSpec;
  afterAll(async () => {
    await worker.stop();
    await setAwsScenario({});
  });

  async function rollingState() {
    const s = (
      await stack.clients.ecs.send(
        new DescribeServicesCommand({
          cluster: rollingSpec.cluster,
          services: [rollingSpec.ecsService],
          include: ['TAGS'],
        }),
      )
    ).services![0];
    return {
      taskDefinition: s.taskDefinition!,
      deployments: s.deployments!.map((d) => `${d.status} ${d.rolloutState}`),
      knownGood: s.tags?.find((t) => t.key === tagKeys.knownGood)?.value,
    };
  }

  it(
    'every deployment reaches the state its round expects, with no leak and no unsafe traffic moment',
    async () => {
      // Service describes and tear-down deletes take 1.5 s, so the worker can be caught in the middle of
      // the waits and of tear-down.
      await setAwsScenario({
        faults: {
          rate: 1,
          kinds: ['latency'],
          latencyMs: 1_500,
          operations: '^(ECS\\.DescribeServices|ECS\\.DeleteService|ELBv2\\.DeleteTargetGroup)$',
        },
      });
      const taskDefinition = { containerDefinitions: [{ name: 'app', image: 'app:1', memory: 128 }] };
      rollingSpec = {
        strategy: 'rolling',
        service: rollingService,
        environment: 'test',
        cluster: demoAccount.cluster,
        taskDefinition,
        image: 'app:1',
        container: { name: 'app' },
        ecsService: `${rollingService}-test`,
        timeouts: { steadyMs: 120_000 },
        iamPropagationMs,
      };
      const v1 = await stack.clients.ecs.send(
        new RegisterTaskDefinitionCommand({ family: rollingSpec.ecsService, ...taskDefinition }),
      );
      await createEc2Service(stack.clients, {
        cluster: rollingSpec.cluster,
        serviceName: rollingSpec.ecsService,
        taskDefinition: v1.taskDefinition!.taskDefinitionArn,
        desiredCount: 2,
      });

      // A first deployment goes to 100% at once and has nothing to drain or tear down: make one, unharmed.
      const first = await stack.client.start({ ...spec, approval: { ...spec.approval, required: false } }, 'chaos');
      expect(await driveToEnd(first.handle)).toMatchObject({ phase: 'active' });
      let live = first.deploymentId;
      const histories: HistoryReport[] = await expectHealthyHistories(stack.client.temporal, [first.handle]);

      const watch = watchTrafficSafety(stack.clients, scopeOf(stack, spec), 100);
      const coverage = new Map<string, number>();
      const lines: string[] = [];
      const restartMs: number[] = [];
      let killed = 0;
      for (const [i, round] of plan().entries()) {
        const deploySpec: AnySpec =
          round.strategy === 'rolling'
            ? { ...rollingSpec, image: `app:${i + 2}` }
            : { ...spec, image: `nginx:${i + 2}` };
        const before = round.strategy === 'rolling' ? await rollingState() : undefined;
        const { deploymentId, handle } = await stack.client.start(deploySpec, 'chaos');
        const stopQuerying = keepQuerying(handle);
        const result = deploymentResult(handle);
        let done = false;
        void result.finally(() => (done = true)).catch(() => undefined);
        const points = [...round.kills];
        const missed: string[] = [];
        while (!done) {
          const seen = await observe(handle, worker.since).catch(() => undefined);
          while (seen && points[0] && passed(points[0], seen)) missed.push(points.shift()!.name);
          const point = points[0];
          if (seen && point?.reached(seen)) {
            restartMs.push(await worker.killAndRestart(point.delayMs));
            killed += 1;
            const label = `${point.name}, restarted after ${point.delayMs / 1000} s`;
            coverage.set(label, (coverage.get(label) ?? 0) + 1);
            points.shift();
            await point.then?.(handle);
          } else if (seen?.phase === 'awaiting_tests' && point?.phase !== 'awaiting_tests') {
            await handle.signal(round.expect === 'active' ? testsPassedSignal : testsFailedSignal, by);
          } else if (seen?.phase === 'awaiting_approval' && point?.phase !== 'awaiting_approval') {
            await handle.signal(approveSignal, by);
          }
          await new Promise((r) => setTimeout(r, 50));
        }
        expect(await stopQuerying()).toEqual([]);
        missed.push(...points.map((p) => p.name));
        const outcome = await result;
        histories.push(...(await expectHealthyHistories(stack.client.temporal, [handle])));
        lines.push(
          `${deploymentId} (${round.strategy}): ${outcome.phase}${outcome.reason ? ` (${outcome.reason})` : ''}; missed ${missed.join(', ') || 'none'}`,
        );
        expect(outcome).toMatchObject({ phase: round.expect, leftovers: [] });
        if (round.strategy === 'blueGreen') {
          if (round.expect === 'active') live = deploymentId;
          expect(await findLeaks(stack.clients, { ...scopeOf(stack, spec), live })).toEqual([]);
        } else {
          const after = await rollingState();
          expect(after.deployments).toEqual(['PRIMARY COMPLETED']);
          if (round.expect === 'active')
            expect(after).toMatchObject({
              knownGood: after.taskDefinition,
              taskDefinition: expect.stringMatching(new RegExp(`${rollingSpec.ecsService}:\\d+$`)),
            });
          else
            expect(after).toMatchObject({
              taskDefinition: before!.knownGood ?? before!.taskDefinition,
              knownGood: before!.knownGood,
            });
          if (round.expect === 'active') expect(after.taskDefinition).not.toBe(before!.taskDefinition);
        }
        expect(missed).toEqual([]);
      }
      const { violations, checks } = await watch.stop();
      const report = [...coverage].map(([name, n]) => `  ${name}: ${n}`).join('\n');
      const sorted = [...restartMs].sort((a, b) => a - b);
      process.stdout.write(
        `chaos: ${killed} kills over ${lines.length} deployments, ${checks} traffic checks, ${violations.length} violations; worker start p50 ${sorted[Math.floor(sorted.length / 2)]} ms; ${summarizeHistories(histories)}\nkills by lifecycle point:\n${report}\n${lines.join('\n')}\n`,
      );
      expect(killed).toBe(killCount);
      expect(violations).toEqual([]);
    },
    atAwsPace(90 * 60_000),
  );
});
