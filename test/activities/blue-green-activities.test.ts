// The blue/green activities against moto (behind the behaviour proxy): idempotent creates, undos that
// tolerate "already gone", a teardown order AWS accepts, and waits that end at their deadline.
import { DescribeServicesCommand } from '@aws-sdk/client-ecs';
import { GetRoleCommand } from '@aws-sdk/client-iam';
import { ChangeResourceRecordSetsCommand, GetChangeCommand } from '@aws-sdk/client-route-53';
import {
  CreateListenerCommand,
  CreateRuleCommand,
  DeleteRuleCommand,
  DescribeRulesCommand,
  DescribeTargetGroupAttributesCommand,
  DescribeTargetGroupsCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { createActivities } from '../../src/activities';
import { awsDelaysMs } from '../../src/dev/emulator/behaviours/conformance';
import { destroyAwsClients } from '../../src/aws/clients';
import { demoAccount } from '../../src/dev/demo';
import { seedAccount, type AccountClients } from '../../src/dev/seed';
import type { HealthCheckSpec } from '../../src/shared/deployment';
import { launchOf } from '../../src/shared/launch';
import { aliasesTo } from '../../src/shared/records';
import { deploymentTags, resourceNames, type Tag } from '../../src/shared/naming';
import {
  awsClientsOnMoto,
  awsTimeScale,
  iamPropagationMs,
  requestTestCertificate,
  resetAws,
  setAwsScenario,
  testRegion,
} from '../support/servers';
import { fargate, fargateLaunch } from '../support/fargate';
import { eventually } from '../support/eventually';

const healthCheck: HealthCheckSpec = {
  path: '/',
  intervalSeconds: 10,
  timeoutSeconds: 5,
  healthyThreshold: 2,
  unhealthyThreshold: 3,
  matcher: '200',
};
const spec = { service: 'checkout-api', environment: 'staging' };

describe('blue/green activities on moto', () => {
  let clients: AccountClients;
  let aws: ReturnType<typeof createActivities>;
  let listenerArn: string;
  let vpcId: string;
  let subnets: string[];

  beforeAll(() => {
    clients = awsClientsOnMoto();
    aws = createActivities(clients);
  });
  afterAll(() => destroyAwsClients(clients));
  beforeEach(async () => {
    await resetAws();
    await seedAccount(clients, demoAccount);
    const lb = (await aws.findLoadBalancer({ loadBalancer: demoAccount.loadBalancer }))!;
    vpcId = lb.vpcId;
    subnets = lb.subnetIds;
    listenerArn = await aws.ensureListener({ loadBalancerArn: lb.arn, port: 80 });
  });

  /** An activity that heartbeats, run as a worker would. */
  const run = <T>(fn: () => Promise<T>): Promise<T> =>
    new MockActivityEnvironment(undefined, { logger: new DefaultLogger('ERROR') }).run(fn) as Promise<T>;

  function stagedNames(id: string) {
    return { names: resourceNames(spec, id), tags: deploymentTags(spec, id) };
  }

  /** The role, once IAM has propagated it (as a deployment waits before its tasks start with a new one). */
  async function usableRole(name: string, managedPolicies: string[], tags: Tag[]): Promise<string> {
    const role = await aws.ensureRole({ name, managedPolicies, tags });
    await new Promise((r) => setTimeout(r, Math.max(0, role.createdAt + iamPropagationMs - Date.now())));
    return role.arn;
  }

  async function stageService(id: string, desiredCount = 2) {
    const { names, tags } = stagedNames(id);
    const executionRoleArn = await usableRole(
      names.executionRole,
      ['service-role/AmazonECSTaskExecutionRolePolicy'],
      tags,
    );
    const taskDefinitionArn = await aws.registerTaskDefinition({
      family: names.family,
      taskDefinition: { ...fargate, containerDefinitions: [{ name: 'web', image: 'nginx:1', memory: 128 }] },
      containerName: 'web',
      image: 'nginx:2',
      taskRoleArn: executionRoleArn,
      executionRoleArn,
      tags,
      deploymentId: id,
    });
    const targetGroupArn = await aws.createTargetGroup({
      name: names.targetGroup,
      vpcId,
      port: 80,
      targetType: 'ip',
      healthCheck,
      tags,
    });
    // Attached before the service, as ECS requires: its stage rule.
    await aws.putHostRule({
      listenerArn,
      host: `${id}.stage.switchyard.test`,
      targets: [{ targetGroupArn, weight: 100 }],
      tags,
    });
    const network = { subnets, securityGroups: [], assignPublicIp: false };
    const serviceInput = {
      cluster: demoAccount.cluster,
      name: names.ecsService,
      taskDefinitionArn,
      targetGroupArn,
      containerName: 'web',
      containerPort: 80,
      desiredCount,
      network,
      launch: fargateLaunch,
      tags,
    };
    await aws.createService(serviceInput);
    return { names, tags, taskDefinitionArn, targetGroupArn, executionRoleArn, serviceInput };
  }

  it('keeps every derived name within AWS limits', () => {
    const names = resourceNames({ service: 'a'.repeat(20), environment: 'b'.repeat(10) }, 'abcd1234');
    expect(names.targetGroup).toHaveLength(32);
    expect(names.targetGroup).toMatch(/^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/);
    expect(names.executionRole.length).toBeLessThanOrEqual(64);
  });

  it('ensureRole: creates the role with the date IAM gives it; again (a retry, a later deployment): the same role and date', async () => {
    const { names, tags } = stagedNames('aaaa0009');
    const before = Date.now();
    const created = await aws.ensureRole({ name: names.taskRole, managedPolicies: [], tags });
    expect(created.arn).toMatch(new RegExp(`:role/switchyard/${names.taskRole}$`));
    // The date IAM reports (second precision or better), not the caller's clock.
    const role = (await clients.iam.send(new GetRoleCommand({ RoleName: names.taskRole }))).Role!;
    expect(created.createdAt).toBe(role.CreateDate!.getTime());
    // At Switchyard's path, bounded (the worker's policy lets it create no other role).
    expect(role).toMatchObject({
      Path: '/switchyard/',
      PermissionsBoundary: {
        PermissionsBoundaryArn: expect.stringMatching(/:policy\/switchyard\/task-role-boundary$/),
      },
    });
    expect(Math.abs(created.createdAt - before)).toBeLessThan(5_000);
    const again = await aws.ensureRole({ name: names.taskRole, managedPolicies: [], tags });
    expect(again).toEqual({ arn: created.arn, createdAt: created.createdAt, readAt: expect.any(Number) });
    // How old the role is, from the result alone: the time it was read, not created.
    expect(again.readAt).toBeGreaterThanOrEqual(created.readAt);
    expect(created.readAt).toBeGreaterThanOrEqual(created.createdAt);
    expect(await aws.ensureTaskRole({ name: names.taskRole, managedPolicies: [], tags })).toBe(created.arn);
  });

  it('creates idempotently: a second call after a crash finds what the first made', async () => {
    const first = await stageService('aaaa0001');
    const again = await stageService('aaaa0001');
    expect(again.taskDefinitionArn).toBe(first.taskDefinitionArn);
    expect(again.targetGroupArn).toBe(first.targetGroupArn);
    expect(again.executionRoleArn).toBe(first.executionRoleArn);
    expect(first.taskDefinitionArn).toMatch(/:task-definition\/checkout-api-staging:1$/);
    // A service just created is MISSING from DescribeServices for a while, as in AWS.
    const service = await eventually(first.names.ecsService, () =>
      aws.findService({ cluster: demoAccount.cluster, name: first.names.ecsService }),
    );
    expect(service).toMatchObject({ status: 'ACTIVE', desiredCount: 2 });

    const rule1 = await aws.putHostRule({
      listenerArn,
      host: 'a.switchyard.test',
      targets: [{ targetGroupArn: first.targetGroupArn, weight: 100 }],
      tags: first.tags,
    });
    const rule2 = await aws.putHostRule({
      listenerArn,
      host: 'a.switchyard.test',
      targets: [{ targetGroupArn: first.targetGroupArn, weight: 100 }],
      tags: first.tags,
    });
    expect(rule2.ruleArn).toBe(rule1.ruleArn);
  });

  it('host rules: new rules take the next priority, a change is read back, weights are checked before AWS', async () => {
    const a = await stageService('aaaa0001');
    const b = await stageService('bbbb0002');
    const prod = await aws.putHostRule({
      listenerArn,
      host: 'web.switchyard.test',
      targets: [{ targetGroupArn: a.targetGroupArn, weight: 100 }],
      tags: [],
    });
    const stage = await aws.putHostRule({
      listenerArn,
      host: 'stage.web.switchyard.test',
      targets: [{ targetGroupArn: b.targetGroupArn, weight: 100 }],
      tags: [],
    });
    expect(stage.priority).toBe(prod.priority + 1);
    const moved = await aws.putHostRule({
      listenerArn,
      host: 'web.switchyard.test',
      tags: [],
      targets: [
        { targetGroupArn: a.targetGroupArn, weight: 90 },
        { targetGroupArn: b.targetGroupArn, weight: 10 },
      ],
    });
    expect(moved.targets).toEqual([
      { targetGroupArn: a.targetGroupArn, weight: 90 },
      { targetGroupArn: b.targetGroupArn, weight: 10 },
    ]);
    expect(await aws.findHostRule({ listenerArn, host: 'WEB.switchyard.test' })).toEqual(moved);

    for (const targets of [
      [{ targetGroupArn: a.targetGroupArn, weight: 1000 }],
      [],
      Array(6).fill({ targetGroupArn: a.targetGroupArn, weight: 1 }),
    ]) {
      const err = await aws
        .putHostRule({ listenerArn, host: 'web.switchyard.test', targets, tags: [] })
        .catch((e) => e);
      expect(err).toBeInstanceOf(ApplicationFailure);
      expect(err).toMatchObject({ type: 'InvalidForward', nonRetryable: true });
    }
  });

  it('a rule known by its ARN is written and read back in place; a deleted one fails at once (RuleNotFound)', async () => {
    const a = await stageService('aaaa0003');
    const b = await stageService('bbbb0004');
    const prod = await aws.putHostRule({
      listenerArn,
      host: 'arn.switchyard.test',
      targets: [{ targetGroupArn: a.targetGroupArn, weight: 100 }],
      tags: [],
    });
    const moved = await aws.setRuleTargets({
      ruleArn: prod.ruleArn,
      targets: [
        { targetGroupArn: a.targetGroupArn, weight: 0 },
        { targetGroupArn: b.targetGroupArn, weight: 100 },
      ],
    });
    expect(moved).toEqual({
      ...prod,
      targets: [
        { targetGroupArn: a.targetGroupArn, weight: 0 },
        { targetGroupArn: b.targetGroupArn, weight: 100 },
      ],
      fingerprint: expect.any(String),
      frame: prod.frame,
      actions: [expect.objectContaining({ Type: 'forward' })],
    });
    // The rule changed, and so did its fingerprint; read again it is the same.
    expect(moved.fingerprint).not.toBe(prod.fingerprint);
    expect(await aws.findHostRule({ listenerArn, host: 'arn.switchyard.test' })).toEqual(moved);
    // The same move retried (its first attempt wrote, then failed): the rule is the move's own, not changed.
    expect(
      await aws.setRuleTargets({
        ruleArn: prod.ruleArn,
        targets: moved.targets,
        expectFingerprint: prod.fingerprint,
        expectFrame: prod.frame,
      }),
    ).toEqual(moved);
    // A write expecting the rule as it was before the move finds it changed and leaves it alone.
    const stale = await aws
      .setRuleTargets({
        ruleArn: prod.ruleArn,
        targets: prod.targets,
        expectFingerprint: prod.fingerprint,
        expectFrame: prod.frame,
      })
      .catch((e: unknown) => e);
    expect(stale).toMatchObject({ type: 'RuleChanged', nonRetryable: true });
    expect(await aws.findHostRule({ listenerArn, host: 'arn.switchyard.test' })).toEqual(moved);
    await aws.deleteHostRule({ listenerArn, host: 'arn.switchyard.test' });
    const err = await aws
      .setRuleTargets({ ruleArn: prod.ruleArn, targets: [{ targetGroupArn: a.targetGroupArn, weight: 100 }] })
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ type: 'RuleNotFound', nonRetryable: true });
  });

  it('the service gets its grace period and capacity provider strategy, the target group its deregistration delay', async () => {
    const { names, tags } = stagedNames('cccc0007');
    const targetGroupArn = await aws.createTargetGroup({
      name: names.targetGroup,
      vpcId,
      port: 80,
      targetType: 'ip',
      healthCheck,
      deregistrationDelaySeconds: 45,
      tags,
    });
    // Again, as a retry would: the same group, the delay set again.
    expect(
      await aws.createTargetGroup({
        name: names.targetGroup,
        vpcId,
        port: 80,
        targetType: 'ip',
        healthCheck,
        deregistrationDelaySeconds: 45,
        tags,
      }),
    ).toBe(targetGroupArn);
    const attributes =
      (await clients.elbv2.send(new DescribeTargetGroupAttributesCommand({ TargetGroupArn: targetGroupArn })))
        .Attributes ?? [];
    expect(attributes.find((a) => a.Key === 'deregistration_delay.timeout_seconds')?.Value).toBe('45');

    await aws.putHostRule({
      listenerArn,
      host: 'cps.stage.switchyard.test',
      targets: [{ targetGroupArn, weight: 100 }],
      tags,
    });
    const executionRoleArn = await usableRole(names.executionRole, [], tags);
    const taskDefinitionArn = await aws.registerTaskDefinition({
      family: names.family,
      taskDefinition: { ...fargate, containerDefinitions: [{ name: 'web', image: 'nginx:1' }] },
      containerName: 'web',
      image: 'nginx:2',
      taskRoleArn: executionRoleArn,
      executionRoleArn,
      tags,
      deploymentId: 'cccc0007',
    });
    const strategy = [
      { capacityProvider: 'FARGATE_SPOT', weight: 3 },
      { capacityProvider: 'FARGATE', weight: 1, base: 1 },
    ];
    await aws.createService({
      cluster: demoAccount.cluster,
      name: names.ecsService,
      taskDefinitionArn,
      targetGroupArn,
      containerName: 'web',
      containerPort: 80,
      desiredCount: 1,
      network: { subnets, securityGroups: [], assignPublicIp: true },
      launch: launchOf({ ...fargate, containerDefinitions: [] }, strategy),
      healthCheckGracePeriodSeconds: 90,
      serviceFields: {
        serviceRegistries: [
          { registryArn: `arn:aws:servicediscovery:${testRegion}:123456789012:service/srv-web01`, port: 80 },
        ],
        enableExecuteCommand: true,
        propagateTags: 'TASK_DEFINITION',
      },
      tags,
    });
    // Once DescribeServices shows it (a service just created is MISSING for a moment).
    const service = await run(() =>
      aws.waitForServiceSteady({
        cluster: demoAccount.cluster,
        name: names.ecsService,
        desiredCount: 1,
        deadline: Date.now() + 10_000,
        intervalMs: 1_000,
      }),
    ).then(
      async () =>
        (
          await clients.ecs.send(
            new DescribeServicesCommand({ cluster: demoAccount.cluster, services: [names.ecsService] }),
          )
        ).services![0],
    );
    expect(service).toMatchObject({
      healthCheckGracePeriodSeconds: 90,
      capacityProviderStrategy: strategy,
      serviceRegistries: [
        { registryArn: `arn:aws:servicediscovery:${testRegion}:123456789012:service/srv-web01`, port: 80 },
      ],
      enableExecuteCommand: true,
      propagateTags: 'TASK_DEFINITION',
    });
    expect(service.launchType).toBeUndefined();
  });

  it('an EC2 service gets its placement as the spec gives it; a rolling update sets the circuit breaker the spec asks for', async () => {
    const { names, tags } = stagedNames('dddd0008');
    const targetGroupArn = await aws.createTargetGroup({
      name: names.targetGroup,
      vpcId,
      port: 80,
      targetType: 'instance',
      healthCheck,
      deregistrationDelaySeconds: 30,
      tags,
    });
    await aws.putHostRule({
      listenerArn,
      host: 'ec2.stage.switchyard.test',
      targets: [{ targetGroupArn, weight: 100 }],
      tags,
    });
    const ec2 = {
      requiresCompatibilities: ['EC2'],
      networkMode: 'bridge',
      containerDefinitions: [
        { name: 'web', image: 'nginx:1', memory: 256, portMappings: [{ containerPort: 80, hostPort: 0 }] },
      ],
    };
    const executionRoleArn = await usableRole(names.executionRole, [], tags);
    const register = (image: string) =>
      aws.registerTaskDefinition({
        family: names.family,
        taskDefinition: ec2,
        containerName: 'web',
        image,
        taskRoleArn: executionRoleArn,
        executionRoleArn,
        tags,
        deploymentId: `dddd0008-${image.replace(/\W/g, '')}`,
      });
    const first = await register('nginx:1');
    const placement = {
      placementConstraints: [{ type: 'memberOf' as const, expression: 'attribute:ecs.instance-type =~ m6i.*' }],
      placementStrategy: [
        { type: 'spread' as const, field: 'attribute:ecs.availability-zone' },
        { type: 'binpack' as const, field: 'memory' },
      ],
    };
    await aws.createService({
      cluster: demoAccount.cluster,
      name: names.ecsService,
      taskDefinitionArn: first,
      targetGroupArn,
      containerName: 'web',
      containerPort: 80,
      desiredCount: 1,
      network: { subnets, securityGroups: [], assignPublicIp: false },
      launch: launchOf(ec2),
      serviceFields: placement,
      tags,
    });
    const describe = async () =>
      (
        await clients.ecs.send(
          new DescribeServicesCommand({ cluster: demoAccount.cluster, services: [names.ecsService] }),
        )
      ).services?.[0];
    expect(await eventually(names.ecsService, describe)).toMatchObject({ ...placement, launchType: 'EC2' });

    await aws.updateServiceRevision({
      cluster: demoAccount.cluster,
      name: names.ecsService,
      taskDefinitionArn: await register('nginx:2'),
      circuitBreaker: { enable: true, rollback: true },
    });
    expect((await describe())?.deploymentConfiguration?.deploymentCircuitBreaker).toEqual({
      enable: true,
      rollback: true,
    });
    await aws.deleteService({ cluster: demoAccount.cluster, name: names.ecsService });
  });

  it.each([
    {
      mode: 'host',
      id: 'eeee0009',
      containers: [{ name: 'web', image: 'nginx:1', memory: 256, portMappings: [{ containerPort: 80, hostPort: 80 }] }],
    },
    { mode: 'awsvpc', id: 'ffff0010', containers: [{ name: 'web', image: 'nginx:1', memory: 256 }] },
  ])(
    'an EC2 service in $mode mode: target type, launch type and network configuration follow the task definition, as AWS takes them',
    async ({ mode, id, containers }) => {
      const { names, tags } = stagedNames(id);
      const taskDefinition = { requiresCompatibilities: ['EC2'], networkMode: mode, containerDefinitions: containers };
      const launch = launchOf(taskDefinition);
      expect(launch).toEqual({
        launchType: 'EC2',
        networkMode: mode,
        targetType: mode === 'awsvpc' ? 'ip' : 'instance',
      });
      const targetGroupArn = await aws.createTargetGroup({
        name: names.targetGroup,
        vpcId,
        port: 80,
        targetType: launch.targetType,
        healthCheck,
        tags,
      });
      await aws.putHostRule({
        listenerArn,
        host: `${mode}.stage.switchyard.test`,
        targets: [{ targetGroupArn, weight: 100 }],
        tags,
      });
      const executionRoleArn = await usableRole(names.executionRole, [], tags);
      const taskDefinitionArn = await aws.registerTaskDefinition({
        family: names.family,
        taskDefinition,
        containerName: 'web',
        image: 'nginx:2',
        taskRoleArn: executionRoleArn,
        executionRoleArn,
        tags,
        deploymentId: id,
      });
      // Every refusal of the conformance layer would throw here (an ip group for host tasks, a public IP on
      // EC2, awsvpc without a network configuration).
      await aws.createService({
        cluster: demoAccount.cluster,
        name: names.ecsService,
        taskDefinitionArn,
        targetGroupArn,
        containerName: 'web',
        containerPort: 80,
        desiredCount: 1,
        network: { subnets, securityGroups: [], assignPublicIp: true },
        launch,
        tags,
      });
      const service = await eventually(
        names.ecsService,
        async () =>
          (
            await clients.ecs.send(
              new DescribeServicesCommand({ cluster: demoAccount.cluster, services: [names.ecsService] }),
            )
          ).services?.[0],
      );
      expect(service).toMatchObject({
        launchType: 'EC2',
        loadBalancers: [{ targetGroupArn, containerName: 'web', containerPort: 80 }],
      });
      if (mode === 'awsvpc')
        expect(service?.networkConfiguration?.awsvpcConfiguration).toMatchObject({ subnets: expect.any(Array) });
      // (moto answers an empty networkConfiguration where AWS leaves it out.)
      else expect(service?.networkConfiguration?.awsvpcConfiguration).toBeUndefined();
      expect(service?.networkConfiguration?.awsvpcConfiguration?.assignPublicIp ?? 'DISABLED').toBe('DISABLED');
      await aws.deleteService({ cluster: demoAccount.cluster, name: names.ecsService });
    },
  );

  it('moving production changes only its forward action: an authenticate-oidc action and a path condition stay', async () => {
    const a = await stageService('aaaa0005');
    const b = await stageService('bbbb0006');
    const lb = (await aws.findLoadBalancer({ loadBalancer: demoAccount.loadBalancer }))!;
    // Authenticate actions are for HTTPS listeners (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/listener-authenticate-users.html).
    const https = await clients.elbv2.send(
      new CreateListenerCommand({
        LoadBalancerArn: lb.arn,
        Protocol: 'HTTPS',
        Port: 443,
        Certificates: [{ CertificateArn: await requestTestCertificate('secure.switchyard.test') }],
        DefaultActions: [{ Type: 'fixed-response', FixedResponseConfig: { StatusCode: '404' } }],
      }),
    );
    const secureListener = https.Listeners![0].ListenerArn!;
    const oidc = {
      Issuer: 'https://idp.example.com',
      AuthorizationEndpoint: 'https://idp.example.com/auth',
      TokenEndpoint: 'https://idp.example.com/token',
      UserInfoEndpoint: 'https://idp.example.com/userinfo',
      ClientId: 'switchyard',
    };
    const created = await clients.elbv2.send(
      new CreateRuleCommand({
        ListenerArn: secureListener,
        Priority: 7,
        Conditions: [
          { Field: 'host-header', HostHeaderConfig: { Values: ['secure.switchyard.test'] } },
          { Field: 'path-pattern', PathPatternConfig: { Values: ['/app/*'] } },
        ],
        Actions: [
          {
            Type: 'authenticate-oidc',
            Order: 1,
            AuthenticateOidcConfig: { ...oidc, ClientSecret: 'not-returned-by-aws' },
          },
          {
            Type: 'forward',
            Order: 2,
            ForwardConfig: { TargetGroups: [{ TargetGroupArn: a.targetGroupArn, Weight: 1 }] },
          },
        ],
      }),
    );
    const ruleArn = created.Rules![0].RuleArn!;
    const read = async () => (await clients.elbv2.send(new DescribeRulesCommand({ RuleArns: [ruleArn] }))).Rules![0];
    const keptAsIs = async (targets: { targetGroupArn: string; weight: number }[]) => {
      const rule = await read();
      expect(rule.Conditions?.map((c) => c.Field)).toEqual(['host-header', 'path-pattern']);
      expect(rule.Conditions?.[1].PathPatternConfig?.Values).toEqual(['/app/*']);
      expect(rule.Actions?.map((x) => [x.Type, x.Order])).toEqual([
        ['authenticate-oidc', 1],
        ['forward', 2],
      ]);
      expect(rule.Actions?.[0].AuthenticateOidcConfig).toMatchObject({ ...oidc, UseExistingClientSecret: true });
      expect(
        rule.Actions?.[1].ForwardConfig?.TargetGroups?.map((g) => ({
          targetGroupArn: g.TargetGroupArn,
          weight: g.Weight,
        })),
      ).toEqual(targets);
    };

    const split = [
      { targetGroupArn: a.targetGroupArn, weight: 90 },
      { targetGroupArn: b.targetGroupArn, weight: 10 },
    ];
    // Found by its full condition set: the host alone is some other rule (created beside it).
    const byConditions = { pathPatterns: ['/app/*'] };
    expect(await aws.findHostRule({ listenerArn: secureListener, host: 'secure.switchyard.test' })).toBeUndefined();
    const written = await aws.putHostRule({
      listenerArn: secureListener,
      host: 'secure.switchyard.test',
      targets: split,
      tags: [],
      rule: byConditions,
    });
    expect(written).toMatchObject({ ruleArn, priority: 7, targets: split });
    await keptAsIs(split);
    const all = [{ targetGroupArn: b.targetGroupArn, weight: 100 }];
    expect((await aws.setRuleTargets({ ruleArn, targets: all })).targets).toEqual(all);
    await keptAsIs(all);
    // A rollback of an adopted rule writes back every action as first read.
    const restored = await aws.restoreRuleActions({ ruleArn, actions: created.Rules![0].Actions! });
    expect(restored.targets).toEqual([{ targetGroupArn: a.targetGroupArn, weight: 1 }]);
    await keptAsIs([{ targetGroupArn: a.targetGroupArn, weight: 1 }]);

    // A rule Switchyard creates goes above a catch-all that would take its requests first.
    const catchAll = await clients.elbv2.send(
      new CreateRuleCommand({
        ListenerArn: secureListener,
        Priority: 20,
        Conditions: [{ Field: 'path-pattern', PathPatternConfig: { Values: ['/*'] } }],
        Actions: [{ Type: 'fixed-response', FixedResponseConfig: { StatusCode: '503' } }],
      }),
    );
    const placed = await aws.putHostRule({
      listenerArn: secureListener,
      host: 'new.switchyard.test',
      targets: all,
      tags: [],
    });
    expect(placed.priority).toBe(19);
    const pinned = await aws.putHostRule({
      listenerArn: secureListener,
      host: 'pinned.switchyard.test',
      targets: all,
      tags: [],
      rule: { priority: 3 },
    });
    expect(pinned.priority).toBe(3);
    for (const arn of [placed.ruleArn, pinned.ruleArn, catchAll.Rules![0].RuleArn!])
      await clients.elbv2.send(new DeleteRuleCommand({ RuleArn: arn }));
  });

  it('tears down in an order AWS accepts, and every undo tolerates "already gone"', async () => {
    const a = await stageService('aaaa0001');
    await aws.putHostRule({
      listenerArn,
      host: 'web.switchyard.test',
      targets: [{ targetGroupArn: a.targetGroupArn, weight: 100 }],
      tags: [],
    });
    const inUse = await aws.deleteTargetGroup({ arn: a.targetGroupArn }).catch((e) => e);
    expect(inUse).toBeInstanceOf(ApplicationFailure);
    expect(inUse.nonRetryable).toBe(false);

    for (let round = 0; round < 2; round++) {
      await aws.deleteHostRule({ listenerArn, host: 'web.switchyard.test' });
      await aws.deleteService({ cluster: demoAccount.cluster, name: a.names.ecsService });
      await aws.deleteHostRule({ listenerArn, host: 'aaaa0001.stage.switchyard.test' });
      await aws.deregisterTaskDefinition({ family: a.names.family, deploymentId: 'aaaa0001' });
      await aws.deleteTargetGroup({ name: a.names.targetGroup });
    }
    expect(await aws.findHostRule({ listenerArn, host: 'web.switchyard.test' })).toBeUndefined();
    // Deleted: DRAINING until its tasks stop (as in AWS), never ACTIVE again.
    expect([undefined, 'DRAINING']).toContain(
      (await aws.findService({ cluster: demoAccount.cluster, name: a.names.ecsService }))?.status,
    );
    const gone = await clients.elbv2
      .send(new DescribeTargetGroupsCommand({ Names: [a.names.targetGroup] }))
      .catch((e: Error) => e.name);
    expect(gone).toBe('TargetGroupNotFoundException');
  });

  it('deletes a service it has just created, while DescribeServices does not list it yet (a compensation right after CreateService)', async () => {
    const a = await stageService('aaaa0002', 1);
    const listed = () => aws.findService({ cluster: demoAccount.cluster, name: a.names.ecsService });
    expect(await listed()).toBeUndefined();
    await aws.deleteService({ cluster: demoAccount.cluster, name: a.names.ecsService });
    // Once it shows, it shows deleted: DRAINING until its tasks stop, never ACTIVE.
    await new Promise((r) => setTimeout(r, awsDelaysMs.serviceVisible * awsTimeScale + 100));
    expect([undefined, 'DRAINING']).toContain((await listed())?.status);
  });

  it('alias records: upsert twice, delete twice', async () => {
    const zone = (await aws.findHostedZone({ name: demoAccount.hostedZone }))!;
    const lb = (await aws.findLoadBalancer({ loadBalancer: demoAccount.loadBalancer }))!;
    const record = {
      zoneId: zone.id,
      name: 'stage.web.switchyard.test',
      targetDnsName: lb.dnsName,
      targetZoneId: lb.canonicalHostedZoneId,
    };
    await aws.upsertAliasRecord(record);
    await aws.upsertAliasRecord(record);
    expect(await aws.recordExists(record)).toBe(true);
    await aws.deleteRecord(record);
    await aws.deleteRecord(record);
    expect(await aws.recordExists(record)).toBe(false);
  });

  it('a production CNAME pointing elsewhere: replaced by the alias in one change, put back by the undo, each twice', async () => {
    const zone = (await aws.findHostedZone({ name: demoAccount.hostedZone }))!;
    const lb = (await aws.findLoadBalancer({ loadBalancer: demoAccount.loadBalancer }))!;
    const name = 'www.switchyard.test';
    const cname = {
      Name: `${name}.`,
      Type: 'CNAME' as const,
      TTL: 300,
      ResourceRecords: [{ Value: 'old-web.example.net' }],
    };
    await clients.route53.send(
      new ChangeResourceRecordSetsCommand({
        HostedZoneId: zone.id,
        ChangeBatch: { Changes: [{ Action: 'CREATE', ResourceRecordSet: cname }] },
      }),
    );
    const found = await aws.recordsAt({ zoneId: zone.id, name });
    expect(found).toEqual([cname]);
    const alias = { zoneId: zone.id, name, targetDnsName: lb.dnsName, targetZoneId: lb.canonicalHostedZoneId };
    // (An UPSERT of the alias beside the CNAME is what Route 53 refuses: test/conformance.)
    for (let i = 0; i < 2; i++) await aws.replaceWithAlias({ ...alias, replacing: found });
    const replaced = await aws.recordsAt({ zoneId: zone.id, name });
    expect(replaced.map((r) => [r.Type, aliasesTo(r, lb.dnsName)])).toEqual([['A', true]]);
    for (let i = 0; i < 2; i++)
      await aws.restoreRecords({ zoneId: zone.id, name, targetDnsName: lb.dnsName, records: found });
    expect(await aws.recordsAt({ zoneId: zone.id, name })).toEqual([cname]);
  });

  it('a Route 53 change is waited for until INSYNC', async () => {
    const zone = (await aws.findHostedZone({ name: demoAccount.hostedZone }))!;
    const lb = (await aws.findLoadBalancer({ loadBalancer: demoAccount.loadBalancer }))!;
    const changeId = await aws.upsertAliasRecord({
      zoneId: zone.id,
      name: 'insync.switchyard.test',
      targetDnsName: lb.dnsName,
      targetZoneId: lb.canonicalHostedZoneId,
    });
    expect((await clients.route53.send(new GetChangeCommand({ Id: changeId }))).ChangeInfo?.Status).toBe('PENDING');
    const env = new MockActivityEnvironment(undefined, { logger: new DefaultLogger('ERROR') });
    await env.run(() => aws.waitForDnsChange({ changeId, deadline: Date.now() + 30_000, intervalMs: 1_000 }));
    expect((await clients.route53.send(new GetChangeCommand({ Id: changeId }))).ChangeInfo?.Status).toBe('INSYNC');
  });

  describe('waits (heartbeating, ending at the deadline)', () => {
    it('a running service with healthy targets is steady at once', async () => {
      const a = await stageService('aaaa0001', 3);
      const steady = await run(() =>
        aws.waitForServiceSteady({
          cluster: demoAccount.cluster,
          name: a.names.ecsService,
          desiredCount: 3,
          deadline: Date.now() + 10_000,
        }),
      );
      expect(steady).toMatchObject({ runningCount: 3, desiredCount: 3 });
      expect(
        await run(() =>
          aws.waitForTargetsHealthy({ targetGroupArn: a.targetGroupArn, minHealthy: 3, deadline: Date.now() + 10_000 }),
        ),
      ).toEqual({ healthy: 3 });
    });

    it('a service just created, MISSING from DescribeServices at first, is waited for and found steady', async () => {
      const a = await stageService('aaaa0008', 2);
      // The wait's first describe comes right after the create, inside the window AWS may answer MISSING.
      const steady = await run(() =>
        aws.waitForServiceSteady({
          cluster: demoAccount.cluster,
          name: a.names.ecsService,
          desiredCount: 2,
          deadline: Date.now() + 10_000,
          intervalMs: 1_000,
        }),
      );
      expect(steady).toMatchObject({ runningCount: 2, desiredCount: 2 });
    });

    it('a service that never becomes steady fails at the deadline, saying how far it got', async () => {
      await setAwsScenario({ neverSteady: 'checkout-api' });
      const a = await stageService('aaaa0001');
      const err = (await run(() =>
        aws.waitForServiceSteady({
          cluster: demoAccount.cluster,
          name: a.names.ecsService,
          desiredCount: 2,
          deadline: Date.now() + 2_500,
          intervalMs: 1_000,
        }),
      ).catch((e: unknown) => e)) as ApplicationFailure;
      expect(err).toMatchObject({ type: 'DeadlineExceeded', nonRetryable: true });
      expect(err.message).toBe(
        `gave up waiting for ECS service ${a.names.ecsService} to be steady at the deadline: running 0 of 2, 1 deployment(s), rollout IN_PROGRESS`,
      );
    });

    it('unhealthy targets fail at the deadline with their states', async () => {
      await setAwsScenario({ unhealthyTargets: 'checkout-api' });
      const a = await stageService('aaaa0001');
      const err = (await run(() =>
        aws.waitForTargetsHealthy({
          targetGroupArn: a.targetGroupArn,
          minHealthy: 2,
          deadline: Date.now() + 1_500,
          intervalMs: 1_000,
        }),
      ).catch((e: unknown) => e)) as ApplicationFailure;
      expect(err).toMatchObject({ type: 'DeadlineExceeded' });
      expect(err.message).toMatch(/0 of 2 healthy \(unhealthy, unhealthy\)$/);
    });
  });
});
