// Application Auto Scaling through the proxy: routed to moto, checked against its API model, and held to
// the rules moto skips (src/dev/emulator/behaviours/autoscaling.ts), each made to fire here, beside the
// legal call it allows.
import {
  DeleteScalingPolicyCommand,
  DeregisterScalableTargetCommand,
  DescribeScalableTargetsCommand,
  DescribeScalingPoliciesCommand,
  DescribeScheduledActionsCommand,
  PutScalingPolicyCommand,
  PutScheduledActionCommand,
  RegisterScalableTargetCommand,
  type ApplicationAutoScalingClient,
  type PredefinedMetricSpecification,
} from '@aws-sdk/client-application-auto-scaling';
import {
  CreateServiceCommand,
  DeleteServiceCommand,
  DescribeServicesCommand,
  RegisterTaskDefinitionCommand,
  type ECSClient,
} from '@aws-sdk/client-ecs';
import {
  CreateRuleCommand,
  CreateTargetGroupCommand,
  type ElasticLoadBalancingV2Client,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { createActivities } from '../../src/activities';
import { destroyAwsClients } from '../../src/aws/clients';
import { demoAccount } from '../../src/dev/demo';
import type { AwsBehaviourProxy } from '../../src/dev/emulator/server';
import { seedAccount, type AccountClients } from '../../src/dev/seed';
import { eventually } from '../support/eventually';
import { resetAws } from '../support/servers';
import { autoScalingClient, refusal, strictProxy } from './strict-proxy';

const cluster = demoAccount.cluster;
const dimension = 'ecs:service:DesiredCount' as const;
const target = (service: string) => ({
  ServiceNamespace: 'ecs' as const,
  ResourceId: `service/${cluster}/${service}`,
  ScalableDimension: dimension,
});

describe('Application Auto Scaling, as AWS keeps it', () => {
  let proxy: AwsBehaviourProxy;
  let clients: AccountClients;
  let ecs: ECSClient;
  let elbv2: ElasticLoadBalancingV2Client;
  let aas: ApplicationAutoScalingClient;
  let subnets: string[];
  let vpcId: string;
  let listenerArn: string;
  let loadBalancerArn: string;
  let taskDefinition: string;

  beforeAll(async () => {
    // Throttling off here: these tests provoke single refusals with one SDK attempt each (strictProxy), and a
    // rate-limit refusal in between would be a different answer; the rate limits have their own tests
    // (conformance.test.ts, 'the published rate limits'), and every other suite runs with them on.
    ({ proxy, clients } = await strictProxy({ throttling: false }));
    ({ ecs, elbv2 } = clients);
    aas = autoScalingClient(proxy);
  });
  afterAll(async () => {
    destroyAwsClients(clients);
    aas.destroy();
    await proxy.close();
  });
  beforeEach(async () => {
    await resetAws();
    await seedAccount(clients, demoAccount);
    const aws = createActivities(clients);
    const lb = (await aws.findLoadBalancer({ loadBalancer: demoAccount.loadBalancer }))!;
    ({ vpcId, subnetIds: subnets, arn: loadBalancerArn } = lb);
    listenerArn = await aws.ensureListener({ loadBalancerArn, port: 80 });
    taskDefinition = (
      await ecs.send(
        new RegisterTaskDefinitionCommand({
          family: 'aas',
          requiresCompatibilities: ['FARGATE'],
          networkMode: 'awsvpc',
          cpu: '256',
          memory: '512',
          containerDefinitions: [{ name: 'web', image: 'nginx:1' }],
        }),
      )
    ).taskDefinition!.taskDefinitionArn!;
  });

  /** A target group attached to the demo load balancer by a rule. */
  async function attachedGroup(name: string, priority: number): Promise<string> {
    const group = (
      await elbv2.send(
        new CreateTargetGroupCommand({ Name: name, Protocol: 'HTTP', Port: 80, VpcId: vpcId, TargetType: 'ip' }),
      )
    ).TargetGroups![0].TargetGroupArn!;
    await elbv2.send(
      new CreateRuleCommand({
        ListenerArn: listenerArn,
        Priority: priority,
        Conditions: [{ Field: 'host-header', HostHeaderConfig: { Values: [`${name}.test`] } }],
        Actions: [{ Type: 'forward', TargetGroupArn: group }],
      }),
    );
    return group;
  }

  async function service(name: string, targetGroupArn?: string, desiredCount = 2): Promise<void> {
    await ecs.send(
      new CreateServiceCommand({
        cluster,
        serviceName: name,
        taskDefinition,
        desiredCount,
        launchType: 'FARGATE',
        networkConfiguration: { awsvpcConfiguration: { subnets, securityGroups: [], assignPublicIp: 'DISABLED' } },
        loadBalancers: targetGroupArn ? [{ targetGroupArn, containerName: 'web', containerPort: 80 }] : undefined,
      }),
    );
  }

  const register = (name: string, extra: { MinCapacity?: number; MaxCapacity?: number } = {}) =>
    aas.send(new RegisterScalableTargetCommand({ ...target(name), ...extra }));

  const cpuPolicy = (name: string, policyName = 'cpu', metric?: Partial<PredefinedMetricSpecification>) =>
    aas.send(
      new PutScalingPolicyCommand({
        ...target(name),
        PolicyName: policyName,
        PolicyType: 'TargetTrackingScaling',
        TargetTrackingScalingPolicyConfiguration: {
          TargetValue: 50,
          PredefinedMetricSpecification: { PredefinedMetricType: 'ECSServiceAverageCPUUtilization', ...metric },
        },
      }),
    );

  /** The service's desired count, once DescribeServices shows it (a new service is MISSING for a while, as in AWS). */
  async function desiredCount(name: string): Promise<number | undefined> {
    const found = await eventually(
      `service ${name} in DescribeServices`,
      async () => (await ecs.send(new DescribeServicesCommand({ cluster, services: [name] }))).services?.[0],
    );
    return found.desiredCount;
  }

  it('is routed to moto, counted by operation, and checked against its API model (ValidationException)', async () => {
    await service('model-1');
    await expect(register('model-1', { MinCapacity: 1, MaxCapacity: 3 })).resolves.toBeDefined();
    expect(proxy.stats.calls['ApplicationAutoScaling.RegisterScalableTarget']).toBeGreaterThanOrEqual(1);
    const before = proxy.conformance().byRule['model:enum'] ?? 0;
    const err = await aas
      .send(
        new RegisterScalableTargetCommand({
          ...target('model-1'),
          ScalableDimension: 'ecs:service:Replicas' as never,
        }),
      )
      .catch(refusal);
    expect(err).toMatchObject({
      name: 'ValidationException',
      message: expect.stringContaining("at 'ScalableDimension' failed to satisfy constraint: Member must satisfy enum"),
    });
    expect(proxy.conformance().byRule['model:enum']).toBe(before + 1);
  });

  it('RegisterScalableTarget: a well-formed ResourceId of an ACTIVE service, Min and Max for a new target, Min ≤ Max', async () => {
    expect(
      await aas
        .send(
          new RegisterScalableTargetCommand({
            ...target('x'),
            ResourceId: `service/${cluster}/x/extra`,
            MinCapacity: 1,
            MaxCapacity: 2,
          }),
        )
        .catch(refusal),
    ).toMatchObject({
      name: 'ValidationException',
      message: expect.stringContaining('service/<cluster-name>/<service-name>'),
    });
    expect(await register('ghost', { MinCapacity: 1, MaxCapacity: 2 }).catch(refusal)).toEqual({
      name: 'ValidationException',
      message: `ECS service doesn't exist: service/${cluster}/ghost`,
    });
    await service('reg-1');
    expect(await register('reg-1').catch(refusal)).toEqual({
      name: 'ValidationException',
      message: 'MinCapacity and MaxCapacity are required to register a new scalable target.',
    });
    expect(await register('reg-1', { MinCapacity: 5, MaxCapacity: 2 }).catch(refusal)).toMatchObject({
      name: 'ValidationException',
      message: expect.stringContaining('Minimum capacity cannot be greater than maximum capacity'),
    });
    await service('gone-1');
    await ecs.send(new DeleteServiceCommand({ cluster, service: 'gone-1', force: true }));
    expect(await register('gone-1', { MinCapacity: 1, MaxCapacity: 2 }).catch(refusal)).toMatchObject({
      name: 'ValidationException',
      message: expect.stringContaining('is not ACTIVE'),
    });
    await expect(register('reg-1', { MinCapacity: 1, MaxCapacity: 4 })).resolves.toBeDefined();
    // An existing target's update keeps what it leaves out: Max 4 stays, so Min 5 is above it.
    expect(await register('reg-1', { MinCapacity: 5 }).catch(refusal)).toMatchObject({ name: 'ValidationException' });
  });

  it("RegisterScalableTarget clamps the service's desired count into [Min, Max], as AWS's call, not the caller's", async () => {
    await service('clamp-1', undefined, 2);
    await register('clamp-1', { MinCapacity: 3, MaxCapacity: 6 });
    expect(await desiredCount('clamp-1')).toBe(3);
    await register('clamp-1', { MinCapacity: 1, MaxCapacity: 2 });
    expect(await desiredCount('clamp-1')).toBe(2);
    expect(proxy.stats.calls['ECS.UpdateService']).toBeUndefined();
  });

  it('RegisterScalableTarget with only SuspendedState keeps Min and Max; DescribeScalableTargets shows every flag and the role', async () => {
    await service('susp-1');
    await register('susp-1', { MinCapacity: 1, MaxCapacity: 4 });
    const described = async () =>
      (
        await aas.send(
          new DescribeScalableTargetsCommand({ ServiceNamespace: 'ecs', ResourceIds: [target('susp-1').ResourceId] }),
        )
      ).ScalableTargets![0];
    expect((await described()).SuspendedState).toEqual({
      DynamicScalingInSuspended: false,
      DynamicScalingOutSuspended: false,
      ScheduledScalingSuspended: false,
    });
    await aas.send(
      new RegisterScalableTargetCommand({ ...target('susp-1'), SuspendedState: { DynamicScalingInSuspended: true } }),
    );
    expect(await described()).toMatchObject({
      MinCapacity: 1,
      MaxCapacity: 4,
      SuspendedState: {
        DynamicScalingInSuspended: true,
        DynamicScalingOutSuspended: false,
        ScheduledScalingSuspended: false,
      },
      RoleARN: expect.stringMatching(
        /:role\/aws-service-role\/ecs\.application-autoscaling\.amazonaws\.com\/AWSServiceRoleForApplicationAutoScaling_ECSService$/,
      ),
    });
  });

  it('PutScalingPolicy and PutScheduledAction need a registered target (ObjectNotFoundException)', async () => {
    await service('pol-1');
    const message = `No scalable target registered for service namespace: ecs, resource ID: service/${cluster}/pol-1, scalable dimension: ${dimension}`;
    expect(await cpuPolicy('pol-1').catch(refusal)).toEqual({ name: 'ObjectNotFoundException', message });
    const scheduled = () =>
      aas.send(
        new PutScheduledActionCommand({
          ...target('pol-1'),
          ScheduledActionName: 'night',
          Schedule: 'cron(0 22 * * ? *)',
          ScalableTargetAction: { MinCapacity: 1, MaxCapacity: 2 },
        }),
      );
    expect(await scheduled().catch(refusal)).toEqual({ name: 'ObjectNotFoundException', message });
    await register('pol-1', { MinCapacity: 1, MaxCapacity: 4 });
    await expect(cpuPolicy('pol-1')).resolves.toBeDefined();
    await expect(scheduled()).resolves.toBeDefined();
  });

  it('ALBRequestCountPerTarget: a ResourceLabel naming a target group of the load balancer and of the service, and only for that metric', async () => {
    const group = await attachedGroup('label-1', 10);
    const other = await attachedGroup('label-2', 11);
    await service('label-1', group);
    await register('label-1', { MinCapacity: 1, MaxCapacity: 4 });
    const label = (tg: string) => `${loadBalancerArn.split(':loadbalancer/')[1]}/${tg.split(':').pop()!}`;
    const alb = (ResourceLabel?: string) =>
      cpuPolicy('label-1', 'requests', { PredefinedMetricType: 'ALBRequestCountPerTarget', ResourceLabel }).catch(
        refusal,
      );
    expect(await alb()).toEqual({
      name: 'ValidationException',
      message: 'ResourceLabel is required for the predefined metric type ALBRequestCountPerTarget.',
    });
    expect(await cpuPolicy('label-1', 'cpu', { ResourceLabel: label(group) }).catch(refusal)).toMatchObject({
      name: 'ValidationException',
      message: expect.stringContaining('only valid for the predefined metric type ALBRequestCountPerTarget'),
    });
    expect(await alb(group)).toMatchObject({
      name: 'ValidationException',
      message: expect.stringContaining('expected app/'),
    });
    expect(await alb(label(group).replace(/[0-9a-f]+$/, '0000000000000000'))).toMatchObject({
      message: expect.stringContaining('no target group'),
    });
    expect(await alb(label(other))).toMatchObject({
      message: expect.stringContaining(`target group label-2 is not attached to service/${cluster}/label-1`),
    });
    const loose = (
      await elbv2.send(
        new CreateTargetGroupCommand({ Name: 'label-3', Protocol: 'HTTP', Port: 80, VpcId: vpcId, TargetType: 'ip' }),
      )
    ).TargetGroups![0].TargetGroupArn!;
    expect(await alb(label(loose))).toMatchObject({
      message: expect.stringContaining('is not attached to load balancer'),
    });
    await expect(
      cpuPolicy('label-1', 'requests', {
        PredefinedMetricType: 'ALBRequestCountPerTarget',
        ResourceLabel: label(group),
      }),
    ).resolves.toBeDefined();
  });

  it('DescribeScalingPolicies: ResourceId is exact (no leak of app into app-green) and PolicyNames is honoured', async () => {
    await service('app');
    await service('app-green');
    for (const name of ['app', 'app-green']) {
      await register(name, { MinCapacity: 1, MaxCapacity: 4 });
      await cpuPolicy(name, 'cpu');
      await cpuPolicy(name, 'memory', { PredefinedMetricType: 'ECSServiceAverageMemoryUtilization' });
    }
    const policies = async (name: string, PolicyNames?: string[]) =>
      (
        (await aas.send(new DescribeScalingPoliciesCommand({ ...target(name), PolicyNames }))).ScalingPolicies ?? []
      ).map((p) => `${p.ResourceId} ${p.PolicyName}`);
    expect((await policies('app-green')).sort()).toEqual([
      `service/${cluster}/app-green cpu`,
      `service/${cluster}/app-green memory`,
    ]);
    expect(await policies('app', ['memory'])).toEqual([`service/${cluster}/app memory`]);
  });

  it("DeregisterScalableTarget deletes the target's policies and scheduled actions; missing ones are ObjectNotFoundException", async () => {
    await service('dereg-1');
    await register('dereg-1', { MinCapacity: 1, MaxCapacity: 4 });
    await cpuPolicy('dereg-1');
    await aas.send(
      new PutScheduledActionCommand({
        ...target('dereg-1'),
        ScheduledActionName: 'night',
        Schedule: 'cron(0 22 * * ? *)',
        ScalableTargetAction: { MinCapacity: 1 },
      }),
    );
    expect(
      await aas.send(new DeleteScalingPolicyCommand({ ...target('dereg-1'), PolicyName: 'nope' })).catch(refusal),
    ).toEqual({
      name: 'ObjectNotFoundException',
      message: `No scaling policy found for service namespace: ecs, resource ID: service/${cluster}/dereg-1, scalable dimension: ${dimension}, policy name: nope`,
    });
    await aas.send(new DeregisterScalableTargetCommand(target('dereg-1')));
    expect((await aas.send(new DescribeScalingPoliciesCommand({ ServiceNamespace: 'ecs' }))).ScalingPolicies).toEqual(
      [],
    );
    expect((await aas.send(new DescribeScheduledActionsCommand({ ServiceNamespace: 'ecs' }))).ScheduledActions).toEqual(
      [],
    );
    expect(await aas.send(new DeregisterScalableTargetCommand(target('dereg-1'))).catch(refusal)).toEqual({
      name: 'ObjectNotFoundException',
      message: `No scalable target found for service namespace: ecs, resource ID: service/${cluster}/dereg-1, scalable dimension: ${dimension}`,
    });
  });

  it('ECS DeleteService takes the scalable target and its policies with it', async () => {
    await service('del-1');
    await service('del-10');
    await register('del-1', { MinCapacity: 1, MaxCapacity: 4 });
    await register('del-10', { MinCapacity: 1, MaxCapacity: 4 });
    await cpuPolicy('del-1');
    await ecs.send(new DeleteServiceCommand({ cluster, service: 'del-1', force: true }));
    const targets = (await aas.send(new DescribeScalableTargetsCommand({ ServiceNamespace: 'ecs' }))).ScalableTargets!;
    expect(targets.map((t) => t.ResourceId)).toEqual([`service/${cluster}/del-10`]);
    expect((await aas.send(new DescribeScalingPoliciesCommand({ ServiceNamespace: 'ecs' }))).ScalingPolicies).toEqual(
      [],
    );
  });
});
