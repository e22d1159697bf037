// Tracing through the SDK's OpenTelemetry interceptors, in one process so an in-memory exporter sees
// every span: a client and a worker (bundling the workflows itself, as `switchyard worker` does) on the
// run's dev server and emulator, one blue/green deployment from a span standing for the CLI's command to
// its end. Its trace holds the tree: command → StartWorkflow → RunWorkflow → StartActivity → RunActivity
// → the AWS call.
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { destroyAwsClients } from '../../src/aws/clients';
import { SwitchyardClient } from '../../src/client/switchyard-client';
import type { Config } from '../../src/config';
import { demoAccount, emulatorCredentials } from '../../src/dev/demo';
import { seedAccount, type AccountClients } from '../../src/dev/seed';
import { loadSpec } from '../../src/spec/load';
import { inSpan, startTracing, type Tracing } from '../../src/telemetry/tracing';
import { createWorker, type WorkerParts } from '../../src/worker';
import { cleanEnv, runCli } from '../support/cli';
import { blueGreenSpec, writeSpec } from '../support/e2e-spec';
import { atAwsPace, awsClientsOnMoto, resetAws, servers, testRegion, uniqueTaskQueue } from '../support/servers';

const service = `trc${Date.now().toString(36).slice(-6)}`;

describe('tracing: one deployment as one trace', () => {
  const exporter = new InMemorySpanExporter();
  let tracing: Tracing;
  let dir: string;
  let clients: AccountClients;
  let parts: WorkerParts;
  let running: Promise<void>;
  let config: Config;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchyard-tracing-'));
    tracing = await startTracing('switchyard-test', new SimpleSpanProcessor(exporter));
    await resetAws();
    clients = awsClientsOnMoto();
    await seedAccount(clients, demoAccount);
    config = {
      temporal: { address: servers.temporalAddress, namespace: 'default', taskQueue: uniqueTaskQueue('tracing') },
      aws: { region: testRegion, endpoint: servers.awsEndpoint },
    };
    parts = await createWorker(config, { credentials: emulatorCredentials });
    running = parts.worker.run();
  }, 120_000);

  afterAll(async () => {
    parts?.worker.shutdown();
    await running;
    await parts?.connection.close();
    if (parts) destroyAwsClients(parts.clients);
    if (clients) destroyAwsClients(clients);
    await tracing?.shutdown();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it(
    'holds the command, the workflow, its activities and their AWS calls in one tree',
    async () => {
      const spec = loadSpec(writeSpec(dir, blueGreenSpec(service, { approval: { required: false } })));
      const result = await inSpan('switchyard deploy', {}, () =>
        SwitchyardClient.using(config.temporal, async (client) => {
          const { handle } = await client.start(spec, 'tracing-test');
          await client.watch(handle, () => undefined, { phase: 'awaiting_tests', intervalMs: 200 });
          await client.send(handle, 'tests-passed', { by: 'tracing-test' });
          return client.follow(handle, () => undefined, 200);
        }),
      );
      expect(result).toMatchObject({ phase: 'active' });
      await tracing.spanProcessor.forceFlush();

      const spans = exporter.getFinishedSpans();
      const root = spans.find((s) => s.name === 'switchyard deploy')!;
      expect(root).toBeDefined();
      const trace = spans.filter((s) => s.spanContext().traceId === root.spanContext().traceId);
      const byId = new Map(trace.map((s) => [s.spanContext().spanId, s]));
      const parent = (s: ReadableSpan) => (s.parentSpanId ? byId.get(s.parentSpanId) : undefined);
      const ancestry = (s: ReadableSpan): string[] => {
        const names: string[] = [];
        for (let p = parent(s); p; p = parent(p)) names.push(p.name);
        return names;
      };
      const createService = trace.find((s) => s.name === 'aws ecs CreateService');
      expect(createService).toBeDefined();
      expect(createService!.attributes).toMatchObject({ 'rpc.service': 'ecs', 'rpc.method': 'CreateService' });
      expect(ancestry(createService!)).toEqual([
        'RunActivity:createService',
        'StartActivity:createService',
        'RunWorkflow:blueGreenDeployment',
        'StartWorkflow:blueGreenDeployment',
        'switchyard deploy',
      ]);
      // Every activity the deployment ran is in the trace, and the message that opened its gate.
      const ran = new Set(trace.filter((s) => s.name.startsWith('RunActivity:')).map((s) => s.name));
      expect([...ran]).toEqual(
        expect.arrayContaining(['RunActivity:registerTaskDefinition', 'RunActivity:createTargetGroup']),
      );
      expect(trace.some((s) => s.name.startsWith('StartWorkflowUpdate:testsPassed'))).toBe(true);
      expect(trace.every((s) => s.resource.attributes['service.name'] === 'switchyard-test')).toBe(true);
    },
    atAwsPace(240_000),
  );

  it('a CLI command exports its span by OTLP, and a collector that is down changes nothing but a warning', async () => {
    const bodies: string[] = [];
    const collector = http.createServer((req, res) => {
      let body = '';
      req.on('data', (d) => (body += d));
      req.on('end', () => {
        bodies.push(`${req.url} ${body}`);
        res.end('{}');
      });
    });
    await new Promise<void>((r) => collector.listen(0, '127.0.0.1', r));
    try {
      const endpoint = `http://127.0.0.1:${(collector.address() as AddressInfo).port}`;
      const file = writeSpec(dir, blueGreenSpec(service), 'validate.yaml');
      const traced = await runCli(['validate', '-f', file], cleanEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: endpoint }));
      expect(traced).toMatchObject({ code: 0, stderr: '' });
      expect(bodies).toHaveLength(1);
      expect(bodies[0]).toMatch(/^\/v1\/traces .*"name":"switchyard validate"/);
      collector.close();
      const down = await runCli(['validate', '-f', file], cleanEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: endpoint }));
      expect(down.code).toBe(0);
      expect(down.stderr).toMatch(/^switchyard: traces not exported \(.*ECONNREFUSED.*\)\n$/);
    } finally {
      collector.close();
    }
  });
});
