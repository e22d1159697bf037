// What a platform team sees of deployments, through the real CLI and a `switchyard worker` on the
// embedded stack: the worker's Prometheus endpoint (Temporal's metrics and Switchyard's own, with the
// values of the deployments just run), its JSON logs (each AWS change with the deployment id, no secret),
// and the Temporal view of the workflows: a rolled-back deployment ends as a failed workflow carrying
// its result, a live one as completed, and the gate timers carry summaries.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { destroyAwsClients } from '../../src/aws/clients';
import { demoAccount } from '../../src/dev/demo';
import { freePort } from '../../src/dev/processes';
import { seedAccount, type AccountClients } from '../../src/dev/seed';
import { failureTypes } from '../../src/shared/failures';
import { serviceWorkflowId } from '../../src/shared/naming';
import { runCli, startCli } from '../support/cli';
import { blueGreenSpec, fargateTaskDefinition, writeSpec } from '../support/e2e-spec';
import { deploymentIdOf, startE2eWorker, type E2eWorker } from '../support/e2e-worker';
import { atAwsPace, awsClientsOnMoto, resetAws, servers } from '../support/servers';

const service = `tel${Date.now().toString(36).slice(-6)}`;
const secret = `https://user:pw-${Date.now().toString(36)}`;

/** The sum of a Prometheus series' samples whose labels include `labels`. */
function sample(metrics: string, name: string, labels: Record<string, string> = {}): number {
  let sum = 0;
  let seen = false;
  for (const line of metrics.split('\n')) {
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const has = Object.entries(labels).every(([k, v]) => (m[2] ?? '').includes(`${k}="${v}"`));
    if (!has) continue;
    seen = true;
    sum += Number(m[3]);
  }
  if (!seen) throw new Error(`no sample of ${name} ${JSON.stringify(labels)} in:\n${metrics}`);
  return sum;
}

describe('telemetry: metrics, logs and the Temporal view of deployments', () => {
  let dir: string;
  let clients: AccountClients;
  let worker: E2eWorker;
  let metricsUrl: string;
  let temporal: Client;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchyard-telemetry-'));
    await resetAws();
    clients = awsClientsOnMoto();
    await seedAccount(clients, demoAccount);
    const port = await freePort();
    metricsUrl = `http://127.0.0.1:${port}/metrics`;
    worker = await startE2eWorker('telemetry', {
      TEMPORAL_ADDRESS: servers.temporalAddress,
      SWITCHYARD_METRICS_ADDRESS: `127.0.0.1:${port}`,
      SWITCHYARD_LOG_FORMAT: 'json',
    });
    temporal = new Client({ connection: await Connection.connect({ address: servers.temporalAddress }) });
  });

  afterAll(async () => {
    await worker?.stop();
    await temporal?.connection.close();
    if (clients) destroyAwsClients(clients);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const deploy = async (image: string, verdict: 'tests-passed' | 'tests-failed') => {
    const taskDefinition = {
      ...fargateTaskDefinition,
      containerDefinitions: [
        { ...fargateTaskDefinition.containerDefinitions[0], environment: [{ name: 'UPSTREAM_URL', value: secret }] },
      ],
    };
    const spec = writeSpec(dir, blueGreenSpec(service, { approval: { required: false }, taskDefinition, image }));
    const run = startCli(['deploy', '-f', spec, '--wait'], worker.env);
    const id = await deploymentIdOf(run);
    await run.waitForOutput(/awaiting_tests/);
    expect(await runCli([verdict, id, '--reason', 'smoke tests said no'], worker.env)).toMatchObject({ code: 0 });
    return { id, code: await run.exited };
  };

  it(
    'a deployment that goes live and one that rolls back, as the metrics, the logs and Temporal show them',
    async () => {
      const live = await deploy('nginx:1', 'tests-passed');
      expect(live.code).toBe(0);
      const rolledBack = await deploy('nginx:2', 'tests-failed');
      // The CLI's exit codes are as they were: 2 for a rollback.
      expect(rolledBack.code).toBe(2);

      // Metrics, as Prometheus would scrape them.
      const metrics = await (await fetch(metricsUrl)).text();
      const ours = { strategy: 'blue_green' };
      expect(sample(metrics, 'switchyard_deployments_started', ours)).toBe(2);
      expect(sample(metrics, 'switchyard_deployments_ended', { ...ours, outcome: 'active' })).toBe(1);
      expect(sample(metrics, 'switchyard_deployments_ended', { ...ours, outcome: 'rolled_back' })).toBe(1);
      expect(sample(metrics, 'switchyard_phase_duration_seconds_count', { phase: 'awaiting_tests' })).toBe(2);
      expect(sample(metrics, 'switchyard_phase_duration_seconds_count', { phase: 'rolling_back' })).toBe(1);
      expect(sample(metrics, 'switchyard_rollback_to_safe_seconds_count', ours)).toBe(1);
      expect(sample(metrics, 'switchyard_aws_calls', { operation: 'CreateService', outcome: 'ok' })).toBe(2);
      expect(sample(metrics, 'switchyard_aws_calls', { operation: 'DeleteService', outcome: 'ok' })).toBeGreaterThan(0);
      // Temporal's own, through the same endpoint: the rollback counts as a failed workflow.
      expect(sample(metrics, 'temporal_workflow_completed', { workflow_type: 'blueGreenDeployment' })).toBe(1);
      expect(sample(metrics, 'temporal_workflow_failed', { workflow_type: 'blueGreenDeployment' })).toBe(1);

      // Logs: one JSON object per line; each AWS change names the deployment and what it addressed.
      const lines = worker.worker
        .output()
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as Record<string, unknown>);
      const created = lines.filter((l) => l.msg === 'aws ecs CreateService');
      expect(created.map((l) => l.deploymentId)).toEqual([live.id, rolledBack.id]);
      expect(created[0]).toMatchObject({ level: 'info', aws: { serviceName: expect.stringContaining(service) } });
      expect(
        lines.some(
          (l) =>
            l.deploymentId === rolledBack.id &&
            /^rolling back: tests failed \(reported by e2e\): smoke tests said no$/.test(String(l.msg)),
        ),
      ).toBe(true);
      expect(worker.worker.output()).not.toContain(secret);

      // Temporal: the live deployment completed, the rolled-back one failed with its result.
      const handle = (runId?: string) => temporal.workflow.getHandle(serviceWorkflowId(service, 'prod'), runId);
      const runs = [];
      for await (const wf of temporal.workflow.list({ query: `WorkflowId = '${serviceWorkflowId(service, 'prod')}'` }))
        runs.push(wf);
      expect(runs.map((r) => r.status.name).sort()).toEqual(['COMPLETED', 'FAILED']);
      const failedRun = runs.find((r) => r.status.name === 'FAILED')!;
      const history = await handle(failedRun.runId).fetchHistory();
      const events = history.events ?? [];
      const failure = events.at(-1)?.workflowExecutionFailedEventAttributes?.failure;
      expect(failure?.applicationFailureInfo?.type).toBe(failureTypes.deploymentRolledBack);
      const reason = 'tests failed (reported by e2e): smoke tests said no';
      expect(failure?.message).toBe(`deployment ${rolledBack.id} rolled back: ${reason}`);
      const details = failure?.applicationFailureInfo?.details?.payloads?.[0];
      expect(temporal.options.loadedDataConverter.payloadConverter.fromPayload(details!)).toMatchObject({
        deploymentId: rolledBack.id,
        phase: 'rolled_back',
        reason,
        leftovers: [],
      });
      // Timers carry what they wait for; the workflow says what is deployed.
      const summaries = events
        .filter((e) => e.timerStartedEventAttributes)
        .map((e) => temporal.options.loadedDataConverter.payloadConverter.fromPayload(e.userMetadata!.summary!));
      expect(summaries).toEqual(expect.arrayContaining([expect.stringMatching(/^tests gate timeout \(/)]));
      expect(
        await handle(failedRun.runId)
          .describe()
          .then((d) => d.staticSummary()),
      ).toBe(`deploy ${service}/prod: nginx:2`);
    },
    atAwsPace(240_000),
  );
});
