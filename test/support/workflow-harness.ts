// Running the blue/green workflow on the time-skipping test server against FakeAws: the spec the tests
// vary, a deploy helper with a `drive` callback that plays CI and people, and the account inventory.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import type { WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import type { DeploymentResult, DeploymentSpec, DeploymentStatus, Phase } from '../../src/shared/deployment';
import { resourceNames } from '../../src/shared/naming';
import type { blueGreenDeployment } from '../../src/workflows';
import { approveSignal, statusQuery, testsPassedSignal } from '../../src/workflows/messages';
import type { FakeAws } from './fake-aws';
import { servers, uniqueTaskQueue } from './servers';
import { fargate } from './fargate';
import { deploymentResult } from '../../src/client/handle';

export const spec: DeploymentSpec = {
  service: 'web',
  environment: 'prod',
  cluster: 'main',
  taskDefinition: { ...fargate, containerDefinitions: [{ name: 'web', image: 'nginx:1' }] },
  image: 'registry/web:2',
  container: { name: 'web', port: 80 },
  desiredCount: 2,
  loadBalancer: { name: 'edge', listenerPort: 80 },
  hosts: { production: 'web.example.com', stage: 'stage.web.example.com' },
  hostedZone: 'example.com',
  healthCheck: {
    path: '/',
    intervalSeconds: 10,
    timeoutSeconds: 5,
    healthyThreshold: 2,
    unhealthyThreshold: 3,
    matcher: '200',
  },
  timeouts: { steadyMs: 600_000, testsMs: 3_600_000 },
  approval: { required: false, timeoutMs: 86_400_000, onTimeout: 'rollback' },
  drainMs: 300_000,
};
export const withApproval = { ...spec, approval: { ...spec.approval, required: true } };

export type Handle = WorkflowHandle<typeof blueGreenDeployment>;
export type Drive = (handle: Handle) => Promise<void>;

/** Polls the status query (for up to 10 s) until `until` holds; returns that status. */
export async function waitForStatus(
  handle: Handle,
  what: string,
  until: (s: DeploymentStatus) => boolean,
): Promise<DeploymentStatus> {
  for (let i = 0; i < 200; i++) {
    const status = await handle.query(statusQuery).catch(() => undefined);
    if (status && until(status)) return status;
    await new Promise((r) => setTimeout(r, 50));
  }
  const last = await handle.query(statusQuery);
  throw new Error(`never saw ${what}; last: ${last.phase}, ${last.history.at(-1)?.note}`);
}

export async function waitForPhase(handle: Handle, phase: Phase): Promise<void> {
  await waitForStatus(handle, phase, (s) => s.phase === phase);
}

/**
 * Skips time on the test server 10 s at a time until the status says `until` (time does not skip by
 * itself while `drive` runs, only while the result is awaited).
 */
export async function skipUntil(
  env: TestWorkflowEnvironment,
  handle: Handle,
  what: string,
  until: (s: DeploymentStatus) => boolean,
): Promise<DeploymentStatus> {
  for (let i = 0; i < 1000; i++) {
    const status = await handle.query(statusQuery);
    if (until(status)) return status;
    await env.sleep('10s');
  }
  throw new Error(`never saw ${what} in 10 000 s of workflow time`);
}

/** Runs one deployment on its own task queue and worker; `drive` acts while it runs (time does not skip then). */
export async function deployOn(
  env: TestWorkflowEnvironment,
  fake: FakeAws,
  deploymentId: string,
  drive: Drive,
  deploySpec: DeploymentSpec = spec,
): Promise<DeploymentResult> {
  return (await deployAndInspect(env, fake, deploymentId, drive, deploySpec)).result;
}

/** deployOn, and the status the ended deployment reports. */
export async function deployAndInspect(
  env: TestWorkflowEnvironment,
  fake: FakeAws,
  deploymentId: string,
  drive: Drive,
  deploySpec: DeploymentSpec = spec,
): Promise<{ result: DeploymentResult; status: DeploymentStatus }> {
  const taskQueue = uniqueTaskQueue('bg');
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowBundle: { codePath: servers.workflowBundlePath },
    activities: fake.activities(),
  });
  return worker.runUntil(async () => {
    const handle = await env.client.workflow.start<typeof blueGreenDeployment>('blueGreenDeployment', {
      taskQueue,
      workflowId: `${taskQueue}-${deploymentId}`,
      args: [{ deploymentId, spec: deploySpec, requestedBy: 'test', pollIntervalMs: 1000 }],
    });
    await drive(handle);
    const result = await deploymentResult(handle);
    // A query of an ended deployment replays its whole history: keep a history that does not replay.
    const status = await handle.query(statusQuery).catch(async (err: Error) => {
      const file = path.join(os.tmpdir(), `switchyard-unreplayable-${handle.workflowId}.json`);
      fs.writeFileSync(file, historyToJSON(await handle.fetchHistory()));
      throw new Error(`${err.message}\nthe history that did not replay: ${file}`);
    });
    return { result, status };
  });
}

export const passTests = async (h: Handle) => {
  await waitForPhase(h, 'awaiting_tests');
  await h.signal(testsPassedSignal, { by: 'ci' });
};
export const passAndApprove = async (h: Handle) => {
  await passTests(h);
  await waitForPhase(h, 'awaiting_approval');
  await h.signal(approveSignal, { by: 'alice' });
};
export const names = (id: string) => resourceNames(spec, id);

/**
 * Side effects the workflow runs side by side, each group put in the order given wherever its members
 * happened, so a test can compare whole sequences.
 */
export function inOrder(effects: string[], ...together: string[][]): string[] {
  const out = [...effects];
  for (const group of together) {
    const present = group.filter((e) => out.includes(e));
    const positions = present.map((e) => out.indexOf(e)).sort((a, b) => a - b);
    positions.forEach((position, k) => (out[position] = present[k]));
  }
  return out;
}

/** Stage rule and record are created side by side for a deployment. */
export const stageSetup = (id: string) => [
  `putHostRule stage.web.example.com web-prod-${id}=100`,
  'upsertAliasRecord stage.web.example.com',
];

/** Stage rule and record are removed side by side once production is switched. */
export const stageCleanup = ['deleteHostRule stage.web.example.com', 'deleteRecord stage.web.example.com'];

/** The account as left behind: what exists, by kind. */
export function inventory(fake: FakeAws) {
  return {
    targetGroups: [...fake.targetGroups.keys()].sort(),
    services: [...fake.services]
      .filter(([, s]) => s.status === 'ACTIVE')
      .map(([n]) => n)
      .sort(),
    taskDefinitions: [...fake.taskDefinitions.values()]
      .filter((t) => t.status === 'ACTIVE')
      .map((t) => t.deploymentId)
      .sort(),
    rules: [...fake.rules.keys()].sort(),
    records: [...fake.records].sort(),
  };
}

/** The account when deployment `id` is the only one: live on production, nothing staged. */
export function onlyLive(id: string) {
  const name = names(id);
  return {
    targetGroups: [name.targetGroup],
    services: [name.ecsService],
    taskDefinitions: [id],
    rules: [spec.hosts.production],
    records: [spec.hosts.production],
  };
}
export const nothing = { targetGroups: [], services: [], taskDefinitions: [], rules: [], records: [] };
