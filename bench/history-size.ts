// History size: events and bytes of one deployment's history, a 10-step canary (the
// linear10PercentEvery1Minute preset with a target-health check every minute) that waits 24 hours for
// approval first. Real workflow code and real activities against moto; only the clock is skipped (the
// Temporal time-skipping test server). The history is measured at the approval gate after 1 h, 24 h and
// 72 h of waiting (it must not grow), and when the deployment has finished.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { temporal as proto } from '@temporalio/proto';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { stringify } from 'yaml';
import { createActivities } from '../src/activities';
import { readToolPaths } from '../src/dev/tools';
import { demoAccount } from '../src/dev/demo';
import { loadSpec } from '../src/spec/load';
import { newDeploymentId } from '../src/client/deployment-ref';
import { deploymentHandle } from '../src/client/handle';
import { indexedValueType } from '../src/client/search-attributes';
import { isBlueGreen, type DeploymentStatus } from '../src/shared/deployment';
import { allSearchAttributes } from '../src/shared/naming';
import type { blueGreenDeployment } from '../src/workflows';
import { approveSignal, testsPassedSignal } from '../src/workflows/messages';
import { root, startBenchStack, waitForStatus, type Benchmark } from './support';
import { fargate } from '../test/support/fargate';

const hour = 3_600_000;

function specFile(dir: string): string {
  const file = path.join(dir, 'spec.yaml');
  fs.writeFileSync(
    file,
    stringify({
      service: 'hist',
      environment: 'bench',
      cluster: demoAccount.cluster,
      taskDefinition: { ...fargate, containerDefinitions: [{ name: 'web', image: 'nginx:1', memory: 128 }] },
      image: 'nginx:1',
      container: { name: 'web', port: 80 },
      desiredCount: 2,
      loadBalancer: { name: demoAccount.loadBalancer, listenerPort: 80 },
      hosts: { production: 'hist.switchyard.test', stage: 'stage.hist.switchyard.test' },
      hostedZone: demoAccount.hostedZone,
      healthCheck: { path: '/' },
      timeouts: { steady: '10m', tests: '1h' },
      pinImageDigest: false,
      approval: { required: true, timeout: '7d', onTimeout: 'rollback' },
      traffic: { preset: 'linear10PercentEvery1Minute' },
      analysis: { maxUnhealthyTargets: 0, interval: '1m' },
      drain: '5m',
    }),
  );
  return file;
}

export const historySize: Benchmark = {
  name: 'history',
  title: 'History size',
  async run() {
    const stack = await startBenchStack('history');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchyard-bench-history-'));
    const env = await TestWorkflowEnvironment.createTimeSkipping({
      server: { executable: { type: 'existing-path', path: readToolPaths().temporalTestServer } },
    });
    try {
      await env.connection.operatorService.addSearchAttributes({
        namespace: 'default',
        searchAttributes: Object.fromEntries(allSearchAttributes.map((k) => [k.name, indexedValueType[k.type]])),
      });
      const worker = await Worker.create({
        connection: env.nativeConnection,
        taskQueue: 'history',
        activities: createActivities(stack.clients),
        workflowsPath: path.join(root, 'dist', 'workflows'),
      });
      const spec = loadSpec(specFile(dir));
      if (!isBlueGreen(spec)) throw new Error('the history benchmark needs a blue/green spec');
      const measures: Record<string, { events: number; bytes: number; byType: Record<string, number> }> = {};
      await worker.runUntil(async () => {
        const run = async (image: string, approveAfterMs: number[]) => {
          const deploymentId = newDeploymentId();
          const started = await env.client.workflow.start<typeof blueGreenDeployment>('blueGreenDeployment', {
            taskQueue: 'history',
            workflowId: `history-${deploymentId}`,
            args: [{ deploymentId, spec: { ...spec, image }, requestedBy: 'bench' }],
          });
          const handle = deploymentHandle(env.client, started.workflowId, started.firstExecutionRunId);
          const waitFor = (phase: DeploymentStatus['phase']) => waitForStatus(handle, (s) => s.phase === phase, 50);
          const size = async () => {
            const history = await handle.fetchHistory();
            const byType: Record<string, number> = {};
            for (const e of history.events ?? []) {
              const type = proto.api.enums.v1.EventType[e.eventType ?? 0].replace('EVENT_TYPE_', '');
              byType[type] = (byType[type] ?? 0) + 1;
            }
            return {
              events: history.events?.length ?? 0,
              bytes: proto.api.history.v1.History.encode(history).finish().length,
              byType,
            };
          };
          await waitFor('awaiting_tests');
          await handle.signal(testsPassedSignal, { by: 'bench' });
          await waitFor('awaiting_approval');
          let waited = 0;
          for (const ms of approveAfterMs) {
            await env.sleep(ms - waited);
            waited = ms;
            measures[`atApprovalAfter${ms / hour}h`] = await size();
          }
          await handle.signal(approveSignal, { by: 'bench' });
          const result = await handle.result();
          if (result.phase !== 'active') throw new Error(`${result.phase}: ${result.reason}`);
          return size();
        };
        await run('nginx:1', [hour]); // the first deployment: nothing to share traffic with
        for (const key of Object.keys(measures)) delete measures[key];
        measures.finished = await run('nginx:2', [hour, 24 * hour, 72 * hour]);
      });
      const { finished } = measures;
      const grew = measures.atApprovalAfter72h.events !== measures.atApprovalAfter1h.events;
      return {
        result: {
          plan: 'linear10PercentEvery1Minute, target-health check every 1 min, approval after 24 h (and 72 h)',
          measures,
        },
        rows: [
          {
            measure: 'events / bytes of a 10-step canary approved after waiting 72 h (≥ 24 h)',
            value: `${finished.events} events, ${(finished.bytes / 1024).toFixed(1)} KiB`,
            target: '≤ 300 events',
            met: finished.events <= 300,
          },
          {
            measure: 'history at the approval gate after 1 h / 24 h / 72 h',
            value: `${measures.atApprovalAfter1h.events} / ${measures.atApprovalAfter24h.events} / ${measures.atApprovalAfter72h.events} events`,
            target: 'does not grow',
            met: !grew,
          },
        ],
      };
    } finally {
      await env.teardown();
      await stack.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  },
};
