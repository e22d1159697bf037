// CodeDeploy activities against moto behind the behaviour proxy, which runs CodeDeploy's ECS blue/green
// lifecycle (Green with test traffic, the ready wait, the shift by the deployment config, the termination
// wait, a stop with rollback) at the tests' time scale; with the ECS and ELB reads a rollback is checked by
// (the service's task sets, what each listener forwards).
import { GetDeploymentCommand, ListDeploymentsCommand, type DeploymentInfo } from '@aws-sdk/client-codedeploy';
import type { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import type { CodeDeployProgress } from '../../src/activities/codedeploy';
import { demoAccount } from '../../src/dev/demo';
import { createCodeDeployService, type CodeDeployGroupOptions } from '../support/codedeploy';
import { useSeededMoto } from '../support/servers';

const cluster = demoAccount.cluster;
const run = <T>(fn: () => Promise<T>): Promise<T> =>
  new MockActivityEnvironment(undefined, { logger: new DefaultLogger('ERROR') }).run(fn) as Promise<T>;

/** The failure a call ends with (a call that resolves fails the test). */
const failure = (p: Promise<unknown>): Promise<ApplicationFailure> =>
  p.then(
    (value) => {
      throw new Error(`expected a failure, got ${JSON.stringify(value)}`);
    },
    (err: unknown) => err as ApplicationFailure,
  );

// AWS's order of the ECS lifecycle events (deployment-steps-ecs.html), written out here rather than taken
// from the emulator's list: the assertion checks the emulator too.
const lifecycleEventNames = [
  'BeforeInstall',
  'Install',
  'AfterInstall',
  'AllowTestTraffic',
  'AfterAllowTestTraffic',
  'BeforeAllowTraffic',
  'AllowTraffic',
  'AfterAllowTraffic',
];

describe('CodeDeploy activities on moto', () => {
  const moto = useSeededMoto();

  function service(name: string, group: CodeDeployGroupOptions) {
    return createCodeDeployService(moto.clients, moto.clients.codeDeploy, name, group);
  }

  /** An AppSpec (JSON) as the workflow writes one: the revision, container web on port 80. */
  const appSpecOf = (taskDefinition: string) =>
    JSON.stringify({
      version: 0.0,
      Resources: [
        {
          TargetService: {
            Type: 'AWS::ECS::Service',
            Properties: {
              TaskDefinition: taskDefinition,
              LoadBalancerInfo: { ContainerName: 'web', ContainerPort: 80 },
            },
          },
        },
      ],
    });

  async function deployment(id: string): Promise<DeploymentInfo> {
    return (await moto.clients.codeDeploy.send(new GetDeploymentCommand({ deploymentId: id }))).deploymentInfo!;
  }

  /** Polls GetDeployment until `done` holds; at most `ms`. */
  async function until(id: string, done: (d: DeploymentInfo) => boolean, ms = 20_000): Promise<DeploymentInfo> {
    const deadline = Date.now() + ms;
    for (;;) {
      const d = await deployment(id);
      if (done(d)) return d;
      if (Date.now() > deadline) throw new Error(`deployment ${id} is ${d.status}: ${JSON.stringify(d)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  const follow = (
    deploymentId: string,
    targetId: string,
    seen?: Pick<CodeDeployProgress, 'status' | 'terminationWait' | 'replacementPercent'>,
    deadlineMs = 20_000,
  ) =>
    run(() =>
      moto.aws.followCodeDeployDeployment({
        deploymentId,
        targetId,
        ...(seen ? { seen } : {}),
        deadline: Date.now() + deadlineMs,
        intervalMs: 1_000,
      }),
    );

  const eventsOf = (p: CodeDeployProgress) => Object.fromEntries(p.events.map((e) => [e.name, e.status]));

  describe('describeDeploymentGroup', () => {
    it('reads the group: its service, ready wait, termination wait, config and routing, listeners, rollback, in flight', async () => {
      const s = await service('cda-group', { readyWaitMinutes: 60, terminationWaitMinutes: 5 });
      const expected = {
        computePlatform: 'ECS',
        deploymentType: 'BLUE_GREEN',
        ecsServices: [`${cluster}/cda-group`],
        readyWait: { holds: true, waitMinutes: 60 },
        terminationWaitMinutes: 5,
        deploymentConfig: {
          name: 'CodeDeployDefault.ECSCanary10Percent5Minutes',
          routing: { type: 'TimeBasedCanary', percentage: 10, intervalMinutes: 5 },
        },
        productionListeners: [s.production],
        testListeners: [s.test],
        rollbackEvents: [],
        inFlight: [],
      };
      const input = { application: 'cda-group', deploymentGroup: 'cda-group' };
      expect(await moto.aws.describeDeploymentGroup(input)).toEqual(expected);

      // The spec's config instead of the group's.
      expect(
        (
          await moto.aws.describeDeploymentGroup({
            ...input,
            deploymentConfig: 'CodeDeployDefault.ECSLinear10PercentEvery1Minutes',
          })
        ).deploymentConfig,
      ).toEqual({
        name: 'CodeDeployDefault.ECSLinear10PercentEvery1Minutes',
        routing: { type: 'TimeBasedLinear', percentage: 10, intervalMinutes: 1 },
      });

      // A deployment started outside Switchyard is in flight (Ready: held by the ready wait).
      const id = await s.deploy('nginx:2');
      await until(id, (d) => d.status === 'Ready');
      const setup = await moto.aws.describeDeploymentGroup(input);
      expect(setup.inFlight).toEqual([{ id, status: 'Ready', description: undefined }]);
      expect({ ...setup, inFlight: [] }).toEqual(expected);
    });

    it('a group that continues on its own, on AllAtOnce, with its rollback events enabled', async () => {
      await service('cda-group2', {
        config: 'CodeDeployDefault.ECSAllAtOnce',
        rollbackOn: ['DEPLOYMENT_FAILURE'],
        terminationWaitMinutes: 0,
      });
      expect(
        await moto.aws.describeDeploymentGroup({ application: 'cda-group2', deploymentGroup: 'cda-group2' }),
      ).toMatchObject({
        readyWait: { holds: false, waitMinutes: 0 },
        terminationWaitMinutes: 0,
        deploymentConfig: { name: 'CodeDeployDefault.ECSAllAtOnce', routing: { type: 'AllAtOnce' } },
        rollbackEvents: ['DEPLOYMENT_FAILURE'],
        inFlight: [],
      });
    });

    it('a missing application, group or config is a Prerequisite failure naming it', async () => {
      await service('cda-missing', { readyWaitMinutes: 60 });
      const app = await failure(
        moto.aws.describeDeploymentGroup({ application: 'cda-nope', deploymentGroup: 'cda-missing' }),
      );
      expect(app).toMatchObject({
        type: 'Prerequisite',
        nonRetryable: true,
        message: 'not found: CodeDeploy application cda-nope',
      });
      const group = await failure(
        moto.aws.describeDeploymentGroup({ application: 'cda-missing', deploymentGroup: 'cda-nope' }),
      );
      expect(group).toMatchObject({
        type: 'Prerequisite',
        nonRetryable: true,
        message: 'not found: CodeDeploy deployment group cda-nope of application cda-missing',
      });
      const config = await failure(
        moto.aws.describeDeploymentGroup({
          application: 'cda-missing',
          deploymentGroup: 'cda-missing',
          deploymentConfig: 'CodeDeployDefault.ECSNope',
        }),
      );
      expect(config).toMatchObject({
        type: 'Prerequisite',
        nonRetryable: true,
        message: 'not found: CodeDeploy deployment config CodeDeployDefault.ECSNope',
      });
    });
  });

  describe('createCodeDeployDeployment', () => {
    it('creates the deployment; called again with its description finds it instead of starting another', async () => {
      const s = await service('cda-create', { readyWaitMinutes: 60 });
      const revision = await s.revision('nginx:2');
      const input = {
        application: s.name,
        deploymentGroup: s.name,
        appSpec: appSpecOf(revision),
        description: 'switchyard cda-create 1',
        rollbackEvents: ['DEPLOYMENT_FAILURE'],
      };
      const first = await moto.aws.createCodeDeployDeployment(input);
      expect(first).toEqual({ id: expect.any(String), found: false });
      expect(await deployment(first.id)).toMatchObject({
        applicationName: s.name,
        deploymentGroupName: s.name,
        description: 'switchyard cda-create 1',
        // Rolled back on failure and on a stop whatever the group says, the group's own events kept, once each.
        autoRollbackConfiguration: { enabled: true, events: ['DEPLOYMENT_FAILURE', 'DEPLOYMENT_STOP_ON_REQUEST'] },
      });
      expect(await moto.aws.createCodeDeployDeployment(input)).toEqual({ id: first.id, found: true });
      const listed = await moto.clients.codeDeploy.send(
        new ListDeploymentsCommand({ applicationName: s.name, deploymentGroupName: s.name }),
      );
      expect(listed.deployments).toEqual([first.id]);
      // The revision it names is what CodeDeploy puts on Green.
      await until(first.id, (d) => d.status === 'Ready');
      expect((await s.revisions()).sort()).toEqual([s.original, revision].sort());
    });

    it('another deployment in flight in the group is a Prerequisite failure naming it', async () => {
      // No ready wait: the other one stays InProgress through its canary (6 s scaled).
      const s = await service('cda-busy', {});
      const other = await s.deploy('nginx:2');
      const err = await failure(
        moto.aws.createCodeDeployDeployment({
          application: s.name,
          deploymentGroup: s.name,
          appSpec: appSpecOf(await s.revision('nginx:3')),
          description: 'switchyard cda-busy 1',
          rollbackEvents: [],
        }),
      );
      expect(err).toMatchObject({ type: 'Prerequisite', nonRetryable: true });
      expect(err.message).toBe(
        `CodeDeploy deployment group cda-busy/cda-busy already has a deployment in progress: ${other} (InProgress). ` +
          `Wait for it to end, or stop it (aws deploy stop-deployment --deployment-id ${other} --auto-rollback-enabled)`,
      );
      const listed = await moto.clients.codeDeploy.send(
        new ListDeploymentsCommand({ applicationName: s.name, deploymentGroupName: s.name }),
      );
      expect(listed.deployments).toEqual([other]);
    });
  });

  describe('followCodeDeployDeployment', () => {
    it('returns at once without `seen`, otherwise once the deployment moves: Ready, the canary, the termination wait, Succeeded', async () => {
      const s = await service('cda-follow', { readyWaitMinutes: 60, terminationWaitMinutes: 1 });
      const targetId = `${cluster}:${s.name}`;
      const id = await s.deploy('nginx:2');

      let started = Date.now();
      const now = await follow(id, targetId);
      expect(Date.now() - started).toBeLessThan(1_000);
      expect(now).toMatchObject({ id, status: 'InProgress', terminationWait: false, replacementPercent: 0 });
      expect(now.events.map((e) => e.name)).toEqual(lifecycleEventNames);
      expect(eventsOf(now)).toMatchObject({ BeforeInstall: 'Succeeded', BeforeAllowTraffic: 'Pending' });
      expect(now.error).toBeUndefined();

      // Green up, test traffic on it, held at the ready wait.
      const ready = await follow(id, targetId, now);
      expect(ready).toMatchObject({ id, status: 'Ready', terminationWait: false, replacementPercent: 0 });
      expect(eventsOf(ready)).toEqual({
        BeforeInstall: 'Succeeded',
        Install: 'Succeeded',
        AfterInstall: 'Succeeded',
        AllowTestTraffic: 'Succeeded',
        AfterAllowTestTraffic: 'Succeeded',
        BeforeAllowTraffic: 'Pending',
        AllowTraffic: 'Pending',
        AfterAllowTraffic: 'Pending',
      });

      // Nothing moves at Ready: the follow waits, and says where it is at the deadline.
      started = Date.now();
      const held = await failure(follow(id, targetId, ready, 2_500));
      expect(Date.now() - started).toBeGreaterThanOrEqual(2_000);
      expect(held).toMatchObject({ type: 'DeadlineExceeded', nonRetryable: true });
      expect(held.message).toBe(
        `gave up waiting for CodeDeploy deployment ${id} at the deadline: Ready, 0% of production on the replacement`,
      );
      // Without `seen`, at once, whatever it is.
      expect(await follow(id, targetId)).toMatchObject({ status: 'Ready', replacementPercent: 0 });

      await moto.aws.continueCodeDeployDeployment({ deploymentId: id });
      const canary = await follow(id, targetId, ready);
      expect(canary).toMatchObject({ id, status: 'InProgress', terminationWait: false, replacementPercent: 10 });
      expect(await s.weights(s.production)).toEqual({ blue: 90, green: 10 });

      // The canary's interval (5 minutes, 6 s scaled), then all of it, then the termination wait.
      const waiting = await follow(id, targetId, canary);
      expect(waiting).toMatchObject({ id, status: 'InProgress', terminationWait: true, replacementPercent: 100 });

      const done = await follow(id, targetId, waiting);
      expect(done).toMatchObject({ id, status: 'Succeeded', replacementPercent: 100 });
      expect(done.events.every((e) => e.status === 'Succeeded')).toBe(true);
      expect(done.error).toBeUndefined();
      expect(done.rollbackDeploymentId).toBeUndefined();
      // Ended: it returns at once, `seen` or not.
      started = Date.now();
      expect(await follow(id, targetId, done)).toMatchObject({ status: 'Succeeded' });
      expect(Date.now() - started).toBeLessThan(1_000);
    }, 30_000);
  });

  describe('continueCodeDeployDeployment', () => {
    it('ends the ready wait, a retry does nothing, and one stopped meanwhile is a WaitFailed saying so', async () => {
      const s = await service('cda-continue', { readyWaitMinutes: 60 });
      const id = await s.deploy('nginx:2');
      await until(id, (d) => d.status === 'Ready');
      expect(await s.weights(s.production)).toEqual({ blue: 100, green: 0 });

      await expect(moto.aws.continueCodeDeployDeployment({ deploymentId: id })).resolves.toBeUndefined();
      expect((await deployment(id)).status).toBe('InProgress');
      expect(await s.weights(s.production)).toEqual({ blue: 90, green: 10 });
      // A retry after it went through: past Ready, nothing to do.
      await expect(moto.aws.continueCodeDeployDeployment({ deploymentId: id })).resolves.toBeUndefined();
      expect(await s.weights(s.production)).toEqual({ blue: 90, green: 10 });
      await moto.aws.stopCodeDeployDeployment({
        application: s.name,
        deploymentGroup: s.name,
        description: 'unused',
        deploymentId: id,
      });

      // Stopped while held at Ready (tests failed, say): continuing it is refused, saying why.
      const next = await s.deploy('nginx:3');
      await until(next, (d) => d.status === 'Ready');
      expect(
        await moto.aws.stopCodeDeployDeployment({
          application: s.name,
          deploymentGroup: s.name,
          description: 'unused',
          deploymentId: next,
        }),
      ).toEqual({ id: next, status: 'Stopped' });
      const err = await failure(moto.aws.continueCodeDeployDeployment({ deploymentId: next }));
      expect(err).toMatchObject({ type: 'WaitFailed', nonRetryable: true });
      expect(err.message).toContain('is Stopped');
      expect(err.message).toBe(
        `continue CodeDeploy deployment ${next}: it is Stopped: MANUAL_STOP: The deployment was stopped by the user.`,
      );
    });
  });

  describe('stopCodeDeployDeployment', () => {
    it('finds the deployment by its description, stops it with rollback; production and test are back on the original task set', async () => {
      const s = await service('cda-stop', { readyWaitMinutes: 60, terminationWaitMinutes: 1 });
      const group = { application: s.name, deploymentGroup: s.name };
      const description = 'switchyard cda-stop 1';
      expect(await moto.aws.stopCodeDeployDeployment({ ...group, description })).toEqual({ status: 'none in flight' });

      const before = await moto.aws.describeTaskSets({ cluster, name: s.name });
      expect(before).toEqual({
        arn: expect.stringContaining(`service/${cluster}/${s.name}`),
        controller: 'CODE_DEPLOY',
        taskSets: [{ arn: expect.any(String), status: 'PRIMARY', taskDefinition: s.original, targetGroupArn: s.blue }],
      });
      const original = before!.taskSets.find((t) => t.status === 'PRIMARY')!;
      expect(await moto.aws.readListenerForward({ listenerArn: s.production })).toEqual({
        port: expect.any(Number),
        forward: [{ targetGroupArn: s.blue, percent: 100 }],
      });

      const revision = await s.revision('nginx:2');
      const { id } = await moto.aws.createCodeDeployDeployment({
        ...group,
        appSpec: appSpecOf(revision),
        description,
        rollbackEvents: [],
      });
      await until(id, (d) => d.status === 'Ready');
      await moto.aws.continueCodeDeployDeployment({ deploymentId: id });
      // The emulator moves a deployment on CodeDeploy's calls: this read lets it shift the canary.
      expect((await deployment(id)).status).toBe('InProgress');
      // Mid-canary: both task sets, production split, test all on Green.
      expect(await moto.aws.readListenerForward({ listenerArn: s.production })).toEqual({
        port: expect.any(Number),
        forward: [
          { targetGroupArn: s.blue, percent: 90 },
          { targetGroupArn: s.green, percent: 10 },
        ],
      });
      expect(await moto.aws.readListenerForward({ listenerArn: s.test })).toMatchObject({
        forward: [
          { targetGroupArn: s.blue, percent: 0 },
          { targetGroupArn: s.green, percent: 100 },
        ],
      });
      const during = await moto.aws.describeTaskSets({ cluster, name: s.name });
      expect(during!.taskSets).toHaveLength(2);
      expect(during!.taskSets).toEqual(
        expect.arrayContaining([
          { arn: original.arn, status: 'PRIMARY', taskDefinition: s.original, targetGroupArn: s.blue },
          { arn: expect.any(String), status: 'ACTIVE', taskDefinition: revision, targetGroupArn: s.green },
        ]),
      );

      // No id: found by its description.
      expect(await moto.aws.stopCodeDeployDeployment({ ...group, description })).toEqual({ id, status: 'Stopped' });
      expect(await deployment(id)).toMatchObject({
        status: 'Stopped',
        errorInformation: { code: 'MANUAL_STOP' },
        rollbackInfo: { rollbackDeploymentId: expect.any(String) },
      });
      // As the follow sees it: CodeDeploy's reason, the rollback named, Green's share gone.
      const stopped = await follow(id, `${cluster}:${s.name}`);
      expect(stopped).toMatchObject({
        id,
        status: 'Stopped',
        terminationWait: false,
        replacementPercent: 0,
        error: 'MANUAL_STOP: The deployment was stopped by the user.',
        rollbackDeploymentId: expect.any(String),
      });
      expect(eventsOf(stopped)).toMatchObject({ AfterAllowTestTraffic: 'Succeeded', AfterAllowTraffic: 'Skipped' });
      // Again (a retry): by its description it is no longer in flight; by its id, already completed, left as it is.
      expect(await moto.aws.stopCodeDeployDeployment({ ...group, description })).toEqual({ status: 'none in flight' });
      expect(await moto.aws.stopCodeDeployDeployment({ ...group, description, deploymentId: id })).toEqual({
        id,
        status: 'Stopped',
      });
      // A description no deployment of the group has.
      expect(await moto.aws.stopCodeDeployDeployment({ ...group, description: 'switchyard cda-stop 2' })).toEqual({
        status: 'none in flight',
      });

      const restored = await run(() =>
        moto.aws.waitForOnlyTaskSet({
          cluster,
          name: s.name,
          taskSetArn: original.arn,
          deadline: Date.now() + 10_000,
          intervalMs: 1_000,
        }),
      );
      expect(restored.taskSets).toEqual([
        { arn: original.arn, status: 'PRIMARY', taskDefinition: s.original, targetGroupArn: s.blue },
      ]);
      const onBlue = (forward: { targetGroupArn: string; percent: number }[]) =>
        forward.find((f) => f.targetGroupArn === s.blue)?.percent;
      const production = await moto.aws.readListenerForward({ listenerArn: s.production });
      expect(onBlue(production.forward)).toBe(100);
      expect(production.forward).toEqual([
        { targetGroupArn: s.blue, percent: 100 },
        { targetGroupArn: s.green, percent: 0 },
      ]);
      const test = await moto.aws.readListenerForward({ listenerArn: s.test });
      expect(onBlue(test.forward)).toBe(100);
      expect(test.forward).toEqual([
        { targetGroupArn: s.blue, percent: 100 },
        { targetGroupArn: s.green, percent: 0 },
      ]);
      expect(test.port).toBe(production.port + 1);
    });
  });

  describe('waitForOnlyTaskSet', () => {
    it('fails fast when the task set it waits for is gone (a deployment succeeded and removed it)', async () => {
      const s = await service('cda-gone', { config: 'CodeDeployDefault.ECSAllAtOnce', terminationWaitMinutes: 0 });
      const original = (await moto.aws.describeTaskSets({ cluster, name: s.name }))!.taskSets[0];
      const id = await s.deploy('nginx:2');
      await until(id, (d) => d.status === 'Succeeded');
      expect(await s.taskSets()).toEqual([{ status: 'PRIMARY', targetGroup: s.green }]);
      const [replacement] = await s.revisions();
      expect(replacement).not.toBe(s.original);

      const started = Date.now();
      const err = await failure(
        run(() =>
          moto.aws.waitForOnlyTaskSet({
            cluster,
            name: s.name,
            taskSetArn: original.arn,
            deadline: Date.now() + 20_000,
            intervalMs: 1_000,
          }),
        ),
      );
      expect(Date.now() - started).toBeLessThan(2_000);
      expect(err).toMatchObject({ type: 'WaitFailed', nonRetryable: true });
      expect(err.message).toContain('is gone');
      expect(err.message).toBe(
        `ECS service ${s.name} to run only task set ${original.arn}: task set ${original.arn} is gone (PRIMARY ${replacement})`,
      );
    });

    it('fails fast on a service that does not exist, and waits out both task sets until the deadline', async () => {
      const s = await service('cda-wait', { readyWaitMinutes: 60 });
      const original = (await moto.aws.describeTaskSets({ cluster, name: s.name }))!.taskSets[0];
      const missing = await failure(
        run(() =>
          moto.aws.waitForOnlyTaskSet({
            cluster,
            name: 'cda-nope',
            taskSetArn: original.arn,
            deadline: Date.now() + 20_000,
            intervalMs: 1_000,
          }),
        ),
      );
      expect(missing).toMatchObject({
        type: 'WaitFailed',
        nonRetryable: true,
        message: `ECS service cda-nope to run only task set ${original.arn}: the service does not exist`,
      });
      expect(await moto.aws.describeTaskSets({ cluster, name: 'cda-nope' })).toBeUndefined();

      const id = await s.deploy('nginx:2');
      await until(id, (d) => d.status === 'Ready');
      const both = await failure(
        run(() =>
          moto.aws.waitForOnlyTaskSet({
            cluster,
            name: s.name,
            taskSetArn: original.arn,
            deadline: Date.now() + 2_500,
            intervalMs: 1_000,
          }),
        ),
      );
      expect(both).toMatchObject({ type: 'DeadlineExceeded', nonRetryable: true });
      expect(both.message).toContain(`gave up waiting for ECS service ${s.name} to run only task set ${original.arn}`);
      expect(both.message).toContain(`PRIMARY ${s.original}`);
      const replacement = (await s.revisions()).find((r) => r !== s.original);
      expect(replacement).toBeDefined();
      expect(both.message).toContain(`ACTIVE ${replacement}`);
    });
  });
});
