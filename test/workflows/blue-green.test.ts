// The blue/green workflow on the time-skipping test server, against an in-memory AWS (test/support/fake-aws.ts).
import { WorkflowUpdateFailedError } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Activities } from '../../src/activities';
import type { DeploymentSpec, DeploymentStatus } from '../../src/shared/deployment';
import {
  approveSignal,
  rollbackSignal,
  statusQuery,
  testsFailedSignal,
  testsPassedSignal,
  updates,
} from '../../src/workflows/messages';
import { FakeAws } from '../support/fake-aws';
import { attachDevServer, attachTimeSkipping } from '../support/servers';
import {
  deployAndInspect,
  deployOn,
  inOrder,
  inventory,
  names,
  nothing,
  onlyLive,
  passAndApprove,
  passTests,
  spec,
  stageCleanup,
  stageSetup,
  waitForPhase,
  withApproval,
  type Drive,
  type Handle,
} from '../support/workflow-harness';

let env: TestWorkflowEnvironment;
beforeAll(async () => {
  env = await attachTimeSkipping();
});
afterAll(async () => {
  await env?.teardown();
});
const deploy = (fake: FakeAws, id: string, drive: Drive, deploySpec?: DeploymentSpec) =>
  deployOn(env, fake, id, drive, deploySpec);

describe('blue/green workflow', () => {
  it('first deployment: stages, waits for tests, goes live, removes the stage rule and record', async () => {
    const fake = new FakeAws();
    const result = await deploy(fake, 'aaaaaaa1', passTests);
    expect(result).toEqual({ deploymentId: 'aaaaaaa1', phase: 'active', leftovers: [] });
    // The roles and the target group side by side, the revision after the roles; then the stage rule, then the service.
    const revisionAndGroup = [
      'ensureRole switchyard-web-prod-execution',
      'ensureRole switchyard-web-prod-task',
      'createTargetGroup web-prod-aaaaaaa1',
      'registerTaskDefinition web-prod registry/web:2',
    ];
    expect(fake.sideEffects.indexOf('registerTaskDefinition web-prod registry/web:2')).toBeGreaterThan(
      fake.sideEffects.indexOf('ensureRole switchyard-web-prod-task'),
    );
    expect(inOrder(fake.sideEffects, revisionAndGroup, stageSetup('aaaaaaa1'), stageCleanup)).toEqual([
      ...revisionAndGroup,
      // The stage rule attaches the target group first: ECS refuses a service whose group is not attached.
      'putHostRule stage.web.example.com web-prod-aaaaaaa1=100',
      'upsertAliasRecord stage.web.example.com',
      'createService web-prod-aaaaaaa1',
      'putHostRule web.example.com web-prod-aaaaaaa1=100',
      'upsertAliasRecord web.example.com',
      'deleteHostRule stage.web.example.com',
      'deleteRecord stage.web.example.com',
      // Live: the execution role reads only this deployment's secrets (none here), no other's.
      'revokeSecretReads switchyard-web-prod-execution keep aaaaaaa1',
    ]);
    expect(fake.liveDeployment(spec.hosts.production)).toBe('aaaaaaa1');
    expect(inventory(fake)).toEqual(onlyLive('aaaaaaa1'));
  });

  it('the fake account refuses, as ECS does, a service whose target group no rule attaches yet', async () => {
    const fake = new FakeAws();
    const aws = fake.activities();
    const groupArn = await aws.createTargetGroup({
      name: 'web-prod-cccccc01',
      tags: [],
    } as unknown as Parameters<Activities['createTargetGroup']>[0]);
    const service = {
      cluster: spec.cluster,
      name: 'web-prod-cccccc01',
      targetGroupArn: groupArn,
    } as unknown as Parameters<Activities['createService']>[0];
    await expect(aws.createService(service)).rejects.toMatchObject({
      message: `The target group with targetGroupArn ${groupArn} does not have an associated load balancer.`,
      type: 'InvalidParameterException',
      nonRetryable: true,
    });
    expect(fake.services.size).toBe(0);
  });

  it("gives the roles a first deployment creates IAM's propagation time before the service starts its tasks; a later deployment does not wait", async () => {
    const fake = new FakeAws();
    const waited = (status: DeploymentStatus) =>
      status.history.map((s) => s.note).filter((n) => /^IAM role .* was just created/.test(n));
    const first = await deployAndInspect(env, fake, 'aaaaaaa1', passTests);
    expect(first.result.phase).toBe('active');
    expect(fake.startedBeforeRolesPropagated).toEqual([]);
    expect(waited(first.status).sort()).toEqual([
      'IAM role switchyard-web-prod-execution was just created: giving it 10s to propagate before tasks use it',
      'IAM role switchyard-web-prod-task was just created: giving it 10s to propagate before tasks use it',
    ]);
    const second = await deployAndInspect(env, fake, 'bbbbbbb2', passAndApprove, withApproval);
    expect(second.result.phase).toBe('active');
    expect(waited(second.status)).toEqual([]);
  });

  it('without that wait (iamPropagation 0) the service would start tasks AWS fails to start: the fake account notices', async () => {
    const fake = new FakeAws();
    expect((await deploy(fake, 'aaaaaaa1', passTests, { ...spec, iamPropagationMs: 0 })).phase).toBe('active');
    expect(fake.startedBeforeRolesPropagated).toEqual(['web-prod-aaaaaaa1']);
  });

  it('tells CI to test only once the stage record is INSYNC on every Route 53 name server', async () => {
    const fake = new FakeAws();
    await deploy(fake, 'aaaaaaa1', passTests);
    const upsert = fake.calls.indexOf('upsertAliasRecord stage.web.example.com');
    const insync = fake.calls.indexOf('waitForDnsChange change-1');
    expect(upsert).toBeGreaterThanOrEqual(0);
    expect(insync).toBeGreaterThan(fake.calls.indexOf('waitForTargetsHealthy'));
  });

  it('refuses a production host whose record points elsewhere, before anything is created (invalid input)', async () => {
    const fake = new FakeAws();
    fake.foreignRecords.set('web.example.com', [
      { Name: 'web.example.com.', Type: 'CNAME', TTL: 300, ResourceRecords: [{ Value: 'old-web.example.net' }] },
    ]);
    const result = await deploy(fake, 'aaaaaaa1', async () => undefined);
    expect(result).toEqual({
      deploymentId: 'aaaaaaa1',
      phase: 'failed',
      reason:
        'invalid input: web.example.com points elsewhere (CNAME old-web.example.net); refusing to replace it: set hosts.overwriteProductionRecord: true to replace it (a rollback puts it back)',
      leftovers: [],
    });
    expect(fake.sideEffects).toEqual([]);
  });

  it('leaves a production record it does not manage alone: neither read nor written (hosts.productionRecord: leave)', async () => {
    const fake = new FakeAws();
    const cloudFront = {
      Name: 'web.example.com.',
      Type: 'A',
      AliasTarget: {
        HostedZoneId: 'Z2FDTNDATAQYW2',
        DNSName: 'd111111abcdef8.cloudfront.net.',
        EvaluateTargetHealth: false,
      },
    };
    fake.foreignRecords.set('web.example.com', [cloudFront]);
    const leave = { ...spec, hosts: { ...spec.hosts, productionRecord: 'leave' as const } };
    const result = await deploy(fake, 'aaaaaaa1', passTests, leave);
    expect(result).toMatchObject({ phase: 'active', leftovers: [] });
    expect(
      fake.calls.filter((c) =>
        /^(recordsAt|recordExists|upsertAliasRecord|replaceWithAlias) web\.example\.com/.test(c),
      ),
    ).toEqual([]);
    expect(fake.foreignRecords.get('web.example.com')).toEqual([cloudFront]);
  });

  it('replaces a production record pointing elsewhere when the spec allows it, and puts it back on rollback', async () => {
    const cname = {
      Name: 'web.example.com.',
      Type: 'CNAME',
      TTL: 300,
      ResourceRecords: [{ Value: 'old-web.example.net' }],
    };
    const allowed = { ...spec, hosts: { ...spec.hosts, overwriteProductionRecord: true } };
    const bakeAtFull = {
      name: 'hold',
      steps: [{ kind: 'setWeight' as const, percent: 100 }],
      finalBake: { durationMs: 3_600_000, intervalMs: 60_000, failureLimit: 0, checks: { alarms: [] } },
    };
    const fake = new FakeAws();
    fake.foreignRecords.set('web.example.com', [cname]);
    const result = await deploy(
      fake,
      'aaaaaaa1',
      async (h) => {
        await passTests(h);
        await waitForPhase(h, 'baking');
        await h.signal(rollbackSignal, { by: 'erin', reason: 'wrong DNS' });
      },
      { ...allowed, traffic: bakeAtFull },
    );
    expect(result).toMatchObject({ phase: 'rolled_back', leftovers: [] });
    const effects = fake.sideEffects;
    expect(effects).toContain('replaceWithAlias web.example.com CNAME');
    expect(effects.slice(effects.indexOf('replaceWithAlias web.example.com CNAME'))).toEqual(
      expect.arrayContaining(['deleteHostRule web.example.com', 'restoreRecords web.example.com CNAME']),
    );
    expect(effects.indexOf('restoreRecords web.example.com CNAME')).toBeGreaterThan(
      effects.indexOf('deleteHostRule web.example.com'),
    );
    expect(fake.foreignRecords.get('web.example.com')).toEqual([cname]);
    expect(fake.records.has('web.example.com')).toBe(false);
  });

  it('second deployment: approval recorded, production switched and verified, then the previous one torn down in an order AWS accepts', async () => {
    const fake = new FakeAws();
    await deploy(fake, 'aaaaaaa1', passTests);
    fake.calls.length = 0;
    let approvedBy: string | undefined;
    const result = await deploy(
      fake,
      'bbbbbbb2',
      async (h) => {
        await passAndApprove(h);
        await waitForPhase(h, 'draining');
        approvedBy = (await h.query(statusQuery)).approvedBy;
      },
      withApproval,
    );
    expect(result.phase).toBe('active');
    expect(approvedBy).toBe('alice');
    // The previous service and revision are removed side by side, the target group after both.
    const effects = inOrder(fake.sideEffects, stageCleanup, [
      `deleteService ${names('aaaaaaa1').ecsService}`,
      'deregisterTaskDefinition arn:task-definition/web-prod:1',
    ]);
    // The production rule found before staging is modified by its ARN. The production record already
    // aliases the load balancer (the first deployment wrote it): it is not written again.
    expect(effects.slice(effects.indexOf('setRuleTargets web.example.com web-prod-bbbbbbb2=100'))).toEqual([
      'setRuleTargets web.example.com web-prod-bbbbbbb2=100',
      'deleteHostRule stage.web.example.com',
      'deleteRecord stage.web.example.com',
      `deleteService ${names('aaaaaaa1').ecsService}`,
      'deregisterTaskDefinition arn:task-definition/web-prod:1',
      'deleteTargetGroup web-prod-aaaaaaa1',
      'revokeSecretReads switchyard-web-prod-execution keep bbbbbbb2',
    ]);
    expect(inventory(fake)).toEqual(onlyLive('bbbbbbb2'));
  });

  it.each([
    ['the tests gate times out', spec, async () => undefined, 'no test result within 1h'],
    [
      'tests fail',
      spec,
      async (h: Handle) => {
        await waitForPhase(h, 'awaiting_tests');
        await h.signal(testsFailedSignal, { by: 'ci', reason: '3 of 40 smoke tests failed' });
      },
      'tests failed (reported by ci): 3 of 40 smoke tests failed',
    ],
    ['approval times out (onTimeout: rollback)', withApproval, passTests, 'not approved within 24h'],
    [
      'rollback while staged',
      spec,
      async (h: Handle) => {
        await waitForPhase(h, 'awaiting_tests');
        await h.signal(rollbackSignal, { by: 'bob', reason: 'wrong image' });
      },
      'rollback requested by bob: wrong image',
    ],
    [
      'rollback while awaiting approval',
      withApproval,
      async (h: Handle) => {
        await passTests(h);
        await waitForPhase(h, 'awaiting_approval');
        await h.signal(rollbackSignal, { by: 'carol' });
      },
      'rollback requested by carol',
    ],
  ])('rolls back when %s, removing everything staged, newest first', async (_name, deploySpec, drive, reason) => {
    const fake = new FakeAws();
    await deploy(fake, 'aaaaaaa1', passTests);
    fake.calls.length = 0;
    const result = await deploy(fake, 'bbbbbbb2', drive, deploySpec);
    expect(result).toEqual({ deploymentId: 'bbbbbbb2', phase: 'rolled_back', reason, leftovers: [] });
    const effects = inOrder(fake.sideEffects, stageSetup('bbbbbbb2'));
    const undo = effects.slice(effects.indexOf('createService web-prod-bbbbbbb2') + 1);
    // Newest first: the service (made last, once its group was attached), then the stage record and rule;
    // the target group is created beside the revision, its undo pushed first.
    expect(undo).toEqual([
      'deleteService web-prod-bbbbbbb2',
      'deleteRecord stage.web.example.com',
      'deleteHostRule stage.web.example.com',
      'deregisterTaskDefinition bbbbbbb2',
      'deleteTargetGroup web-prod-bbbbbbb2',
    ]);
    expect(fake.liveDeployment(spec.hosts.production)).toBe('aaaaaaa1');
    expect(inventory(fake).targetGroups).toEqual(['web-prod-aaaaaaa1']);
  });

  it("lets Switchyard's execution role read the revision's secrets before its tasks start; a rollback takes that back, a deployment that goes live keeps only its own", async () => {
    const secret = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbC123';
    const withSecrets = (valueFrom: string): DeploymentSpec => ({
      ...spec,
      taskDefinition: {
        ...spec.taskDefinition,
        containerDefinitions: spec.taskDefinition.containerDefinitions.map((c) => ({
          ...c,
          secrets: [{ name: 'DB', valueFrom }],
        })),
      },
    });
    const role = 'switchyard-web-prod-execution';
    const fake = new FakeAws();
    await deploy(fake, 'aaaaaaa1', passTests, withSecrets(secret));
    const first = fake.sideEffects;
    expect(first.indexOf(`grantSecretReads ${role} aaaaaaa1`)).toBeLessThan(
      first.indexOf('createService web-prod-aaaaaaa1'),
    );
    expect(fake.secretReads.get(role)).toEqual(new Map([['aaaaaaa1', [secret]]]));

    const rolledBack = await deploy(fake, 'bbbbbbb2', async () => undefined, withSecrets(`${secret}:password::`));
    expect(rolledBack.phase).toBe('rolled_back');
    expect(fake.sideEffects).toContain(`revokeSecretReads ${role} bbbbbbb2`);
    expect(fake.secretReads.get(role)).toEqual(new Map([['aaaaaaa1', [secret]]]));

    const other = 'arn:aws:ssm:us-east-1:123456789012:parameter/web/flags';
    expect((await deploy(fake, 'ccccccc3', passTests, withSecrets(other))).phase).toBe('active');
    expect(fake.secretReads.get(role)).toEqual(new Map([['ccccccc3', [other]]]));
  });

  it('rollback while staging waits for the in-flight wait to end, then removes everything staged', async () => {
    const fake = new FakeAws();
    let release!: () => void;
    fake.holdStaging = new Promise((resolve) => (release = resolve));
    const result = await deploy(fake, 'aaaaaaa1', async (h) => {
      for (let i = 0; i < 200 && !(await h.query(statusQuery)).waitingFor?.includes('health checks'); i++)
        await new Promise((r) => setTimeout(r, 50));
      await h.signal(rollbackSignal, { by: 'frank', reason: 'wrong branch' });
      await new Promise((r) => setTimeout(r, 300));
      release();
    });
    expect(result).toEqual({
      deploymentId: 'aaaaaaa1',
      phase: 'rolled_back',
      reason: 'rollback requested by frank: wrong branch',
      leftovers: [],
    });
    expect(inventory(fake)).toEqual(nothing);
  });

  it('continues when approval times out and the spec says continue', async () => {
    const fake = new FakeAws();
    const result = await deploy(fake, 'aaaaaaa1', passTests, {
      ...spec,
      approval: { required: true, timeoutMs: 3_600_000, onTimeout: 'continue' },
    });
    expect(result.phase).toBe('active');
  });

  /** aaaaaaa1 live, then bbbbbbb2 rolled back by dave while draining, `meanwhile` just before. */
  async function rollBackWhileDraining(fake: FakeAws, meanwhile: () => void = () => undefined) {
    await deploy(fake, 'aaaaaaa1', passTests);
    fake.calls.length = 0;
    return deploy(fake, 'bbbbbbb2', async (h) => {
      await passTests(h);
      await waitForPhase(h, 'draining');
      meanwhile();
      await h.signal(rollbackSignal, { by: 'dave', reason: 'error rate' });
    });
  }
  /** What ran after the stage clean-up: the rollback's undo. */
  const afterStageCleanup = (calls: string[]) => {
    const ordered = inOrder(calls, stageCleanup);
    return ordered.slice(ordered.indexOf('deleteRecord stage.web.example.com') + 1);
  };

  it('rollback while draining puts production back on the previous deployment first', async () => {
    const fake = new FakeAws();
    const result = await rollBackWhileDraining(fake);
    expect(result).toMatchObject({ phase: 'rolled_back', reason: 'rollback requested by dave: error rate' });
    expect(afterStageCleanup(fake.sideEffects)).toEqual([
      'setRuleTargets web.example.com web-prod-aaaaaaa1=100',
      'deleteService web-prod-bbbbbbb2',
      'deregisterTaskDefinition bbbbbbb2',
      'deleteTargetGroup web-prod-bbbbbbb2',
    ]);
    expect(inventory(fake)).toEqual(onlyLive('aaaaaaa1'));
  });

  it('a production rule recreated under another ARN is still restored on rollback (found by host)', async () => {
    const fake = new FakeAws();
    const result = await rollBackWhileDraining(fake, () => {
      // Someone deletes the production rule and creates it again: same host and weights, new ARN.
      const rule = fake.rules.get('web.example.com')!;
      fake.rules.set('web.example.com', { ...rule, ruleArn: 'arn:rule/recreated' });
    });
    expect(result).toMatchObject({ phase: 'rolled_back', leftovers: [] });
    // The write by ARN finds no rule; the undo finds it by host and writes it.
    expect(afterStageCleanup(fake.calls).slice(0, 2)).toEqual([
      'setRuleTargets arn:rule/2 web-prod-aaaaaaa1=100',
      'putHostRule web.example.com web-prod-aaaaaaa1=100',
    ]);
    expect(fake.rules.get('web.example.com')).toMatchObject({ ruleArn: 'arn:rule/recreated' });
    expect(inventory(fake)).toEqual(onlyLive('aaaaaaa1'));
  });

  it.each<[keyof Activities, string]>([
    ['registerTaskDefinition', 'registerTaskDefinition web-prod registry/web:2: injected fault'],
    ['createTargetGroup', 'createTargetGroup web-prod-aaaaaaa1: injected fault'],
    ['createService', 'createService web-prod-aaaaaaa1: injected fault'],
    ['putHostRule', 'putHostRule stage.web.example.com web-prod-aaaaaaa1=100: injected fault'],
    ['upsertAliasRecord', 'upsertAliasRecord stage.web.example.com: injected fault'],
  ])('a permanent failure of %s rolls back and leaves nothing', async (activity, message) => {
    const fake = new FakeAws().fail(activity, 'always');
    const result = await deploy(fake, 'aaaaaaa1', async () => undefined);
    expect(result).toEqual({
      deploymentId: 'aaaaaaa1',
      phase: 'rolled_back',
      reason: `failed: ${message}`,
      leftovers: [],
    });
    expect(inventory(fake)).toEqual(nothing);
  });

  it('a service that never becomes steady rolls back at the deadline with the state it was in', async () => {
    const fake = new FakeAws();
    fake.steady = false;
    const result = await deploy(fake, 'aaaaaaa1', async () => undefined);
    expect(result.phase).toBe('rolled_back');
    expect(result.reason).toBe(
      'failed: gave up waiting for ECS service web-prod-aaaaaaa1 to be steady at the deadline: running 0 of 2',
    );
    expect(inventory(fake).services).toEqual([]);
  });

  it.each<keyof Activities>([
    'registerTaskDefinition',
    'createTargetGroup',
    'createService',
    'putHostRule',
    'upsertAliasRecord',
    'deleteHostRule',
    'deleteService',
    'deleteTargetGroup',
  ])('a crash after %s did its work is retried without duplicating anything', async (activity) => {
    const fake = new FakeAws();
    await deploy(fake, 'aaaaaaa1', passTests);
    fake.fail(activity, 'after-work');
    const result = await deploy(fake, 'bbbbbbb2', passTests);
    expect(result.phase).toBe('active');
    expect(inventory(fake)).toEqual(onlyLive('bbbbbbb2'));
  });

  it('ends failed, naming what is left, when an undo keeps failing', async () => {
    const fake = new FakeAws().fail('deleteService', 'always');
    const result = await deploy(fake, 'aaaaaaa1', async () => undefined);
    expect(result).toEqual({
      deploymentId: 'aaaaaaa1',
      phase: 'failed',
      reason: 'no test result within 1h',
      leftovers: ['service'],
    });
  });

  it('answers messages sent as Updates: a refusal says why and leaves no trace, a gate answers once open, a rollback once production reads back', async () => {
    const fake = new FakeAws();
    await deploy(fake, 'aaaaaaa1', passTests);
    let refused: unknown;
    let tests: unknown;
    let restoredWhenAnswered = false;
    let rollback: unknown;
    let accepted: string[] = [];
    const result = await deploy(fake, 'bbbbbbb2', async (h) => {
      await waitForPhase(h, 'awaiting_tests');
      refused = await h.executeUpdate(updates.approve, { args: [{ by: 'eve' }] }).catch((e: unknown) => e);
      tests = await h.executeUpdate(updates.testsPassed, { args: [{ by: 'ci', identity: '7@runner' }] });
      await waitForPhase(h, 'draining');
      rollback = await h.executeUpdate(updates.rollback, { args: [{ by: 'dave', reason: 'error rate' }] });
      restoredWhenAnswered = fake.sideEffects.includes('setRuleTargets web.example.com web-prod-aaaaaaa1=100');
      const history = await h.fetchHistory();
      accepted = (history.events ?? []).flatMap((e) =>
        e.workflowExecutionUpdateAcceptedEventAttributes
          ? [e.workflowExecutionUpdateAcceptedEventAttributes.acceptedRequest!.input!.name!]
          : [],
      );
    });
    expect(refused).toBeInstanceOf(WorkflowUpdateFailedError);
    expect((refused as WorkflowUpdateFailedError).cause?.message).toBe(
      'approval refused: the deployment is awaiting_tests',
    );
    // The tests gate opened before the answer: the deployment was past it.
    expect(tests).toEqual({
      phase: 'activating',
      note: 'tests passed (reported by ci (7@runner)); the deployment is activating',
    });
    expect(rollback).toEqual({
      phase: 'rolling_back',
      note: 'production restored to aaaaaaa1 (read back)',
      restoreMs: expect.any(Number),
    });
    expect(restoredWhenAnswered).toBe(true);
    // The refused approval is nowhere in the history.
    expect(accepted).toEqual(['testsPassed', 'rollback']);
    expect(result).toMatchObject({ phase: 'rolled_back', reason: 'rollback requested by dave: error rate' });
    expect(inventory(fake)).toEqual(onlyLive('aaaaaaa1'));
  });

  it('reports its status and ignores messages that make no sense in the current phase', async () => {
    const fake = new FakeAws();
    let snapshot: DeploymentStatus | undefined;
    await deploy(fake, 'aaaaaaa1', async (h) => {
      await waitForPhase(h, 'awaiting_tests');
      await h.signal(approveSignal, { by: 'eve' });
      snapshot = await h.query(statusQuery);
      await h.signal(testsPassedSignal, { by: 'ci' });
    });
    expect(snapshot).toMatchObject({
      deploymentId: 'aaaaaaa1',
      service: 'web',
      environment: 'prod',
      image: 'registry/web:2',
      phase: 'awaiting_tests',
      requestedBy: 'test',
      resources: {
        targetGroupArn: 'arn:targetgroup/web-prod-aaaaaaa1',
        serviceName: 'web-prod-aaaaaaa1',
        listenerArn: 'arn:listener/80',
      },
    });
    expect(snapshot!.approvedBy).toBeUndefined();
    expect(snapshot!.history.map((h) => h.note)).toContain('ignored approval: the deployment is awaiting_tests');
  });
});

// The time-skipping test server refuses an activity's completion once its cancellation was requested
// (the deployment then hangs); the dev server accepts it, as a real cluster does. Real time: short drain.
describe('blue/green workflow on the dev server', () => {
  let dev: TestWorkflowEnvironment;
  beforeAll(async () => {
    dev = await attachDevServer();
  });
  afterAll(async () => {
    await dev?.teardown();
  });
  // Real time here: a short drain, and IAM roles that propagate in 1 s (AWS's 10 s of a first deployment
  // would be waited out in full, as long as a drive waits for a phase: the project's CI lost that race).
  const quick = { ...spec, drainMs: 500, iamPropagationMs: 1_000 };
  const quickAws = () => Object.assign(new FakeAws(), { rolePropagationMs: quick.iamPropagationMs });

  it('a rollback that arrives while the last step before teardown is running is honoured, not dropped', async () => {
    const fake = quickAws();
    await deployOn(dev, fake, 'aaaaaaa1', passTests, quick);
    expect(fake.startedBeforeRolesPropagated).toEqual([]);
    fake.calls.length = 0;
    // Reads of the production rule: the first finds the live deployment (before any drive could run), the
    // second is the check after the drain, the last step before teardown. The rollback lands while that
    // activity runs (and completes despite the cancel).
    let productionReads = 0;
    let deployment: Handle | undefined;
    fake.beforeFindHostRule = async (host) => {
      if (host === 'web.example.com' && ++productionReads === 2)
        await deployment!.signal(rollbackSignal, { by: 'erin', reason: 'late' });
    };
    const result = await deployOn(
      dev,
      fake,
      'bbbbbbb2',
      async (h) => {
        deployment = h;
        await passTests(h);
      },
      quick,
    );
    expect(productionReads).toBe(2);
    expect(result).toEqual({
      deploymentId: 'bbbbbbb2',
      phase: 'rolled_back',
      reason: 'rollback requested by erin: late',
      leftovers: [],
    });
    expect(fake.sideEffects).not.toContain('deleteService web-prod-aaaaaaa1');
    expect(inventory(fake)).toEqual(onlyLive('aaaaaaa1'));
  });
});
