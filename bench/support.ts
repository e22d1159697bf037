// What every benchmark stands on: the embedded stack (Temporal dev server, moto behind the behaviour
// proxy, the seeded account) started fresh, worker processes started from the built CLI, the proxy's
// call counts, a blue/green spec with every wait at zero, and the statistics the results are stated in.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createActivities } from '../src/activities';
import { destroyAwsClients } from '../src/aws/clients';
import type { Config } from '../src/config';
import type { DeploymentHandle } from '../src/client/handle';
import type { SwitchyardClient } from '../src/client/switchyard-client';
import { EmulatorControl } from '../src/dev/emulator/control';
import type { BehaviourScenarioJson, ProxyStats } from '../src/dev/emulator/server';
import { demoAccount, emulatorCredentials } from '../src/dev/demo';
import { freePort } from '../src/dev/processes';
import { createAccountClients, type AccountClients } from '../src/dev/seed';
import { startDevStack } from '../src/dev/stack';
import type { DeploymentSpec, DeploymentStatus } from '../src/shared/deployment';
import type { TrafficPlan } from '../src/shared/traffic';
import { statusQuery } from '../src/workflows/messages';
import { fargate } from '../test/support/fargate';

/** The repository root (benchmarks run from dist-bench/bench/). */
export const root = path.resolve(__dirname, '..', '..');

export interface BenchRow {
  measure: string;
  value: string;
  target?: string;
  met?: boolean;
}

export interface BenchOutcome {
  result: Record<string, unknown>;
  rows: BenchRow[];
}

export interface Benchmark {
  name: string;
  title: string;
  run(): Promise<BenchOutcome>;
}

// ---- statistics ---------------------------------------------------------------------------------------

export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}
export const round1 = (x: number) => Math.round(x * 10) / 10;
export const summary = (values: number[]) => ({
  n: values.length,
  p50: round1(percentile(values, 50)),
  p99: round1(percentile(values, 99)),
  max: round1(Math.max(...values)),
});
export const median = (values: number[]) => percentile(values, 50);
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Machine CPU use between two readings of /proc/stat, as the busy share of all cores (0-1). */
export function cpuMeter(): { busy(): number } {
  const read = () => {
    const [, ...fields] = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).map(Number);
    const idle = fields[3] + (fields[4] ?? 0);
    return { idle, total: fields.reduce((a, b) => a + b, 0) };
  };
  const start = read();
  return {
    busy() {
      const now = read();
      return 1 - (now.idle - start.idle) / Math.max(1, now.total - start.total);
    },
  };
}

export function progress(line: string): void {
  process.stderr.write(`  ${line}\n`);
}

// ---- the stack ----------------------------------------------------------------------------------------

export interface BenchStack {
  config: Config;
  clients: AccountClients;
  aws: ReturnType<typeof createActivities>;
  client: SwitchyardClient;
  /** The seeded load balancer's listener on port 80. */
  listenerArn: string;
  /** Starts a worker process (`switchyard worker`) on the stack's task queue. */
  startWorker(env?: NodeJS.ProcessEnv): Promise<WorkerProcess>;
  proxyStats(): Promise<ProxyStats>;
  setScenario(scenario: BehaviourScenarioJson): Promise<void>;
  stop(): Promise<void>;
}

export interface WorkerProcess {
  child: ChildProcess;
  /** Resident memory now and at its peak (VmRSS, VmHWM), in MiB. */
  memory(): { rssMiB: number; peakMiB: number };
  stop(): Promise<void>;
}

function memoryOf(pid: number): { rssMiB: number; peakMiB: number } {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { rssMiB: Math.round(kib('VmRSS') / 1024), peakMiB: Math.round(kib('VmHWM') / 1024) };
}

export async function startBenchStack(label: string): Promise<BenchStack> {
  // The installed tools are found relative to the code, which here is compiled elsewhere.
  process.env.SWITCHYARD_HOME ??= path.join(root, '.switchyard');
  const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), `switchyard-bench-${label}-`));
  const stack = await startDevStack({
    temporalPort: await freePort(),
    uiPort: await freePort(),
    awsPort: await freePort(),
    namespace: 'default',
    taskQueue: `bench-${label}`,
    stateDir,
  });
  const { temporal, aws: awsConfig } = stack.config;
  const clients = createAccountClients({ ...awsConfig, credentials: emulatorCredentials });
  const aws = createActivities(clients);
  const workers: WorkerProcess[] = [];
  const listenerArn = await aws.ensureListener({
    loadBalancerArn: (await aws.findLoadBalancer({ loadBalancer: demoAccount.loadBalancer }))!.arn,
    port: 80,
  });
  const emulator = new EmulatorControl(awsConfig.endpoint!);

  return {
    config: stack.config,
    clients,
    aws,
    client: stack.client,
    listenerArn,
    async startWorker(env = {}) {
      const child = spawn(process.execPath, [path.join(root, 'dist', 'cli', 'main.js'), 'worker'], {
        env: {
          ...process.env,
          TEMPORAL_ADDRESS: temporal.address,
          SWITCHYARD_TASK_QUEUE: temporal.taskQueue,
          AWS_ENDPOINT_URL: awsConfig.endpoint,
          AWS_REGION: awsConfig.region,
          AWS_ACCESS_KEY_ID: emulatorCredentials.accessKeyId,
          AWS_SECRET_ACCESS_KEY: emulatorCredentials.secretAccessKey,
          ...env,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      child.stderr!.on('data', (d: Buffer) => (output = (output + d.toString()).slice(-4_000)));
      await new Promise<void>((resolve, reject) => {
        child.stdout!.on('data', (d: Buffer) => d.toString().includes('worker polling') && resolve());
        child.once('exit', (code) => reject(new Error(`the worker exited (${code}) before polling: ${output}`)));
      });
      const exited = new Promise((r) => child.once('exit', r));
      const worker: WorkerProcess = {
        child,
        memory: () => memoryOf(child.pid!),
        async stop() {
          child.kill('SIGINT');
          await Promise.race([exited, sleep(20_000).then(() => child.kill('SIGKILL'))]);
        },
      };
      workers.push(worker);
      return worker;
    },
    proxyStats: () => emulator.stats(),
    setScenario: (scenario) => emulator.setScenario(scenario),
    async stop() {
      for (const w of workers) await w.stop();
      destroyAwsClients(clients);
      await stack.stop();
      fs.rmSync(stateDir, { recursive: true, force: true });
    },
  };
}

// ---- deployments ----------------------------------------------------------------------------------------

export const allAtOnce = (finalBakeMs = 0): TrafficPlan => ({
  name: 'allAtOnce',
  steps: [{ kind: 'setWeight', percent: 100 }],
  finalBake: { durationMs: finalBakeMs, intervalMs: 60_000, failureLimit: 0, checks: { alarms: [] } },
});

/** A blue/green spec on the seeded account with every wait at zero (no approval, no bake, no drain). */
export function benchSpec(service: string, overrides: Partial<DeploymentSpec> = {}): DeploymentSpec {
  return {
    strategy: 'blueGreen',
    service,
    environment: 'bench',
    cluster: demoAccount.cluster,
    taskDefinition: { ...fargate, containerDefinitions: [{ name: 'web', image: 'nginx:1', memory: 128 }] },
    image: 'nginx:1',
    container: { name: 'web', port: 80 },
    desiredCount: 1,
    loadBalancer: { name: demoAccount.loadBalancer, listenerPort: 80 },
    hosts: { production: `${service}.switchyard.test`, stage: `stage.${service}.switchyard.test` },
    hostedZone: demoAccount.hostedZone,
    healthCheck: {
      path: '/',
      intervalSeconds: 10,
      timeoutSeconds: 5,
      healthyThreshold: 2,
      unhealthyThreshold: 3,
      matcher: '200',
    },
    timeouts: { steadyMs: 300_000, testsMs: 3_600_000 },
    approval: { required: false, timeoutMs: 86_400_000, onTimeout: 'rollback' },
    traffic: allAtOnce(),
    drainMs: 0,
    ...overrides,
  };
}

export async function waitForStatus(
  handle: DeploymentHandle,
  until: (s: DeploymentStatus) => boolean,
  everyMs = 10,
): Promise<DeploymentStatus> {
  for (;;) {
    const status = await handle.query(statusQuery);
    if (until(status)) return status;
    await sleep(everyMs);
  }
}

/** Proxy call counts after minus before, by operation, without the zeros. */
export function callsBetween(before: ProxyStats, after: ProxyStats): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [op, n] of Object.entries(after.calls)) {
    const d = n - (before.calls[op] ?? 0);
    if (d > 0) out[op] = d;
  }
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => a.localeCompare(b)));
}

export const totalOf = (counts: Record<string, number>) => Object.values(counts).reduce((a, b) => a + b, 0);
