// CodeDeploy's ECS blue/green lifecycle as the emulator runs it (src/dev/emulator/behaviours/codedeploy.ts),
// through the SDK as a caller sees it: the replacement task set and test traffic, the ready wait, the
// production listener shifted by the deployment config, the termination wait, one deployment per group,
// a stop with rollback and a failing lifecycle event putting both listeners back on the original task
// set, and CodeDeploy's API model checked like every other service's.
import {
  CodeDeployClient,
  ContinueDeploymentCommand,
  GetDeploymentCommand,
  GetDeploymentConfigCommand,
  GetDeploymentTargetCommand,
  ListDeploymentTargetsCommand,
  ListDeploymentsCommand,
  StopDeploymentCommand,
  type DeploymentInfo,
} from '@aws-sdk/client-codedeploy';
import { destroyAwsClients } from '../../src/aws/clients';
import { emulatorCredentials, demoAccount } from '../../src/dev/demo';
import { parseScenario, type AwsBehaviourProxy } from '../../src/dev/emulator/server';
import { seedAccount, type AccountClients } from '../../src/dev/seed';
import { createCodeDeployService, type CodeDeployGroupOptions } from '../support/codedeploy';
import { resetAws, testRegion } from '../support/servers';
import { refusal, strictProxy, timeScale } from './strict-proxy';

describe("CodeDeploy's ECS blue/green lifecycle, emulated", () => {
  let proxy: AwsBehaviourProxy;
  let clients: AccountClients;
  let codeDeploy: CodeDeployClient;
  let stamp = 0;

  beforeAll(async () => {
    // Throttling off, as in the other files of this folder: each test looks at single answers.
    ({ proxy, clients } = await strictProxy({ throttling: false }));
    codeDeploy = new CodeDeployClient({
      region: testRegion,
      endpoint: proxy.endpoint,
      credentials: emulatorCredentials,
    });
  });
  afterAll(async () => {
    codeDeploy.destroy();
    destroyAwsClients(clients);
    await proxy.close();
  });
  beforeEach(async () => {
    // This proxy's own state too (the deployments it runs): resetAws resets the run's shared proxy and moto.
    proxy.reset();
    await resetAws();
    await seedAccount(clients, demoAccount);
  });

  /** A CODE_DEPLOY service behind a production and a test listener, with its application and group. */
  function codeDeployService(group: CodeDeployGroupOptions) {
    stamp += 1;
    return createCodeDeployService(clients, codeDeploy, `cd${stamp}`, group);
  }

  async function deployment(id: string): Promise<DeploymentInfo> {
    return (await codeDeploy.send(new GetDeploymentCommand({ deploymentId: id }))).deploymentInfo!;
  }

  /** Polls GetDeployment (as a follower does) until `done` holds; at most 60 s. */
  async function until(id: string, done: (d: DeploymentInfo) => boolean | Promise<boolean>): Promise<DeploymentInfo> {
    const deadline = Date.now() + 60_000;
    for (;;) {
      const d = await deployment(id);
      if (await done(d)) return d;
      if (Date.now() > deadline || (d.status === 'Failed' && !(await done(d))))
        throw new Error(`deployment ${id} is ${d.status}: ${JSON.stringify(d.errorInformation)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  async function events(id: string, target: string) {
    const t = (await codeDeploy.send(new GetDeploymentTargetCommand({ deploymentId: id, targetId: target })))
      .deploymentTarget!.ecsTarget!;
    return Object.fromEntries(t.lifecycleEvents!.map((e) => [e.lifecycleEventName, e.status]));
  }

  it('success: Green with test traffic, Ready until continued, a 10% canary, the termination wait, Blue removed', async () => {
    const s = await codeDeployService({ readyWaitMinutes: 60 });
    expect(await s.taskSets()).toEqual([{ status: 'PRIMARY', targetGroup: s.blue }]);
    const id = await s.deploy('nginx:2');

    const ready = await until(id, (d) => d.status === 'Ready');
    expect(ready).toMatchObject({ computePlatform: 'ECS', instanceTerminationWaitTimeStarted: false });
    const target = `${demoAccount.cluster}:${s.name}`;
    expect((await codeDeploy.send(new ListDeploymentTargetsCommand({ deploymentId: id }))).targetIds).toEqual([target]);
    expect(await events(id, target)).toMatchObject({
      BeforeInstall: 'Succeeded',
      Install: 'Succeeded',
      AllowTestTraffic: 'Succeeded',
      AfterAllowTestTraffic: 'Succeeded',
      BeforeAllowTraffic: 'Pending',
    });
    expect(await s.weights(s.test)).toEqual({ blue: 0, green: 100 });
    expect(await s.weights(s.production)).toEqual({ blue: 100, green: 0 });
    expect(await s.taskSets()).toEqual(
      expect.arrayContaining([
        { status: 'PRIMARY', targetGroup: s.blue },
        { status: 'ACTIVE', targetGroup: s.green },
      ]),
    );

    // Found as in flight by its status (moto filters by its own, always Created).
    const inFlight = () =>
      codeDeploy
        .send(
          new ListDeploymentsCommand({
            applicationName: s.name,
            deploymentGroupName: s.name,
            includeOnlyStatuses: ['Created', 'Queued', 'InProgress', 'Ready'],
          }),
        )
        .then((out) => out.deployments);
    expect(await inFlight()).toEqual([id]);
    // One deployment per group at a time.
    expect(await s.deploy('nginx:3').catch(refusal)).toEqual({
      name: 'DeploymentLimitExceededException',
      message: `The Deployment Group '${s.name}' already has an active Deployment '${id}'`,
    });

    await codeDeploy.send(new ContinueDeploymentCommand({ deploymentId: id, deploymentWaitType: 'READY_WAIT' }));
    await until(id, async () => (await s.weights(s.production)).green === 10);
    // The canary's interval (5 minutes, scaled), then all of it; then the termination wait.
    const waiting = await until(id, (d) => d.instanceTerminationWaitTimeStarted === true);
    expect(waiting.status).toBe('InProgress');
    expect(await s.weights(s.production)).toEqual({ blue: 0, green: 100 });
    const done = await until(id, (d) => d.status === 'Succeeded');
    expect(done.completeTime).toBeDefined();
    expect(await s.taskSets()).toEqual([{ status: 'PRIMARY', targetGroup: s.green }]);
    expect(Object.values(await events(id, target)).every((e) => e === 'Succeeded')).toBe(true);
    const after = (await codeDeploy.send(new GetDeploymentTargetCommand({ deploymentId: id, targetId: target })))
      .deploymentTarget!.ecsTarget!;
    expect(after.taskSetsInfo?.map((t) => t.taskSetLabel)).toEqual(['Green']);
    expect(await inFlight()).toEqual([]);
    expect(proxy.conformance().violations).toBe(0);
  });

  it('StopDeployment with auto-rollback during the termination wait: both listeners back on Blue, Green removed, Stopped', async () => {
    // A termination wait of 10 minutes (12 s scaled): the stop lands well inside it.
    const s = await codeDeployService({ config: 'CodeDeployDefault.ECSAllAtOnce', terminationWaitMinutes: 10 });
    const id = await s.deploy('nginx:2');
    await until(id, (d) => d.instanceTerminationWaitTimeStarted === true);
    expect(await s.weights(s.production)).toEqual({ blue: 0, green: 100 });
    expect(
      await codeDeploy.send(new StopDeploymentCommand({ deploymentId: id, autoRollbackEnabled: true })),
    ).toMatchObject({ status: 'Succeeded' });
    const stopped = await deployment(id);
    expect(stopped).toMatchObject({
      status: 'Stopped',
      errorInformation: { code: 'MANUAL_STOP' },
      rollbackInfo: { rollbackDeploymentId: expect.any(String) },
    });
    expect(await s.weights(s.production)).toEqual({ blue: 100, green: 0 });
    expect(await s.weights(s.test)).toEqual({ blue: 100, green: 0 });
    expect(await s.taskSets()).toEqual([{ status: 'PRIMARY', targetGroup: s.blue }]);
    // A stopped deployment cannot be continued or stopped again.
    expect(
      await codeDeploy
        .send(new ContinueDeploymentCommand({ deploymentId: id, deploymentWaitType: 'READY_WAIT' }))
        .catch(refusal),
    ).toMatchObject({ name: 'DeploymentAlreadyCompletedException' });
    // The group is free again.
    expect(await s.deploy('nginx:3')).toEqual(expect.any(String));
  });

  it('a failing lifecycle event with DEPLOYMENT_FAILURE rollback: Failed, the event and its diagnostics, traffic on Blue', async () => {
    const s = await codeDeployService({ readyWaitMinutes: 60, rollbackOn: ['DEPLOYMENT_FAILURE'] });
    proxy.scenario = parseScenario({ failingLifecycleEvent: 'AfterAllowTestTraffic' });
    const id = await s.deploy('nginx:2');
    const failed = await until(id, (d) => d.status === 'Failed');
    expect(failed.errorInformation).toMatchObject({
      code: 'HOOK_EXECUTION_FAILURE',
      message: expect.stringContaining('AfterAllowTestTraffic'),
    });
    expect(await events(id, `${demoAccount.cluster}:${s.name}`)).toMatchObject({
      AfterInstall: 'Succeeded',
      AfterAllowTestTraffic: 'Failed',
      BeforeAllowTraffic: 'Skipped',
    });
    expect(await s.weights(s.test)).toEqual({ blue: 100, green: 0 });
    expect(await s.weights(s.production)).toEqual({ blue: 100, green: 0 });
    expect(await s.taskSets()).toEqual([{ status: 'PRIMARY', targetGroup: s.blue }]);
  });

  it('the ready wait runs out: Stopped (TIMEOUT); ContinueDeployment is refused unless Ready; the model is checked', async () => {
    const s = await codeDeployService({ readyWaitMinutes: 1 });
    const id = await s.deploy('nginx:2');
    expect(
      await codeDeploy
        .send(new ContinueDeploymentCommand({ deploymentId: id, deploymentWaitType: 'READY_WAIT' }))
        .catch(refusal),
    ).toEqual({
      name: 'DeploymentIsNotInReadyStateException',
      message: "The deployment does not have a status of Ready and can't continue yet.",
    });
    await until(id, (d) => d.status === 'Ready');
    // A minute of ready wait, scaled.
    const stopped = await until(id, (d) => d.status === 'Stopped');
    expect(stopped.errorInformation).toMatchObject({ code: 'TIMEOUT' });
    expect(Date.now() / 1000 - stopped.createTime!.getTime() / 1000).toBeGreaterThanOrEqual(60 * timeScale);

    expect(
      (
        await codeDeploy.send(
          new GetDeploymentConfigCommand({ deploymentConfigName: 'CodeDeployDefault.ECSLinear10PercentEvery1Minutes' }),
        )
      ).deploymentConfigInfo,
    ).toMatchObject({
      computePlatform: 'ECS',
      trafficRoutingConfig: { type: 'TimeBasedLinear', timeBasedLinear: { linearPercentage: 10, linearInterval: 1 } },
    });
    const before = proxy.conformance().violations;
    expect(
      await codeDeploy.send(new GetDeploymentConfigCommand({ deploymentConfigName: 'x'.repeat(101) })).catch(refusal),
    ).toMatchObject({ name: 'InvalidInputException' });
    expect(proxy.conformance().violations).toBe(before + 1);
  });
});
