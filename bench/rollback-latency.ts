// Rollback latency: from the rollback request (a signal through Temporal) to the production rule reading
// back all of production on the previous target group, measured on the embedded stack (Temporal dev
// server, moto behind the behaviour proxy, a worker process), while a deployment bakes at 100%. Beside it,
// in the same run: one bare ModifyRule round trip and one bare signal round trip.
//   npm run bench:rollback            (BENCH_ROLLBACKS=N, default 20)
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ModifyRuleCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { createActivities } from '../src/activities';
import { createAwsClients, destroyAwsClients } from '../src/aws/clients';
import { connectClient } from '../src/client';
import { startDeployment, type DeploymentHandle } from '../src/deployment-client';
import { demoAccount, emulatorCredentials } from '../src/dev/demo';
import { freePort } from '../src/dev/processes';
import { startDevStack } from '../src/dev/stack';
import type { DeploymentSpec, DeploymentStatus } from '../src/shared/deployment';
import { resourceNames } from '../src/shared/naming';
import type { TrafficPlan } from '../src/shared/traffic';
import { resumeSignal, rollbackSignal, statusQuery, testsPassedSignal } from '../src/workflows/messages';

const rollbacks = Number(process.env.BENCH_ROLLBACKS ?? 20);
const bake = { durationMs: 0, intervalMs: 60_000, failureLimit: 0, checks: { alarms: [] } };
const plan = (finalBakeMs: number): TrafficPlan => ({ name: 'allAtOnce', steps: [{ kind: 'setWeight', percent: 100 }], finalBake: { ...bake, durationMs: finalBakeMs } });

const spec: DeploymentSpec = {
  strategy: 'blueGreen', service: 'bench', environment: 'rb', cluster: demoAccount.cluster,
  taskDefinition: { containerDefinitions: [{ name: 'web', image: 'nginx:1', memory: 128 }] }, image: 'nginx:1',
  container: { name: 'web', port: 80 }, desiredCount: 2, loadBalancer: { name: demoAccount.loadBalancer, listenerPort: 80 },
  hosts: { production: 'bench.switchyard.test', stage: 'stage.bench.switchyard.test' }, hostedZone: demoAccount.hostedZone,
  healthCheck: { path: '/', intervalSeconds: 10, timeoutSeconds: 5, healthyThreshold: 2, unhealthyThreshold: 3, matcher: '200' },
  timeouts: { steadyMs: 60_000, testsMs: 600_000 }, approval: { required: false, timeoutMs: 600_000, onTimeout: 'rollback' },
  traffic: plan(0), drainMs: 1_000,
};

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}
const round = (ms: number) => Math.round(ms * 10) / 10;
const summary = (values: number[]) => ({ n: values.length, p50: round(percentile(values, 50)), p99: round(percentile(values, 99)), max: round(Math.max(...values)) });

async function waitFor(handle: DeploymentHandle, until: (s: DeploymentStatus) => boolean): Promise<void> {
  for (;;) {
    const status = await handle.query(statusQuery);
    if (until(status)) return;
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** The repository root (this file runs from dist-bench/bench/). */
const root = path.resolve(__dirname, '..', '..');

async function main(): Promise<void> {
  // The installed tools are found relative to the code, which here is compiled elsewhere.
  process.env.SWITCHYARD_HOME ??= path.join(root, '.switchyard');
  const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchyard-bench-'));
  const stack = await startDevStack({ temporalPort: await freePort(), uiPort: await freePort(), awsPort: await freePort(), namespace: 'default', taskQueue: 'bench', stateDir });
  const { temporal, aws: awsConfig } = stack.config;
  const worker = spawn(process.execPath, [path.join(root, 'dist', 'cli', 'main.js'), 'worker'], {
    env: { ...process.env, TEMPORAL_ADDRESS: temporal.address, SWITCHYARD_TASK_QUEUE: temporal.taskQueue, AWS_ENDPOINT_URL: awsConfig.endpoint, AWS_REGION: awsConfig.region, AWS_ACCESS_KEY_ID: emulatorCredentials.accessKeyId, AWS_SECRET_ACCESS_KEY: emulatorCredentials.secretAccessKey },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolve) => worker.stdout.on('data', (d: Buffer) => d.toString().includes('worker polling') && resolve()));
  const clients = createAwsClients({ ...awsConfig, credentials: emulatorCredentials });
  const aws = createActivities(clients);
  const session = await connectClient(temporal);
  try {
    const listenerArn = await aws.ensureListener({ loadBalancerArn: (await aws.findLoadBalancer(demoAccount.loadBalancer))!.arn, port: 80 });
    const deploy = async (finalBakeMs: number) => {
      const { deploymentId, handle } = await startDeployment(session, temporal, { ...spec, traffic: plan(finalBakeMs) }, 'bench');
      await waitFor(handle, (s) => s.phase === 'awaiting_tests');
      await handle.signal(testsPassedSignal, { by: 'bench' });
      return { deploymentId, handle };
    };
    const first = await deploy(0);
    await first.handle.result();
    const live = resourceNames(spec, first.deploymentId).targetGroup;

    const endToEnd: number[] = [];
    const inWorkflow: number[] = [];
    const signalRtt: number[] = [];
    for (let i = 0; i < rollbacks; i++) {
      const { handle } = await deploy(10 * 60_000);
      await waitFor(handle, (s) => s.phase === 'baking');
      // A bare signal round trip (ignored by the workflow: it is not paused).
      let t = performance.now();
      await handle.signal(resumeSignal, { by: 'bench' });
      signalRtt.push(performance.now() - t);
      t = performance.now();
      await handle.signal(rollbackSignal, { by: 'bench' });
      for (;;) {
        const rule = await aws.findHostRule({ listenerArn, host: spec.hosts.production });
        if (rule?.targets.length === 1 && rule.targets[0].targetGroupArn.includes(`/${live}/`)) break;
      }
      endToEnd.push(performance.now() - t);
      await handle.result();
      const status = await handle.query(statusQuery);
      inWorkflow.push(status.traffic?.restoreMs ?? NaN);
      process.stderr.write(`rollback ${i + 1}/${rollbacks}: ${round(endToEnd.at(-1)!)} ms\n`);
    }
    // A bare ModifyRule round trip: the production rule set to what it already is.
    const rule = (await aws.findHostRule({ listenerArn, host: spec.hosts.production }))!;
    const modifyRule: number[] = [];
    for (let i = 0; i < rollbacks; i++) {
      const t = performance.now();
      await clients.elbv2.send(new ModifyRuleCommand({ RuleArn: rule.ruleArn, Actions: [{ Type: 'forward', ForwardConfig: { TargetGroups: rule.targets.map((x) => ({ TargetGroupArn: x.targetGroupArn, Weight: x.weight })) } }] }));
      modifyRule.push(performance.now() - t);
    }
    const result = {
      date: new Date().toISOString(),
      machine: `${os.cpus().length} cores, ${os.cpus()[0]?.model ?? ''}`.trim(),
      rollbackToVerifiedMs: summary(endToEnd),
      restoreMsAsTheWorkflowSawIt: summary(inWorkflow),
      signalRttMs: summary(signalRtt),
      modifyRuleRttMs: summary(modifyRule),
      target: 'p99 <= 2 x (signal RTT + ModifyRule RTT), p50s',
    };
    const ratio = result.rollbackToVerifiedMs.p99 / (result.signalRttMs.p50 + result.modifyRuleRttMs.p50);
    fs.writeFileSync(path.join(root, 'bench', 'results', 'rollback-latency.json'), JSON.stringify({ ...result, p99OverBareRtts: round(ratio) }, null, 2) + '\n');
    console.log(JSON.stringify({ ...result, p99OverBareRtts: round(ratio) }, null, 2));
  } finally {
    await session.close();
    destroyAwsClients(clients);
    worker.kill('SIGINT');
    await new Promise((r) => worker.once('exit', r));
    await stack.stop();
    fs.rmSync(stateDir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
