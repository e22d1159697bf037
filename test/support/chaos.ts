// Shared by the chaos tests: the stack they run on (an emptied and seeded account watched through
// observer clients, a worker process, a Temporal client), the spec they deploy, and a driver that
// answers the tests gate until a deployment ends.
import type { Client } from '@temporalio/client';
import { createActivities } from '../../src/activities';
import { destroyAwsClients } from '../../src/aws/clients';
import type { TemporalConfig } from '../../src/config';
import { deploymentResult, type DeploymentHandle } from '../../src/client/handle';
import { stuckTask } from '../../src/client/stuck';
import { SwitchyardClient } from '../../src/client/switchyard-client';
import { demoAccount } from '../../src/dev/demo';
import { seedAccount, type AccountClients } from '../../src/dev/seed';
import type { DeploymentResult, DeploymentSpec } from '../../src/shared/deployment';
import { statusQuery, testsPassedSignal } from '../../src/workflows/messages';
import { startCli, type LongRunningCli } from './cli';
import { startE2eWorker, type E2eWorker } from './e2e-worker';
import { checkHistories, type HistoryReport } from './history-check';
import type { LeakScope } from './leak-checker';
import { iamPropagationMs, observerClientsOnMoto, resetAws, servers } from './servers';
import type { InvariantScope } from './traffic-invariant';
import { fargate } from './fargate';

export interface ChaosStack {
  clients: AccountClients;
  worker: E2eWorker;
  client: SwitchyardClient;
  temporal: TemporalConfig;
  listenerArn: string;
  zoneId: string;
}

/** For a chaos test file: set up before its tests, torn down after. Read the fields inside tests. */
export function useChaosStack(label: string): ChaosStack {
  const stack = {} as ChaosStack;
  beforeAll(async () => {
    await resetAws();
    stack.clients = observerClientsOnMoto();
    await seedAccount(stack.clients, demoAccount);
    const aws = createActivities(stack.clients);
    stack.listenerArn = await aws.ensureListener({
      loadBalancerArn: (await aws.findLoadBalancer({ loadBalancer: demoAccount.loadBalancer }))!.arn,
      port: 80,
    });
    stack.zoneId = (await aws.findHostedZone({ name: demoAccount.hostedZone }))!.id;
    stack.worker = await startE2eWorker(label);
    stack.temporal = {
      address: servers.temporalAddress,
      namespace: 'default',
      taskQueue: stack.worker.env.SWITCHYARD_TASK_QUEUE!,
    };
    stack.client = await SwitchyardClient.connect(stack.temporal);
  });
  afterAll(async () => {
    await stack.worker?.stop();
    await stack.client?.close();
    if (stack.clients) destroyAwsClients(stack.clients);
  });
  return stack;
}

function hostsOf(service: string) {
  return { production: `${service}.switchyard.test`, stage: `stage.${service}.switchyard.test` };
}

/** A blue/green spec of the seeded account: `percent` of production for a short bake, then 100%. */
export function chaosSpec(
  service: string,
  opts: {
    percent?: number;
    bakeMs?: number;
    failureLimit?: number;
    finalBakeMs?: number;
    drainMs?: number;
    desiredCount?: number;
    approval?: boolean;
  } = {},
): DeploymentSpec {
  const checks = { alarms: [], maxUnhealthyTargets: 0 };
  return {
    strategy: 'blueGreen',
    service,
    environment: 'test',
    cluster: demoAccount.cluster,
    taskDefinition: { ...fargate, containerDefinitions: [{ name: 'web', image: 'nginx:1', memory: 128 }] },
    image: 'nginx:1',
    container: { name: 'web', port: 80 },
    desiredCount: opts.desiredCount ?? 2,
    loadBalancer: { name: demoAccount.loadBalancer, listenerPort: 80 },
    hosts: hostsOf(service),
    hostedZone: demoAccount.hostedZone,
    healthCheck: {
      path: '/',
      intervalSeconds: 10,
      timeoutSeconds: 5,
      healthyThreshold: 2,
      unhealthyThreshold: 3,
      matcher: '200',
    },
    timeouts: { steadyMs: 300_000, testsMs: 600_000 },
    approval: { required: opts.approval ?? false, timeoutMs: 600_000, onTimeout: 'rollback' },
    traffic: {
      name: 'steps',
      steps: [
        { kind: 'setWeight', percent: opts.percent ?? 10 },
        {
          kind: 'bake',
          bake: { durationMs: opts.bakeMs ?? 2_000, intervalMs: 1_000, failureLimit: opts.failureLimit ?? 0, checks },
        },
        { kind: 'setWeight', percent: 100 },
      ],
      finalBake: { durationMs: opts.finalBakeMs ?? 0, intervalMs: 500, failureLimit: 0, checks },
    },
    drainMs: opts.drainMs ?? 2_000,
    iamPropagationMs,
  };
}

/** Where the leak and traffic-safety checkers look for a spec's service. */
export function scopeOf(stack: ChaosStack, spec: DeploymentSpec): Omit<LeakScope, 'live'> & InvariantScope {
  return {
    service: spec.service,
    environment: spec.environment,
    cluster: spec.cluster,
    listenerArn: stack.listenerArn,
    zoneId: stack.zoneId,
    hosts: spec.hosts,
    productionHost: spec.hosts.production,
  };
}

/**
 * Status queries every 250 ms, none waiting for the one before (as the web UI and people watching do):
 * some are sent while no worker runs, and are then answered by a worker that has not cached the
 * deployment. And what `switchyard status` tells of it every 500 ms: a killed worker's timed-out tasks
 * must never read as a stuck deployment. Returns a function that stops both, waits for those in flight,
 * and gives every time the deployment read as stuck (none for a healthy one).
 */
export function keepQuerying(handle: DeploymentHandle): () => Promise<string[]> {
  const inFlight = new Set<Promise<unknown>>();
  const readAsStuck: string[] = [];
  const send = (request: () => Promise<unknown>) => {
    const sent = request().catch(() => undefined);
    inFlight.add(sent);
    void sent.finally(() => inFlight.delete(sent));
  };
  const queries = setInterval(() => send(() => handle.query(statusQuery)), 250);
  const stuckChecks = setInterval(
    () =>
      send(async () => {
        const stuck = await stuckTask(handle);
        if (stuck)
          readAsStuck.push(
            `${new Date().toISOString()}: ${stuck.cause} after ${stuck.failures} failure(s): ${stuck.message.split('\n')[0]}`,
          );
      }),
    500,
  );
  return async () => {
    clearInterval(queries);
    clearInterval(stuckChecks);
    await Promise.all(inFlight);
    return readAsStuck;
  };
}

/** Answers the tests gate whenever the deployment waits for it (queries fail while no worker runs: retried). */
export async function driveToEnd(handle: DeploymentHandle): Promise<DeploymentResult> {
  const result = deploymentResult(handle);
  let done = false;
  void result.finally(() => (done = true)).catch(() => undefined);
  while (!done) {
    const status = await Promise.race([handle.query(statusQuery).catch(() => undefined), result.then(() => undefined)]);
    if (status?.phase === 'awaiting_tests')
      await handle.signal(testsPassedSignal, { by: 'chaos' }).catch(() => undefined);
    await new Promise((r) => setTimeout(r, 250));
  }
  return result;
}

/**
 * The stack's worker as a process to kill: SIGKILL (no graceful shutdown), then a new one started after
 * `delayMs` (none runs meanwhile). `since` is when the current one started, whole seconds (as the
 * server's activity start times compare).
 */
export function killableWorker(stack: ChaosStack) {
  let current: LongRunningCli | undefined;
  const worker = {
    since: 0,
    async killAndRestart(delayMs = 0): Promise<number> {
      const victim = current ?? stack.worker.worker;
      victim.child.kill('SIGKILL');
      await victim.exited;
      await new Promise((r) => setTimeout(r, delayMs));
      const started = Date.now();
      worker.since = Math.floor(started / 1000) * 1000;
      current = startCli(['worker'], stack.worker.env);
      await current.waitForOutput(/worker polling task queue/);
      return Date.now() - started;
    },
    async stop(): Promise<void> {
      current?.child.kill('SIGINT');
      await current?.exited;
    },
  };
  return worker;
}

/** Replays the histories of these deployments and fails the test on any defect (replay error, failed task of ours). */
export async function expectHealthyHistories(client: Client, handles: DeploymentHandle[]): Promise<HistoryReport[]> {
  const reports = await checkHistories(client, handles);
  expect(reports.flatMap((r) => r.defects)).toEqual([]);
  return reports;
}
