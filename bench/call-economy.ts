// AWS call economy: the calls one deployment makes, by operation (counted by the behaviour proxy), for
// an all-at-once blue/green deployment, a 4-step canary (10/25/50/100%, a 3 s bake with a target-health
// check every second after each partial step) and a rolling update; then the describe rate while a
// deployment waits for a service that never becomes steady, first as is, then with every DescribeServices
// throttled (the SDK retries each describe 3 times; the wait itself backs off).
import { RegisterTaskDefinitionCommand } from '@aws-sdk/client-ecs';
import { createEc2Service } from '../src/dev/emulator/ec2-capacity';
import { demoAccount } from '../src/dev/demo';
import type { AnySpec, RollingSpec } from '../src/shared/deployment';
import type { Bake, TrafficPlan } from '../src/shared/traffic';
import { rollbackSignal, testsPassedSignal } from '../src/workflows/messages';
import {
  benchSpec,
  callsBetween,
  progress,
  round1,
  sleep,
  startBenchStack,
  totalOf,
  waitForStatus,
  type BenchStack,
  type Benchmark,
} from './support';

const bake: Bake = {
  durationMs: 3_000,
  intervalMs: 1_000,
  failureLimit: 0,
  checks: { alarms: [], maxUnhealthyTargets: 0 },
};
const canary4: TrafficPlan = {
  name: 'steps',
  steps: [10, 25, 50]
    .flatMap((percent) => [
      { kind: 'setWeight' as const, percent },
      { kind: 'bake' as const, bake },
    ])
    .concat([{ kind: 'setWeight', percent: 100 }]),
  finalBake: { ...bake, durationMs: 0 },
};

/** Runs one deployment to its end (passing the tests gate) and returns the calls it made by operation. */
async function callsOf(stack: BenchStack, spec: AnySpec): Promise<Record<string, number>> {
  const before = await stack.proxyStats();
  const { handle } = await stack.client.start(spec, 'bench');
  if (spec.strategy === 'blueGreen') {
    await waitForStatus(handle, (s) => s.phase === 'awaiting_tests', 50);
    await handle.signal(testsPassedSignal, { by: 'bench' });
  }
  const result = await handle.result();
  if (result.phase !== 'active') throw new Error(`${spec.service}: ${result.phase} (${result.reason})`);
  return callsBetween(before, await stack.proxyStats());
}

/** Describes of one service over `ms` while it waits (DescribeServices calls the proxy saw). */
async function describesOver(stack: BenchStack, ms: number): Promise<number> {
  const before = await stack.proxyStats();
  await sleep(ms);
  return callsBetween(before, await stack.proxyStats())['ECS.DescribeServices'] ?? 0;
}

const describeOps = (calls: Record<string, number>) =>
  totalOf(Object.fromEntries(Object.entries(calls).filter(([op]) => /\.(Describe|List|Get)/.test(op))));

export const callEconomy: Benchmark = {
  name: 'economy',
  title: 'AWS call economy',
  async run() {
    const stack = await startBenchStack('economy');
    try {
      await stack.startWorker();
      // Blue/green: a first deployment makes the service live, so the measured ones replace it.
      const spec = benchSpec('eco');
      await callsOf(stack, spec);
      const allAtOnce = await callsOf(stack, { ...spec, image: 'nginx:2' });
      progress(`all at once: ${totalOf(allAtOnce)} calls`);
      const canary = await callsOf(stack, { ...spec, image: 'nginx:3', traffic: canary4 });
      progress(`4-step canary: ${totalOf(canary)} calls`);

      // Rolling: an existing service, first updated once so the measured update has a known-good revision.
      const ecsService = 'eco-roll-bench';
      const taskDefinition = { containerDefinitions: [{ name: 'app', image: 'app:1', memory: 128 }] };
      const v1 = await stack.clients.ecs.send(
        new RegisterTaskDefinitionCommand({ family: ecsService, ...taskDefinition }),
      );
      // On EC2 capacity, and listed (a service just created is MISSING for a moment) before the update.
      await createEc2Service(stack.clients, {
        cluster: demoAccount.cluster,
        serviceName: ecsService,
        taskDefinition: v1.taskDefinition!.taskDefinitionArn,
        desiredCount: 2,
      });
      const rolling: RollingSpec = {
        strategy: 'rolling',
        service: 'eco-roll',
        environment: 'bench',
        cluster: demoAccount.cluster,
        taskDefinition,
        image: 'app:2',
        container: { name: 'app' },
        ecsService,
        timeouts: { steadyMs: 300_000 },
      };
      await callsOf(stack, rolling);
      const rollingCalls = await callsOf(stack, { ...rolling, image: 'app:3' });
      progress(`rolling: ${totalOf(rollingCalls)} calls`);

      // The describe rate while waiting: a service that never becomes steady.
      await stack.setScenario({ neverSteady: '^stuck-' });
      const stuck = benchSpec('stuck', { timeouts: { steadyMs: 150_000, testsMs: 3_600_000 } });
      const { handle } = await stack.client.start(stuck, 'bench');
      for (;;) {
        const pending = (await handle.describe()).raw.pendingActivities ?? [];
        if (pending.some((a) => a.activityType?.name === 'waitForServiceSteady')) break;
        await sleep(100);
      }
      const windowMs = 60_000;
      const waiting = await describesOver(stack, windowMs);
      progress(`waiting: ${waiting} DescribeServices in ${windowMs / 1000} s`);
      await stack.setScenario({
        neverSteady: '^stuck-',
        faults: { rate: 1, kinds: ['throttle'], operations: '^ECS\\.DescribeServices$', seed: 1 },
      });
      const throttledAttempts = await describesOver(stack, windowMs);
      progress(`throttled: ${throttledAttempts} DescribeServices attempts in ${windowMs / 1000} s`);
      await stack.setScenario({});
      await handle.signal(rollbackSignal, { by: 'bench' });
      await handle.result();

      const perFiveSeconds = round1(waiting / (windowMs / 5_000));
      const throttledDescribes = throttledAttempts / 3;
      const result = {
        callsPerDeployment: { allAtOnce, canary4Step: canary, rolling: rollingCalls },
        totals: { allAtOnce: totalOf(allAtOnce), canary4Step: totalOf(canary), rolling: totalOf(rollingCalls) },
        reads: {
          allAtOnce: describeOps(allAtOnce),
          canary4Step: describeOps(canary),
          rolling: describeOps(rollingCalls),
        },
        waitingForSteady: {
          windowSeconds: windowMs / 1000,
          describeServices: waiting,
          perResourcePer5s: perFiveSeconds,
        },
        throttled: {
          windowSeconds: windowMs / 1000,
          describeServicesAttempts: throttledAttempts,
          describes: round1(throttledDescribes),
          sdkAttemptsPerDescribe: 3,
        },
      };
      const top = (calls: Record<string, number>) =>
        Object.entries(calls)
          .sort(([, a], [, b]) => b - a)
          .slice(0, 3)
          .map(([op, n]) => `${op} ${n}`)
          .join(', ');
      return {
        result,
        rows: [
          {
            measure: 'calls per deployment: all at once',
            value: `${result.totals.allAtOnce} (${result.reads.allAtOnce} reads; most: ${top(allAtOnce)})`,
          },
          {
            measure: 'calls per deployment: 4-step canary (3 s bakes, target health checked every second)',
            value: `${result.totals.canary4Step} (${result.reads.canary4Step} reads; most: ${top(canary)})`,
          },
          {
            measure: 'calls per deployment: rolling update',
            value: `${result.totals.rolling} (${result.reads.rolling} reads; most: ${top(rollingCalls)})`,
          },
          {
            measure: 'describes while waiting, per resource per 5 s',
            value: `${perFiveSeconds} (${waiting} in ${windowMs / 1000} s)`,
            target: '≤ 1',
            met: perFiveSeconds <= 1,
          },
          {
            measure: 'same wait, every describe throttled',
            value: `${throttledAttempts} attempts = ${round1(throttledDescribes)} describes in ${windowMs / 1000} s (backs off)`,
            target: 'fewer than unthrottled',
            met: throttledDescribes < waiting,
          },
        ],
      };
    } finally {
      await stack.stop();
    }
  },
};
