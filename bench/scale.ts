// Scale: (1) BENCH_PARKED deployments of different services (default 1,000) started at once and parked
// at the approval gate, on one worker process: its resident memory and the time until all are parked;
// (2) BENCH_E2E deployments (default 200) run end to end (all at once, no approval, no drain) with one
// worker process and with three, each on a fresh stack: deployments per minute. Workers run with the
// SDK's default concurrency (40 workflow tasks, 100 activities, 100 local activities at once, workflow
// cache sized from the heap). The tests gate is answered through Temporal visibility (the
// SwitchyardPhase search attribute), as a CI system watching many deployments would.
//
// Services are spread over 20 listeners of the seeded load balancer (50 services, 100 rules each): AWS
// allows 100 rules per load balancer by default, so real accounts spread them too.
import type { Client } from '@temporalio/client';
import type { DeploymentHandle } from '../src/client/handle';
import { demoAccount } from '../src/dev/demo';
import { testsPassedSignal } from '../src/workflows/messages';
import {
  benchSpec,
  cpuMeter,
  progress,
  round1,
  sleep,
  startBenchStack,
  type BenchStack,
  type Benchmark,
  type WorkerProcess,
} from './support';

const listeners = 20;
const listenerPort = (i: number) => 8_001 + (i % listeners);

async function prepareListeners(stack: BenchStack): Promise<void> {
  const lb = (await stack.aws.findLoadBalancer({ loadBalancer: demoAccount.loadBalancer }))!;
  for (let i = 0; i < listeners; i++)
    await stack.aws.ensureListener({ loadBalancerArn: lb.arn, port: listenerPort(i) });
}

/** Answers the tests gate of every deployment visibility shows waiting for it, until stopped. */
function passTestsGates(client: Client): { stop(): Promise<void> } {
  let running = true;
  const loop = (async () => {
    while (running) {
      for await (const wf of client.workflow.list({
        query: `SwitchyardPhase = 'awaiting_tests' AND ExecutionStatus = 'Running'`,
      })) {
        await client.workflow
          .getHandle(wf.workflowId, wf.runId)
          .signal(testsPassedSignal, { by: 'bench' })
          .catch(() => undefined);
      }
      await sleep(1_000);
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
    },
  };
}

/** Starts `n` deployments, `parallel` starts at a time; returns their handles. */
async function startMany(
  stack: BenchStack,
  n: number,
  prefix: string,
  approval: boolean,
  parallel = 25,
): Promise<DeploymentHandle[]> {
  const handles: DeploymentHandle[] = [];
  for (let i = 0; i < n; i += parallel) {
    const batch = Array.from({ length: Math.min(parallel, n - i) }, (_, j) => i + j);
    handles.push(
      ...(await Promise.all(
        batch.map(async (k) => {
          const service = `${prefix}${k}`;
          const spec = benchSpec(service, {
            desiredCount: 1,
            loadBalancer: { name: demoAccount.loadBalancer, listenerPort: listenerPort(k) },
            approval: { required: approval, timeoutMs: 7 * 86_400_000, onTimeout: 'rollback' },
          });
          return (await stack.client.start(spec, 'bench')).handle;
        }),
      )),
    );
  }
  return handles;
}

const count = async (client: Client, query: string) => (await client.workflow.count(query)).count;

async function parkAtApproval(n: number) {
  const stack = await startBenchStack('scale-park');
  try {
    await prepareListeners(stack);
    const worker = await stack.startWorker();
    const client = stack.client.temporal;
    let peak = worker.memory().peakMiB;
    const sampler = setInterval(() => (peak = Math.max(peak, worker.memory().peakMiB)), 1_000);
    const gates = passTestsGates(client);
    const started = performance.now();
    await startMany(stack, n, 'park', true);
    const startedAllMs = performance.now() - started;
    progress(`${n} deployments started in ${Math.round(startedAllMs / 1000)} s`);
    let parked = 0;
    let lastReport = 0;
    for (;;) {
      parked = await count(client, `SwitchyardPhase = 'awaiting_approval' AND ExecutionStatus = 'Running'`);
      const ended = await count(client, `ExecutionStatus != 'Running'`);
      if (parked + ended >= n) {
        if (ended) progress(`${ended} deployments ended instead of parking`);
        break;
      }
      if (performance.now() - lastReport > 30_000) {
        lastReport = performance.now();
        progress(
          `${parked}/${n} parked at approval after ${Math.round((performance.now() - started) / 1000)} s; worker RSS ${worker.memory().rssMiB} MiB`,
        );
      }
      await sleep(2_000);
    }
    const parkedAllMs = performance.now() - started;
    await gates.stop();
    // Parked: the worker holds them (cached or evicted) while nothing happens.
    await sleep(30_000);
    clearInterval(sampler);
    const memory = worker.memory();
    return {
      deployments: n,
      parked,
      startsMs: Math.round(startedAllMs),
      allParkedMs: Math.round(parkedAllMs),
      workerRssParkedMiB: memory.rssMiB,
      workerPeakRssMiB: Math.max(peak, memory.peakMiB),
    };
  } finally {
    await stack.stop();
  }
}

async function endToEnd(n: number, workers: number) {
  const stack = await startBenchStack(`scale-e2e${workers}`);
  try {
    await prepareListeners(stack);
    const processes: WorkerProcess[] = [];
    for (let i = 0; i < workers; i++) processes.push(await stack.startWorker());
    const gates = passTestsGates(stack.client.temporal);
    const cpu = cpuMeter();
    const started = performance.now();
    const handles = await startMany(stack, n, `e${workers}w`, false);
    const results = await Promise.all(handles.map((h) => h.result()));
    const ms = performance.now() - started;
    const machineBusy = Math.round(cpu.busy() * 100);
    await gates.stop();
    const active = results.filter((r) => r.phase === 'active').length;
    const perMinute = round1((active / ms) * 60_000);
    progress(
      `${workers} worker(s): ${active}/${n} active in ${Math.round(ms / 1000)} s = ${perMinute}/min, machine CPU ${machineBusy}% busy`,
    );
    return {
      workers,
      deployments: n,
      active,
      seconds: round1(ms / 1000),
      perMinute,
      machineCpuBusyPercent: machineBusy,
      workerPeakRssMiB: processes.map((p) => p.memory().peakMiB),
    };
  } finally {
    await stack.stop();
  }
}

export const scale: Benchmark = {
  name: 'scale',
  title: 'Scale',
  async run() {
    const parkedN = Number(process.env.BENCH_PARKED ?? 1_000);
    const e2eN = Number(process.env.BENCH_E2E ?? 200);
    const parked = await parkAtApproval(parkedN);
    const one = await endToEnd(e2eN, 1);
    const three = await endToEnd(e2eN, 3);
    const speedup = round1(three.perMinute / one.perMinute);
    return {
      result: {
        parked,
        endToEnd: { one, three, speedup },
        workerSettings:
          'SDK defaults: 40 workflow tasks, 100 activities, 100 local activities at once; workflow cache sized from the heap',
      },
      rows: [
        {
          measure: `${parkedN} deployments parked at approval, one worker: resident memory (peak)`,
          value: `${parked.workerRssParkedMiB} MiB parked (peak ${parked.workerPeakRssMiB} MiB)`,
          target: '≤ 1 GiB',
          met: parked.workerPeakRssMiB <= 1024 && parked.parked === parkedN,
        },
        {
          measure: `time to start ${parkedN} / to have all parked`,
          value: `${round1(parked.startsMs / 1000)} s / ${round1(parked.allParkedMs / 1000)} s (${parked.parked} parked)`,
        },
        {
          measure: `${e2eN} deployments end to end: 1 worker vs 3 worker processes (machine CPU busy)`,
          value: `${one.perMinute}/min (${one.machineCpuBusyPercent}%) vs ${three.perMinute}/min (${three.machineCpuBusyPercent}%) = ${speedup}×`,
          target: '≥ 2.5×',
          met: speedup >= 2.5,
        },
      ],
    };
  },
};
