// Releases of three services on the time-skipping test server, against one FakeAws account: lockstep
// and ordered releases that go live, service 3's analysis failing at step 2 (all three restored), a
// rollback during the last service's drain, and a busy service refusing the release. After each: every
// service's production rule, target groups, services and revisions, the order of the weight changes,
// and every history (the release's and each child's) read for failed tasks and replayed.
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import type { WorkflowHandle } from '@temporalio/client';
import { deploymentResult } from '../../src/client/handle';
import type { DeploymentResult, DeploymentSpec } from '../../src/shared/deployment';
import { resourceNames, serviceWorkflowId } from '../../src/shared/naming';
import type { ReleaseInput, ReleaseMode, ReleaseStatus } from '../../src/shared/release';
import type { Bake, TrafficPlan } from '../../src/shared/traffic';
import type { blueGreenDeployment, release } from '../../src/workflows';
import {
  pauseSignal,
  promoteSignal,
  resumeSignal,
  rollbackSignal,
  statusQuery,
  testsPassedSignal,
} from '../../src/workflows/messages';
import { FakeAws } from '../support/fake-aws';
import { checkHistory } from '../support/history-check';
import { attachTimeSkipping, servers, uniqueTaskQueue } from '../support/servers';
import { deployOn, passTests, spec } from '../support/workflow-harness';

let env: TestWorkflowEnvironment;
beforeAll(async () => {
  env = await attachTimeSkipping();
});
afterAll(async () => {
  await env?.teardown();
});

const minute = 60_000;
const services = ['orders', 'web', 'payments'] as const;
const bake = (durationMs: number): Bake => ({
  durationMs,
  intervalMs: 20_000,
  failureLimit: 0,
  checks: { alarms: [], maxUnhealthyTargets: 0 },
});
/** 10%, bake, 50%, bake, 100%: the shared plan of the lockstep releases. */
const shared: TrafficPlan = {
  name: 'steps',
  steps: [
    { kind: 'setWeight', percent: 10 },
    { kind: 'bake', bake: bake(minute) },
    { kind: 'setWeight', percent: 50 },
    { kind: 'bake', bake: bake(minute) },
    { kind: 'setWeight', percent: 100 },
  ],
  finalBake: bake(2 * minute),
};
/** Each service's own plan in the ordered releases. */
const canary: TrafficPlan = {
  name: 'canary',
  steps: [
    { kind: 'setWeight', percent: 20 },
    { kind: 'bake', bake: bake(minute) },
    { kind: 'setWeight', percent: 100 },
  ],
  finalBake: bake(minute),
};

/** A test's own environment name, so its services' workflow ids are its own. */
let environments = 0;
function serviceSpec(service: string, environment: string, traffic: TrafficPlan): DeploymentSpec {
  return {
    ...spec,
    service,
    environment,
    hosts: {
      production: `${service}.${environment}.example.com`,
      stage: `stage.${service}.${environment}.example.com`,
    },
    traffic,
    drainMs: 5 * minute,
  };
}
const id = (service: string, which: 'old' | 'new') => `${service.slice(0, 3)}${which}01`;

interface Account {
  fake: FakeAws;
  environment: string;
  specs: DeploymentSpec[];
}

/** One account where each of the three services runs a live deployment (…old01). */
async function liveAccount(mode: ReleaseMode): Promise<Account> {
  const fake = new FakeAws();
  const environment = `rel${++environments}`;
  const specs = services.map((s) => serviceSpec(s, environment, mode === 'lockstep' ? shared : canary));
  for (const s of specs) await deployOn(env, fake, id(s.service, 'old'), passTests, s);
  fake.calls.length = 0;
  return { fake, environment, specs };
}

type ReleaseHandle = WorkflowHandle<typeof release>;

function releaseInput(account: Account, mode: ReleaseMode): ReleaseInput {
  return {
    releaseId: `rel${account.environment}x`.slice(0, 8).padEnd(8, '0'),
    name: `checkout-${account.environment}`,
    mode,
    services: account.specs.map((s) => ({ deploymentId: id(s.service, 'new'), spec: s })),
    testsTimeoutMs: 60 * minute,
    approval: { required: false, timeoutMs: 60 * minute, onTimeout: 'rollback' },
    ...(mode === 'lockstep' ? { plan: shared } : {}),
    requestedBy: 'test',
    pollIntervalMs: 1000,
  };
}

/** Runs the release on its own task queue; `drive` acts while it runs (time skips only once it returns). */
async function runRelease(
  account: Account,
  input: ReleaseInput,
  drive: (h: ReleaseHandle) => Promise<void>,
): Promise<{ result: DeploymentResult; status: ReleaseStatus }> {
  const taskQueue = uniqueTaskQueue('release');
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowBundle: { codePath: servers.workflowBundlePath },
    activities: account.fake.activities(),
  });
  return worker.runUntil(async () => {
    const handle = await env.client.workflow.start<typeof release>('release', {
      taskQueue,
      workflowId: `${taskQueue}-release`,
      args: [input],
    });
    await drive(handle);
    const result = await deploymentResult(handle);
    const status = (await handle.query(statusQuery)) as ReleaseStatus;
    // Every history, the release's and each service's: no failed workflow task, and each replays.
    const children = input.services.map((s) => serviceWorkflowId(s.spec.service, s.spec.environment));
    for (const workflowId of [handle.workflowId, ...children]) {
      const report = await checkHistory(workflowId, await env.client.workflow.getHandle(workflowId).fetchHistory());
      expect(report.defects).toEqual([]);
      expect(report.failedTasks).toEqual({});
    }
    return { result, status };
  });
}

/** Skips time 10 s at a time until the release's status says `until`. */
async function skipUntil(
  h: ReleaseHandle,
  what: string,
  until: (s: ReleaseStatus) => boolean,
  orElse: () => Promise<boolean> = async () => false,
): Promise<void> {
  for (let i = 0; i < 1000; i++) {
    if (until((await h.query(statusQuery)) as ReleaseStatus) || (await orElse())) return;
    await env.sleep('10s');
  }
  throw new Error(`never saw ${what} in 10 000 s of workflow time`);
}

/** Polls the release's status (time does not skip meanwhile) until `until` holds. */
async function waitFor(h: ReleaseHandle, what: string, until: (s: ReleaseStatus) => boolean): Promise<ReleaseStatus> {
  for (let i = 0; i < 400; i++) {
    const status = (await h.query(statusQuery).catch(() => undefined)) as ReleaseStatus | undefined;
    if (status && until(status)) return status;
    await new Promise((r) => setTimeout(r, 50));
  }
  const last = (await h.query(statusQuery)) as ReleaseStatus;
  throw new Error(`never saw ${what}; last: ${last.phase}, ${last.history.at(-1)?.note}`);
}

const passReleaseTests = async (h: ReleaseHandle) => {
  await waitFor(h, 'awaiting_tests', (s) => s.phase === 'awaiting_tests');
  await h.signal(testsPassedSignal, { by: 'ci' });
};

/** Where each service's production rule sends traffic: "target group=weight" with weight > 0. */
function production(account: Account): string[][] {
  return account.specs.map((s) =>
    (account.fake.rules.get(s.hosts.production)?.targets ?? [])
      .filter((t) => t.weight > 0)
      .map((t) => `${t.targetGroupArn.split('/')[1]}=${t.weight}`),
  );
}
const tg = (s: DeploymentSpec, which: 'old' | 'new') => resourceNames(s, id(s.service, which)).targetGroup;
const onlyOn = (account: Account, which: 'old' | 'new') => account.specs.map((s) => [`${tg(s, which)}=100`]);

/** What exists of each service: its target groups, active ECS services and revisions, and its stage rule. */
function inventory(account: Account, which: 'old' | 'new') {
  const { fake } = account;
  return {
    targetGroups: [...fake.targetGroups.keys()].sort(),
    services: [...fake.services]
      .filter(([, s]) => s.status === 'ACTIVE')
      .map(([n]) => n)
      .sort(),
    revisions: [...fake.taskDefinitions.values()]
      .filter((t) => t.status === 'ACTIVE')
      .map((t) => t.deploymentId)
      .sort(),
    stageRules: [...fake.rules.keys()].filter((h) => h.startsWith('stage.')),
    expected: {
      targetGroups: account.specs.map((s) => tg(s, which)).sort(),
      services: account.specs.map((s) => resourceNames(s, id(s.service, which)).ecsService).sort(),
      revisions: account.specs.map((s) => id(s.service, which)).sort(),
      stageRules: [],
    },
  };
}
function expectOnly(account: Account, which: 'old' | 'new') {
  const { expected, ...found } = inventory(account, which);
  expect(found).toEqual(expected);
  expect(production(account)).toEqual(onlyOn(account, which));
}

/** Where in the side effects a service's production rule was last written. */
function lastProductionWrite(account: Account): number {
  const effects = account.fake.sideEffects;
  const lastIndex = (match: (c: string) => boolean) =>
    effects.map((c, i) => (match(c) ? i : -1)).reduce((a, b) => Math.max(a, b), -1);
  return Math.max(
    ...account.specs.map((s) =>
      lastIndex(
        (c) => /^(putHostRule|setRuleTargets|restoreRuleActions) /.test(c) && c.split(' ')[1] === s.hosts.production,
      ),
    ),
  );
}

/** The production weight changes, in order, as "service:percent-on-new". */
function weightChanges(account: Account): string[] {
  const hosts = new Map(account.specs.map((s) => [s.hosts.production, s.service]));
  return account.fake.sideEffects.flatMap((c) => {
    const m = /^(?:putHostRule|setRuleTargets) (\S+) (.*)$/.exec(c);
    const service = m && hosts.get(m[1]);
    if (!m || !service) return [];
    const onNew = /new01=(\d+)/.exec(m[2]);
    return [`${service}:${onNew ? onNew[1] : 0}`];
  });
}

jest.setTimeout(240_000);

describe('release', () => {
  it('lockstep: three services take each step of the shared plan together, and the previous ones go only after all have drained', async () => {
    const account = await liveAccount('lockstep');
    const { result, status } = await runRelease(account, releaseInput(account, 'lockstep'), passReleaseTests);
    expect(result).toMatchObject({ phase: 'active', leftovers: [] });
    expect(status.release.services.map((s) => s.phase)).toEqual(['active', 'active', 'active']);
    expectOnly(account, 'new');
    // Step by step: no service is at 50% before all three are at 10%, nor at 100% before all are at 50%.
    const changes = weightChanges(account);
    expect(changes.slice(0, 3).sort()).toEqual(['orders:10', 'payments:10', 'web:10']);
    expect(changes.slice(3, 6).sort()).toEqual(['orders:50', 'payments:50', 'web:50']);
    expect(changes.slice(6, 9).sort()).toEqual(['orders:100', 'payments:100', 'web:100']);
    // Nothing of the previous deployments goes before the last production change and every drain.
    const firstTeardown = account.fake.sideEffects.findIndex(
      (c) => /^delete(Service|TargetGroup)/.test(c) && c.includes('old01'),
    );
    expect(firstTeardown).toBeGreaterThan(lastProductionWrite(account));
  });

  it('ordered: each service is live before the next one moves', async () => {
    const account = await liveAccount('ordered');
    const { result } = await runRelease(account, releaseInput(account, 'ordered'), passReleaseTests);
    expect(result).toMatchObject({ phase: 'active', leftovers: [] });
    expectOnly(account, 'new');
    expect(weightChanges(account)).toEqual([
      'orders:20',
      'orders:100',
      'web:20',
      'web:100',
      'payments:20',
      'payments:100',
    ]);
  });

  it("lockstep: service 3's analysis fails at step 2, and all three are put back (3 first, then 2, then 1) and their staged copies removed", async () => {
    const account = await liveAccount('lockstep');
    const input = releaseInput(account, 'lockstep');
    const { result, status } = await runRelease(account, input, async (h) => {
      await passReleaseTests(h);
      // Step 1 (10%) verified everywhere: payments' new targets go unhealthy before step 2's analysis.
      await waitFor(h, 'step 1 on every service', (s) => s.release.services.every((x) => (x.stepsDone ?? 0) >= 1));
      account.fake.unhealthy.set(tg(account.specs[2], 'new'), 1);
    });
    expect(result.phase).toBe('rolled_back');
    expect(result.reason).toMatch(/payments\/rel\d+ rolled back: analysis failed at 10%/);
    expect(status.release.services.map((s) => s.phase)).toEqual(['rolled_back', 'rolled_back', 'rolled_back']);
    expectOnly(account, 'old');
    // Restored in reverse order: payments (which failed), then web, then orders.
    const restores = weightChanges(account).filter((c) => c.endsWith(':0'));
    expect(restores).toEqual(['payments:0', 'web:0', 'orders:0']);
    // Production first: no staged copy is removed before every production rule is back.
    const firstRemoval = account.fake.sideEffects.findIndex((c) => /^delete(Service|TargetGroup)/.test(c));
    expect(firstRemoval).toBeGreaterThan(lastProductionWrite(account));
  });

  it("ordered: with orders and web live, payments' analysis fails at its step 2, and all three are put back", async () => {
    const account = await liveAccount('ordered');
    const { result, status } = await runRelease(account, releaseInput(account, 'ordered'), async (h) => {
      await passReleaseTests(h);
      await skipUntil(h, 'web live', (s) => s.release.services[1].percent === 100);
      account.fake.unhealthy.set(tg(account.specs[2], 'new'), 1);
    });
    expect(result.phase).toBe('rolled_back');
    expect(result.reason).toMatch(/payments\/rel\d+ rolled back: analysis failed at 20%/);
    expect(status.release.services.map((s) => s.phase)).toEqual(['rolled_back', 'rolled_back', 'rolled_back']);
    expectOnly(account, 'old');
    expect(weightChanges(account)).toEqual([
      'orders:20',
      'orders:100',
      'web:20',
      'web:100',
      'payments:20',
      'payments:0',
      'web:0',
      'orders:0',
    ]);
  });

  it('ordered: a rollback of the release during the last service drain puts all three back', async () => {
    const account = await liveAccount('ordered');
    const { result } = await runRelease(account, releaseInput(account, 'ordered'), async (h) => {
      await passReleaseTests(h);
      await skipUntil(h, 'the last drain', (s) => s.phase === 'draining' && s.release.services[2].percent === 100);
      await h.signal(rollbackSignal, { by: 'alice', reason: 'checkout errors' });
    });
    expect(result).toMatchObject({ phase: 'rolled_back', reason: 'rollback requested by alice: checkout errors' });
    expectOnly(account, 'old');
    expect(weightChanges(account).filter((c) => c.endsWith(':0'))).toEqual(['payments:0', 'web:0', 'orders:0']);
  });

  it('a busy service refuses the release: nothing of the others is left, and the running deployment is untouched', async () => {
    const account = await liveAccount('lockstep');
    const busy = account.specs[1];
    const taskQueue = uniqueTaskQueue('busy');
    const worker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue,
      workflowBundle: { codePath: servers.workflowBundlePath },
      activities: account.fake.activities(),
    });
    await worker.runUntil(async () => {
      // web's own deployment, waiting at its tests gate under the service's workflow id.
      const running = await env.client.workflow.start<typeof blueGreenDeployment>('blueGreenDeployment', {
        taskQueue,
        workflowId: serviceWorkflowId(busy.service, busy.environment),
        args: [{ deploymentId: 'webbusy1', spec: busy, requestedBy: 'bob', pollIntervalMs: 1000 }],
      });
      await waitFor(running as unknown as ReleaseHandle, 'its tests gate', (s) => s.phase === 'awaiting_tests');
      const { result } = await runRelease(account, releaseInput(account, 'lockstep'), async () => undefined);
      expect(result.phase).toBe('failed');
      expect(result.reason).toMatch(/web\/rel\d+ is busy: a deployment of it is already running/);
      expect((await running.query(statusQuery)).phase).toBe('awaiting_tests');
      await running.terminate('test over');
    });
    // Only the three live deployments and web's own staged one (terminated above, as a test ends it).
    expect(production(account)).toEqual(onlyOn(account, 'old'));
    expect([...account.fake.targetGroups.keys()].filter((t) => t.includes('new01'))).toEqual([]);
  });

  it('lockstep: a pause holds every service at its step, resume goes on, and promote takes all three to 100%', async () => {
    const account = await liveAccount('lockstep');
    const { result } = await runRelease(account, releaseInput(account, 'lockstep'), async (h) => {
      await passReleaseTests(h);
      await waitFor(h, 'step 1 on every service', (s) => s.release.services.every((x) => (x.stepsDone ?? 0) >= 1));
      await h.signal(pauseSignal, { by: 'alice' });
      await waitFor(h, 'paused', (s) => s.history.some((x) => x.note.startsWith('paused by alice')));
      // Paused for 5 minutes of workflow time, three times the bake: no service goes past 10%.
      await env.sleep('300s');
      expect(weightChanges(account).sort()).toEqual(['orders:10', 'payments:10', 'web:10']);
      await h.signal(resumeSignal, { by: 'alice' });
      await h.signal(promoteSignal, { by: 'alice' });
    });
    expect(result).toMatchObject({ phase: 'active', leftovers: [] });
    expectOnly(account, 'new');
    const changes = weightChanges(account);
    expect(changes.slice(0, 3).sort()).toEqual(['orders:10', 'payments:10', 'web:10']);
    expect(changes.slice(3).sort()).toEqual(['orders:100', 'payments:100', 'web:100']);
  });

  it("ordered: a service's own rollback once it has drained is refused (the release may be tearing the others down)", async () => {
    const account = await liveAccount('ordered');
    const first = account.specs[0];
    const child = () => env.client.workflow.getHandle(serviceWorkflowId(first.service, first.environment));
    let notes: string[] = [];
    const { result } = await runRelease(account, releaseInput(account, 'ordered'), async (h) => {
      await passReleaseTests(h);
      await skipUntil(
        h,
        'orders drained',
        () => false,
        async () =>
          ((await child().query(statusQuery)).waitingFor ?? '').startsWith(
            'every service of the release to pass its drain',
          ),
      );
      await child().signal(rollbackSignal, { by: 'bob' });
      // Read while the worker runs (a query of an ended workflow needs one to replay it).
      for (let i = 0; i < 100 && !notes.some((n) => n.startsWith('ignored rollback')); i++) {
        notes = (await child().query(statusQuery)).history.map((x) => x.note);
        await new Promise((r) => setTimeout(r, 50));
      }
    });
    expect(result).toMatchObject({ phase: 'active', leftovers: [] });
    expectOnly(account, 'new');
    expect(notes).toContainEqual(
      expect.stringMatching(/^ignored rollback: deployment is one service of release \w+ and has drained/),
    );
  });
});
