// Chaos: the worker is killed with SIGKILL at named points of the lifecycle (creating, waiting for the
// service, each gate, a traffic step's bake, the drain, tear-down, a rollback in progress, and a rolling
// update's wait and rollback) and started again at once. Every deployment must reach the terminal state
// its round expects, with no leaked resource and no moment at which production sent traffic to something
// without a running service and healthy targets. A per-point coverage report is printed: a point the
// run could not catch fails the test. Short in `npm test` (CHAOS_KILLS, default 6: one blue/green
// deployment with a kill at each of its points); `npm run chaos` kills at least 20 times.
import { CreateServiceCommand, DescribeServicesCommand, RegisterTaskDefinitionCommand } from '@aws-sdk/client-ecs';
import { temporal } from '@temporalio/proto';
import { startDeployment, type DeploymentHandle } from '../../src/deployment-client';
import { demoAccount } from '../../src/dev/demo';
import { tagKeys } from '../../src/shared/naming';
import { phases, type AnySpec, type DeploymentStatus, type Phase, type RollingSpec } from '../../src/shared/deployment';
import { rollbackSignal, statusQuery, testsFailedSignal, testsPassedSignal } from '../../src/workflows/messages';
import { startCli, type LongRunningCli } from '../support/cli';
import { chaosSpec, driveToEnd, scopeOf, useChaosStack } from '../support/chaos';
import { findLeaks } from '../support/leak-checker';
import { setAwsScenario } from '../support/servers';
import { watchTrafficSafety } from '../support/traffic-invariant';

const kills = Number(process.env.CHAOS_KILLS ?? 6);
const suffix = Date.now().toString(36).slice(-6);
// Bake and drain long enough for the watcher (a query and a describe every 50 ms) to catch them.
const spec = chaosSpec(`ck${suffix}`, { bakeMs: 3_000, drainMs: 5_000 });
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

const inPhase = (phase: Phase) => ({ phase, reached: (o: Observation) => o.phase === phase });
const running = (phase: Phase, ...activities: string[]) => ({ phase, reached: (o: Observation) => o.phase === phase && o.activities.some((a) => activities.includes(a)) });
/** Lifecycle order (phases are listed in it): a deployment in a later phase has passed the point. */
const passed = (point: KillPoint, o: Observation) => o.phase !== undefined && phases.indexOf(o.phase) > phases.indexOf(point.phase);
const by = { by: 'chaos' };

/** The rounds, in the order they run; the run takes points from them until it has `kills`. */
const rounds: Round[] = [
  {
    strategy: 'blueGreen',
    expect: 'active',
    points: [
      { name: 'blue/green: staging (prerequisites, creates)', ...inPhase('staging') },
      { name: 'blue/green: waiting for the new service and targets', ...running('staging', 'waitForServiceSteady', 'waitForTargetsHealthy') },
      { name: 'blue/green: tests gate', ...inPhase('awaiting_tests'), then: (h) => h.signal(testsPassedSignal, by) },
      { name: 'blue/green: bake at 10%', phase: 'activating', reached: (o) => o.phase === 'activating' && o.percent === 10 && o.activities.length === 0 },
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
      { name: 'blue/green: tests gate, then tests failed', ...inPhase('awaiting_tests'), then: (h) => h.signal(testsFailedSignal, by) },
      { name: 'blue/green: rolling back', ...inPhase('rolling_back') },
    ],
  },
  {
    strategy: 'rolling',
    expect: 'rolled_back',
    points: [
      { name: 'rolling: waiting for the rollout, then rollback', ...running('updating', 'waitForRollout'), then: (h) => h.signal(rollbackSignal, by) },
      { name: 'rolling: rolling back to known good', ...inPhase('rolling_back') },
    ],
  },
];

/** Rounds cycled until they hold `total` kill points (the last one cut short). */
function plan(total: number): Round[] {
  const out: Round[] = [];
  for (let left = total, i = 0; left > 0; i++) {
    const round = rounds[i % rounds.length];
    out.push({ ...round, points: round.points.slice(0, left) });
    left -= round.points.length;
  }
  return out;
}

async function observe(handle: DeploymentHandle, since: number): Promise<Observation> {
  const [status, description] = await Promise.all([
    handle.query(statusQuery).catch(() => undefined as DeploymentStatus | undefined),
    handle.describe(),
  ]);
  const startedSince = (a: temporal.api.workflow.v1.IPendingActivityInfo) =>
    a.state === temporal.api.enums.v1.PendingActivityState.PENDING_ACTIVITY_STATE_STARTED && Number(a.lastStartedTime?.seconds ?? 0) * 1000 >= since;
  return {
    phase: status?.phase,
    percent: status?.traffic?.percent,
    activities: (description.raw.pendingActivities ?? []).filter(startedSince).map((a) => a.activityType?.name ?? ''),
  };
}

describe(`chaos: ${kills} worker kills (SIGKILL) at named lifecycle points`, () => {
  const stack = useChaosStack('chaos');
  let current: LongRunningCli | undefined;
  let rollingSpec: RollingSpec;
  afterAll(async () => {
    current?.child.kill('SIGINT');
    await current?.exited;
    await setAwsScenario({});
  });

  /** When the current worker started (whole seconds, as the server's start times compare). */
  let workerSince = 0;
  async function killAndRestart(): Promise<number> {
    const victim = current ?? stack.worker.worker;
    victim.child.kill('SIGKILL');
    await victim.exited;
    const started = Date.now();
    workerSince = Math.floor(started / 1000) * 1000;
    current = startCli(['worker'], stack.worker.env);
    await current.waitForOutput(/worker polling task queue/);
    return Date.now() - started;
  }

  async function rollingState() {
    const s = (await stack.clients.ecs.send(new DescribeServicesCommand({ cluster: rollingSpec.cluster, services: [rollingSpec.ecsService], include: ['TAGS'] }))).services![0];
    return { taskDefinition: s.taskDefinition!, deployments: s.deployments!.map((d) => `${d.status} ${d.rolloutState}`), knownGood: s.tags?.find((t) => t.key === tagKeys.knownGood)?.value };
  }

  it('every deployment reaches the state its round expects, with no leak and no unsafe traffic moment', async () => {
    // Service describes and tear-down deletes take 1.5 s, so the worker can be caught in the middle of
    // the waits and of tear-down.
    await setAwsScenario({ faults: { rate: 1, kinds: ['latency'], latencyMs: 1_500, operations: '^(ECS\\.DescribeServices|ECS\\.DeleteService|ELBv2\\.DeleteTargetGroup)$' } });
    const taskDefinition = { containerDefinitions: [{ name: 'app', image: 'app:1', memory: 128 }] };
    rollingSpec = { strategy: 'rolling', service: rollingService, environment: 'test', cluster: demoAccount.cluster, taskDefinition, image: 'app:1', container: { name: 'app' }, ecsService: `${rollingService}-test`, timeouts: { steadyMs: 120_000 } };
    const v1 = await stack.clients.ecs.send(new RegisterTaskDefinitionCommand({ family: rollingSpec.ecsService, ...taskDefinition }));
    await stack.clients.ecs.send(new CreateServiceCommand({ cluster: rollingSpec.cluster, serviceName: rollingSpec.ecsService, taskDefinition: v1.taskDefinition!.taskDefinitionArn, desiredCount: 2 }));

    // A first deployment goes to 100% at once and has nothing to drain or tear down: make one, unharmed.
    const first = await startDeployment(stack.session, stack.temporal, spec, 'chaos');
    expect(await driveToEnd(first.handle)).toMatchObject({ phase: 'active' });
    let live = first.deploymentId;

    const watch = watchTrafficSafety(stack.clients, scopeOf(stack, spec), 100);
    const coverage = new Map<string, number>();
    const lines: string[] = [];
    const restartMs: number[] = [];
    let killed = 0;
    for (const [i, round] of plan(kills).entries()) {
      const deploySpec: AnySpec = round.strategy === 'rolling' ? { ...rollingSpec, image: `app:${i + 2}` } : { ...spec, image: `nginx:${i + 2}` };
      const before = round.strategy === 'rolling' ? await rollingState() : undefined;
      const { deploymentId, handle } = await startDeployment(stack.session, stack.temporal, deploySpec, 'chaos');
      const result = handle.result();
      let done = false;
      void result.finally(() => (done = true)).catch(() => undefined);
      const points = [...round.points];
      const missed: string[] = [];
      while (!done) {
        const seen = await observe(handle, workerSince).catch(() => undefined);
        while (seen && points[0] && passed(points[0], seen)) missed.push(points.shift()!.name);
        const point = points[0];
        if (seen && point?.reached(seen)) {
          restartMs.push(await killAndRestart());
          killed += 1;
          coverage.set(point.name, (coverage.get(point.name) ?? 0) + 1);
          points.shift();
          await point.then?.(handle);
        } else if (seen?.phase === 'awaiting_tests' && point?.phase !== 'awaiting_tests') {
          await handle.signal(round.expect === 'active' ? testsPassedSignal : testsFailedSignal, by);
        }
        await new Promise((r) => setTimeout(r, 50));
      }
      missed.push(...points.map((p) => p.name));
      const outcome = await result;
      lines.push(`${deploymentId} (${round.strategy}): ${outcome.phase}${outcome.reason ? ` (${outcome.reason})` : ''}; missed ${missed.join(', ') || 'none'}`);
      expect(outcome).toMatchObject({ phase: round.expect, leftovers: [] });
      if (round.strategy === 'blueGreen') {
        if (round.expect === 'active') live = deploymentId;
        expect(await findLeaks(stack.clients, { ...scopeOf(stack, spec), live })).toEqual([]);
      } else {
        const after = await rollingState();
        expect(after.deployments).toEqual(['PRIMARY COMPLETED']);
        if (round.expect === 'active') expect(after).toMatchObject({ knownGood: after.taskDefinition, taskDefinition: expect.stringMatching(new RegExp(`${rollingSpec.ecsService}:\\d+$`)) });
        else expect(after).toMatchObject({ taskDefinition: before!.knownGood ?? before!.taskDefinition, knownGood: before!.knownGood });
        if (round.expect === 'active') expect(after.taskDefinition).not.toBe(before!.taskDefinition);
      }
      expect(missed).toEqual([]);
    }
    const { violations, checks } = await watch.stop();
    const report = [...coverage].map(([name, n]) => `  ${name}: ${n}`).join('\n');
    const sorted = [...restartMs].sort((a, b) => a - b);
    process.stdout.write(
      `chaos: ${killed} kills over ${lines.length} deployments, ${checks} traffic checks, ${violations.length} violations; worker restart p50 ${sorted[Math.floor(sorted.length / 2)]} ms\nkills by lifecycle point:\n${report}\n${lines.join('\n')}\n`,
    );
    expect(killed).toBe(kills);
    expect(violations).toEqual([]);
  }, 45 * 60_000);
});
