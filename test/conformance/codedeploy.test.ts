// CodeDeploy's ECS blue/green lifecycle as the emulator runs it (src/dev/emulator/behaviours/codedeploy.ts),
// through the SDK as a caller sees it: the replacement task set and test traffic, the ready wait, the
// production listener shifted by the deployment config, the termination wait, one deployment per group,
// a stop with rollback and a failing lifecycle event putting both listeners back on the original task
// set, and CodeDeploy's API model checked like every other service's.
import {
  CodeDeployClient,
  ContinueDeploymentCommand,
  CreateApplicationCommand,
  CreateDeploymentCommand,
  CreateDeploymentGroupCommand,
  GetDeploymentCommand,
  GetDeploymentConfigCommand,
  GetDeploymentTargetCommand,
  ListDeploymentTargetsCommand,
  ListDeploymentsCommand,
  StopDeploymentCommand,
  type DeploymentInfo,
} from '@aws-sdk/client-codedeploy';
import { CreateServiceCommand, DescribeServicesCommand, RegisterTaskDefinitionCommand } from '@aws-sdk/client-ecs';
import {
  CreateListenerCommand,
  CreateTargetGroupCommand,
  DescribeListenersCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { createHash } from 'node:crypto';
import { destroyAwsClients } from '../../src/aws/clients';
import { createActivities } from '../../src/activities';
import { emulatorCredentials, demoAccount } from '../../src/dev/demo';
import { parseScenario, type AwsBehaviourProxy } from '../../src/dev/emulator/server';
import { waitUntilListed } from '../../src/dev/emulator/ec2-capacity';
import { seedAccount, type AccountClients } from '../../src/dev/seed';
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

  /** A CODE_DEPLOY service behind a production (8080) and a test (8081) listener, with its application and group. */
  async function codeDeployService(group: {
    readyWaitMinutes?: number;
    config?: string;
    rollbackOn?: string[];
    terminationWaitMinutes?: number;
  }) {
    stamp += 1;
    const name = `cd${stamp}`;
    const aws = createActivities(clients);
    const lb = (await aws.findLoadBalancer({ loadBalancer: demoAccount.loadBalancer }))!;
    const targetGroup = async (suffix: string) =>
      (
        await clients.elbv2.send(
          new CreateTargetGroupCommand({
            Name: `${name}-${suffix}`,
            Protocol: 'HTTP',
            Port: 80,
            VpcId: lb.vpcId,
            TargetType: 'ip',
          }),
        )
      ).TargetGroups![0].TargetGroupArn!;
    const blue = await targetGroup('blue');
    const green = await targetGroup('green');
    const listener = async (port: number) =>
      (
        await clients.elbv2.send(
          new CreateListenerCommand({
            LoadBalancerArn: lb.arn,
            Protocol: 'HTTP',
            Port: port,
            DefaultActions: [{ Type: 'forward', TargetGroupArn: blue }],
          }),
        )
      ).Listeners![0].ListenerArn!;
    const production = await listener(8080 + stamp * 2);
    const test = await listener(8081 + stamp * 2);
    const revision = async (image: string) =>
      (
        await clients.ecs.send(
          new RegisterTaskDefinitionCommand({
            family: name,
            requiresCompatibilities: ['FARGATE'],
            networkMode: 'awsvpc',
            cpu: '256',
            memory: '512',
            containerDefinitions: [{ name: 'web', image, portMappings: [{ containerPort: 80 }] }],
          }),
        )
      ).taskDefinition!.taskDefinitionArn!;
    await clients.ecs.send(
      new CreateServiceCommand({
        cluster: demoAccount.cluster,
        serviceName: name,
        taskDefinition: await revision('nginx:1'),
        desiredCount: 2,
        launchType: 'FARGATE',
        deploymentController: { type: 'CODE_DEPLOY' },
        loadBalancers: [{ targetGroupArn: blue, containerName: 'web', containerPort: 80 }],
        networkConfiguration: {
          awsvpcConfiguration: { subnets: lb.subnetIds, securityGroups: [], assignPublicIp: 'DISABLED' },
        },
      }),
    );
    await waitUntilListed(clients, demoAccount.cluster, name);
    await codeDeploy.send(new CreateApplicationCommand({ applicationName: name, computePlatform: 'ECS' }));
    await codeDeploy.send(
      new CreateDeploymentGroupCommand({
        applicationName: name,
        deploymentGroupName: name,
        serviceRoleArn: 'arn:aws:iam::123456789012:role/codedeploy-ecs',
        deploymentConfigName: group.config ?? 'CodeDeployDefault.ECSCanary10Percent5Minutes',
        deploymentStyle: { deploymentType: 'BLUE_GREEN', deploymentOption: 'WITH_TRAFFIC_CONTROL' },
        blueGreenDeploymentConfiguration: {
          deploymentReadyOption:
            group.readyWaitMinutes === undefined
              ? { actionOnTimeout: 'CONTINUE_DEPLOYMENT' }
              : { actionOnTimeout: 'STOP_DEPLOYMENT', waitTimeInMinutes: group.readyWaitMinutes },
          terminateBlueInstancesOnDeploymentSuccess: {
            action: 'TERMINATE',
            terminationWaitTimeInMinutes: group.terminationWaitMinutes ?? 1,
          },
        },
        autoRollbackConfiguration: group.rollbackOn?.length
          ? { enabled: true, events: group.rollbackOn as ('DEPLOYMENT_FAILURE' | 'DEPLOYMENT_STOP_ON_REQUEST')[] }
          : { enabled: false },
        ecsServices: [{ clusterName: demoAccount.cluster, serviceName: name }],
        loadBalancerInfo: {
          targetGroupPairInfoList: [
            {
              targetGroups: [{ name: `${name}-blue` }, { name: `${name}-green` }],
              prodTrafficRoute: { listenerArns: [production] },
              testTrafficRoute: { listenerArns: [test] },
            },
          ],
        },
      }),
    );
    const deploy = async (image: string) => {
      const content = JSON.stringify({
        version: 0.0,
        Resources: [
          {
            TargetService: {
              Type: 'AWS::ECS::Service',
              Properties: {
                TaskDefinition: await revision(image),
                LoadBalancerInfo: { ContainerName: 'web', ContainerPort: 80 },
              },
            },
          },
        ],
      });
      return (
        await codeDeploy.send(
          new CreateDeploymentCommand({
            applicationName: name,
            deploymentGroupName: name,
            revision: {
              revisionType: 'AppSpecContent',
              appSpecContent: { content, sha256: createHash('sha256').update(content).digest('hex') },
            },
          }),
        )
      ).deploymentId!;
    };
    /** What each listener forwards to: `{ blue: weight, green: weight }`. */
    const weights = async (listenerArn: string) => {
      const l = (await clients.elbv2.send(new DescribeListenersCommand({ ListenerArns: [listenerArn] }))).Listeners![0];
      const action = l.DefaultActions![0];
      const groups = action.ForwardConfig?.TargetGroups ?? [{ TargetGroupArn: action.TargetGroupArn, Weight: 1 }];
      const of = (arn: string) => groups.find((g) => g.TargetGroupArn === arn)?.Weight ?? 0;
      const total = groups.reduce((n, g) => n + (g.Weight ?? 0), 0) || 1;
      return { blue: Math.round((of(blue) * 100) / total), green: Math.round((of(green) * 100) / total) };
    };
    const taskSets = async () =>
      (
        await clients.ecs.send(new DescribeServicesCommand({ cluster: demoAccount.cluster, services: [name] }))
      ).services![0].taskSets!.map((t) => ({ status: t.status, targetGroup: t.loadBalancers?.[0]?.targetGroupArn }));
    return { name, blue, green, production, test, deploy, weights, taskSets };
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
