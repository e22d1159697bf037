// The conformance layer makes each AWS rule fire: every kind of API-model constraint, every documented
// rule moto skips, the stateful ones over (scaled) time, and the rate limits. On a proxy of its own in
// front of the run's moto, so the refusals provoked here are not the run's (global-teardown fails on
// those of the shared proxy).
import {
  CreateClusterCommand,
  CreateServiceCommand,
  DeleteServiceCommand,
  DescribeClustersCommand,
  DescribeServicesCommand,
  PutClusterCapacityProvidersCommand,
  RegisterTaskDefinitionCommand,
  type ECSClient,
} from '@aws-sdk/client-ecs';
import {
  CreateRuleCommand,
  CreateTargetGroupCommand,
  DescribeLoadBalancersCommand,
  DescribeTagsCommand,
  DescribeTargetHealthCommand,
  ModifyRuleCommand,
  ModifyTargetGroupAttributesCommand,
  type ElasticLoadBalancingV2Client,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { CreatePolicyCommand, CreateRoleCommand, PutRolePolicyCommand } from '@aws-sdk/client-iam';
import { ChangeResourceRecordSetsCommand, GetChangeCommand, ListHostedZonesCommand } from '@aws-sdk/client-route-53';
import { createActivities } from '../../src/activities';
import { secretReadsPolicy } from '../../src/shared/secrets';
import { destroyAwsClients } from '../../src/aws/clients';
import { EmulatorControl } from '../../src/dev/emulator/control';
import { type AwsBehaviourProxy, type BehaviourScenarioJson } from '../../src/dev/emulator/server';
import { awsDelaysMs } from '../../src/dev/emulator/behaviours/conformance';
import { demoAccount } from '../../src/dev/demo';
import { seedAccount, type AccountClients } from '../../src/dev/seed';
import { addContainerInstances } from '../../src/dev/emulator/ec2-capacity';
import { resetAws } from '../support/servers';
import { refusal, strictProxy, timeScale } from './strict-proxy';

describe('the conformance layer refuses what AWS refuses', () => {
  let proxy: AwsBehaviourProxy;
  let clients: AccountClients;
  let ecs: ECSClient;
  let elbv2: ElasticLoadBalancingV2Client;
  let vpcId: string;
  let subnets: string[];
  let listenerArn: string;
  let loadBalancerArn: string;

  beforeAll(async () => {
    // Throttling off here: these tests provoke single refusals with one SDK attempt each (strictProxy), and a
    // rate-limit refusal in between would be a different answer; the rate limits have their own tests
    // (conformance.test.ts, 'the published rate limits'), and every other suite runs with them on.
    ({ proxy, clients } = await strictProxy({ throttling: false }));
    ({ ecs, elbv2 } = clients);
  });
  afterAll(async () => {
    destroyAwsClients(clients);
    await proxy.close();
  });
  beforeEach(async () => {
    await resetAws();
    await seedAccount(clients, demoAccount);
    const aws = createActivities(clients);
    const lb = (await aws.findLoadBalancer({ loadBalancer: demoAccount.loadBalancer }))!;
    ({ vpcId, subnetIds: subnets, arn: loadBalancerArn } = lb);
    listenerArn = await aws.ensureListener({ loadBalancerArn, port: 80 });
  });

  /** A raw call, for what the SDK would never send (a wrong type, a member the model lacks). */
  async function rawEcs(action: string, body: unknown): Promise<{ status: number; type: string; message: string }> {
    const res = await fetch(proxy.endpoint, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-amz-json-1.1',
        'x-amz-target': `AmazonEC2ContainerServiceV20141113.${action}`,
      },
      body: JSON.stringify(body),
    });
    const out = (await res.json()) as { __type: string; message: string };
    return { status: res.status, type: out.__type, message: out.message };
  }

  /** An EC2 revision in bridge mode, its container on a dynamic host port. */
  async function bridgeRevision(family: string): Promise<string> {
    const out = await ecs.send(
      new RegisterTaskDefinitionCommand({
        family,
        requiresCompatibilities: ['EC2'],
        networkMode: 'bridge',
        containerDefinitions: [
          { name: 'web', image: 'nginx:1', memory: 128, portMappings: [{ containerPort: 80, hostPort: 0 }] },
        ],
      }),
    );
    return out.taskDefinition!.taskDefinitionArn!;
  }

  async function fargateRevision(family: string, extra: Record<string, unknown> = {}): Promise<string> {
    const out = await ecs.send(
      new RegisterTaskDefinitionCommand({
        family,
        requiresCompatibilities: ['FARGATE'],
        networkMode: 'awsvpc',
        cpu: '256',
        memory: '512',
        containerDefinitions: [{ name: 'web', image: 'nginx:1' }],
        ...extra,
      }),
    );
    return out.taskDefinition!.taskDefinitionArn!;
  }

  async function targetGroup(name: string, targetType: 'ip' | 'instance' = 'ip'): Promise<string> {
    return (
      await elbv2.send(
        new CreateTargetGroupCommand({
          Name: name,
          Protocol: 'HTTP',
          Port: 80,
          VpcId: vpcId,
          TargetType: targetType,
          HealthCheckIntervalSeconds: 10,
          HealthyThresholdCount: 3,
        }),
      )
    ).TargetGroups![0].TargetGroupArn!;
  }

  /** A target group forwarded to by a rule of its own (what CreateService needs). */
  async function attachedGroup(name: string, priority: number): Promise<string> {
    const group = await targetGroup(name);
    await attach(group, `${name}.test`, priority);
    return group;
  }

  async function attach(targetGroupArn: string, host: string, priority: number): Promise<string> {
    const out = await elbv2.send(
      new CreateRuleCommand({
        ListenerArn: listenerArn,
        Priority: priority,
        Conditions: [{ Field: 'host-header', HostHeaderConfig: { Values: [host] } }],
        Actions: [
          { Type: 'forward', ForwardConfig: { TargetGroups: [{ TargetGroupArn: targetGroupArn, Weight: 1 }] } },
        ],
      }),
    );
    return out.Rules![0].RuleArn!;
  }

  const service = (
    name: string,
    taskDefinition: string,
    targetGroupArn?: string,
    extra: Record<string, unknown> = {},
  ) =>
    new CreateServiceCommand({
      cluster: demoAccount.cluster,
      serviceName: name,
      taskDefinition,
      desiredCount: 2,
      launchType: 'FARGATE',
      networkConfiguration: { awsvpcConfiguration: { subnets, securityGroups: [], assignPublicIp: 'DISABLED' } },
      loadBalancers: targetGroupArn ? [{ targetGroupArn, containerName: 'web', containerPort: 80 }] : undefined,
      ...extra,
    });

  describe('API models (botocore), each kind of constraint', () => {
    it.each([
      [
        'required',
        () => rawEcs('CreateService', { cluster: demoAccount.cluster }),
        "Value null at 'serviceName' failed to satisfy constraint: Member must not be null",
      ],
      [
        'type',
        () => rawEcs('CreateService', { serviceName: 'x', desiredCount: 'two' }),
        "Value 'two' at 'desiredCount' failed to satisfy constraint: Member must be of type integer",
      ],
      [
        'enum',
        () => rawEcs('CreateService', { serviceName: 'x', launchType: 'MAINFRAME' }),
        "Value 'MAINFRAME' at 'launchType' failed to satisfy constraint: Member must satisfy enum value set: [EC2, FARGATE, EXTERNAL, MANAGED_INSTANCES]",
      ],
      ['unknown', () => rawEcs('CreateService', { serviceName: 'x', replicas: 3 }), "Unknown member 'replicas'"],
    ])('%s (ECS, JSON): ValidationException', async (kind, call, message) => {
      const before = proxy.conformance().byRule[`model:${kind}`] ?? 0;
      const out = await call();
      expect(out).toMatchObject({ status: 400, type: 'ValidationException' });
      expect(out.message).toContain(message);
      expect(proxy.conformance().byRule[`model:${kind}`]).toBe(before + 1);
    });

    it('range (ELBv2, query): a rule priority of 0 is a ValidationError', async () => {
      const err = await elbv2
        .send(
          new CreateRuleCommand({
            ListenerArn: listenerArn,
            Priority: 0,
            Conditions: [{ Field: 'host-header', HostHeaderConfig: { Values: ['a.test'] } }],
            Actions: [{ Type: 'fixed-response', FixedResponseConfig: { StatusCode: '404' } }],
          }),
        )
        .catch(refusal);
      expect(err).toEqual({
        name: 'ValidationError',
        message:
          "1 validation error detected: Value '0' at 'Priority' failed to satisfy constraint: Member must have value greater than or equal to 1",
      });
    });

    it('length (ELBv2, query): an empty tag list, as the SDK sends it (`Tags=`), is refused', async () => {
      const err = await elbv2
        .send(
          new CreateTargetGroupCommand({
            Name: 'no-tags',
            Protocol: 'HTTP',
            Port: 80,
            VpcId: vpcId,
            TargetType: 'ip',
            Tags: [],
          }),
        )
        .catch(refusal);
      expect(err).toMatchObject({
        name: 'ValidationError',
        message: expect.stringContaining(
          "at 'Tags' failed to satisfy constraint: Member must have length greater than or equal to 1",
        ),
      });
    });

    it('pattern (IAM, query): a role name with a space', async () => {
      const err = await clients.iam
        .send(new CreateRoleCommand({ RoleName: 'my role', AssumeRolePolicyDocument: '{}' }))
        .catch(refusal);
      expect(err).toMatchObject({
        name: 'ValidationError',
        message: expect.stringContaining(
          "at 'RoleName' failed to satisfy constraint: Member must satisfy regular expression pattern",
        ),
      });
    });

    it('range (Route 53, REST-XML): a record weight above 255 is InvalidInput', async () => {
      const zone = (await createActivities(clients).findHostedZone({ name: demoAccount.hostedZone }))!;
      const err = await clients.route53
        .send(
          new ChangeResourceRecordSetsCommand({
            HostedZoneId: zone.id,
            ChangeBatch: {
              Changes: [
                {
                  Action: 'UPSERT',
                  ResourceRecordSet: {
                    Name: `w.${demoAccount.hostedZone}`,
                    Type: 'CNAME',
                    TTL: 60,
                    SetIdentifier: 'a',
                    Weight: 300,
                    ResourceRecords: [{ Value: 'x.test' }],
                  },
                },
              ],
            },
          }),
        )
        .catch(refusal);
      expect(err).toMatchObject({
        name: 'InvalidInput',
        message: expect.stringContaining('Member must have value less than or equal to 255'),
      });
    });
  });

  /** Past the moment a service just created is MISSING from DescribeServices. */
  const visible = () => new Promise((r) => setTimeout(r, awsDelaysMs.serviceVisible * timeScale + 50));

  describe('documented rules moto skips', () => {
    it('CreateService: the target group must already be attached to a load balancer (then it is accepted)', async () => {
      const taskDefinition = await fargateRevision('attach');
      const group = await targetGroup('attach-1');
      const err = await ecs.send(service('attach-1', taskDefinition, group)).catch(refusal);
      expect(err).toEqual({
        name: 'InvalidParameterException',
        message: `The target group with targetGroupArn ${group} does not have an associated load balancer.`,
      });
      await attach(group, 'attach.test', 10);
      await expect(ecs.send(service('attach-1', taskDefinition, group))).resolves.toBeDefined();
    });

    it('CreateService: an instance target group cannot take awsvpc tasks', async () => {
      const taskDefinition = await fargateRevision('ttype');
      const group = await targetGroup('ttype-1', 'instance');
      await attach(group, 'ttype.test', 11);
      const err = await ecs.send(service('ttype-1', taskDefinition, group)).catch(refusal);
      expect(err).toEqual({
        name: 'InvalidParameterException',
        message: `The provided target group ${group} has target type instance, which is incompatible with the awsvpc network mode specified in the task definition.`,
      });
    });

    it('CreateService: an ip target group cannot take bridge tasks', async () => {
      const bridge = await bridgeRevision('ttype-bridge');
      const group = await targetGroup('ttype-2', 'ip');
      await attach(group, 'ttype2.test', 19);
      const err = await ecs
        .send(service('ttype-2', bridge, group, { launchType: 'EC2', networkConfiguration: undefined }))
        .catch(refusal);
      expect(err).toEqual({
        name: 'InvalidParameterException',
        message: `The provided target group ${group} has target type ip, which is incompatible with the bridge network mode specified in the task definition.`,
      });
    });

    it('CreateService: FARGATE needs a task definition that requires it, and awsvpc needs a network configuration', async () => {
      const ec2Only = (
        await ecs.send(
          new RegisterTaskDefinitionCommand({
            family: 'ec2only',
            containerDefinitions: [{ name: 'web', image: 'nginx:1', memory: 128 }],
          }),
        )
      ).taskDefinition!.taskDefinitionArn!;
      expect(await ecs.send(service('lt-1', ec2Only)).catch(refusal)).toEqual({
        name: 'InvalidParameterException',
        message: 'Task definition does not support launch_type FARGATE.',
      });
      const fargate = await fargateRevision('nonet');
      expect(
        await ecs.send(service('nonet-1', fargate, undefined, { networkConfiguration: undefined })).catch(refusal),
      ).toEqual({
        name: 'InvalidParameterException',
        message: "Network Configuration must be provided when networkMode 'awsvpc' is specified.",
      });
    });

    it('EC2: tasks need a container instance; bridge tasks register as instances on dynamic ports; no public IP', async () => {
      const bridge = await bridgeRevision('bridge');
      const group = await targetGroup('bridge-1', 'instance');
      await attach(group, 'bridge.test', 16);
      await ecs.send(service('bridge-1', bridge, group, { launchType: 'EC2', networkConfiguration: undefined }));
      await visible();
      const described = async () =>
        (await ecs.send(new DescribeServicesCommand({ cluster: demoAccount.cluster, services: ['bridge-1'] })))
          .services![0];
      const unplaced = await described();
      expect(unplaced.runningCount).toBe(0);
      expect(unplaced.events?.[0].message).toBe(
        'service bridge-1 was unable to place a task because no container instance met all of its requirements. Reason: No Container Instances were found in your cluster.',
      );

      const instances = await addContainerInstances(clients, demoAccount.cluster, 2);
      expect((await described()).runningCount).toBe(2);
      await ecs.send(service('bridge-2', bridge, group, { launchType: 'EC2', networkConfiguration: undefined }));
      const health =
        (await elbv2.send(new DescribeTargetHealthCommand({ TargetGroupArn: group }))).TargetHealthDescriptions ?? [];
      expect(health.map((t) => t.Target!.Id).sort()).toEqual([...instances].sort());
      expect(health.every((t) => t.Target!.Port! >= 32768)).toBe(true);

      const awsvpcOnEc2 = (
        await ecs.send(
          new RegisterTaskDefinitionCommand({
            family: 'ec2vpc',
            requiresCompatibilities: ['EC2'],
            networkMode: 'awsvpc',
            containerDefinitions: [{ name: 'web', image: 'nginx:1', memory: 128 }],
          }),
        )
      ).taskDefinition!.taskDefinitionArn!;
      expect(
        await ecs
          .send(
            service('ec2vpc-1', awsvpcOnEc2, undefined, {
              launchType: 'EC2',
              networkConfiguration: { awsvpcConfiguration: { subnets, securityGroups: [], assignPublicIp: 'ENABLED' } },
            }),
          )
          .catch(refusal),
      ).toEqual({
        name: 'InvalidParameterException',
        message: 'Assign public IP is not supported for this launch type.',
      });
    });

    it('RegisterTaskDefinition: Fargate needs awsvpc and a size it offers', async () => {
      expect(await fargateRevision('bridge', { networkMode: 'bridge' }).catch(refusal)).toEqual({
        name: 'ClientException',
        message: 'Fargate only supports network mode ‘awsvpc’.',
      });
      expect(await fargateRevision('size', { cpu: '256', memory: '4096' }).catch(refusal)).toEqual({
        name: 'ClientException',
        message: 'No Fargate configuration exists for given values.',
      });
    });

    it('CreateService: clientToken is at most 36 characters', async () => {
      const err = await ecs
        .send(service('token-1', await fargateRevision('token'), undefined, { clientToken: 'x'.repeat(37) }))
        .catch(refusal);
      expect(err).toMatchObject({
        name: 'InvalidParameterException',
        message: expect.stringContaining('clientToken: up to 36 ASCII characters'),
      });
    });

    it('DeleteService: the service drains before it is INACTIVE, and its name is not free until then', async () => {
      const taskDefinition = await fargateRevision('drain');
      await ecs.send(service('drain-1', taskDefinition));
      await ecs.send(new DeleteServiceCommand({ cluster: demoAccount.cluster, service: 'drain-1', force: true }));
      const status = async () =>
        (await ecs.send(new DescribeServicesCommand({ cluster: demoAccount.cluster, services: ['drain-1'] })))
          .services![0].status;
      expect(await status()).toBe('DRAINING');
      expect(await ecs.send(service('drain-1', taskDefinition)).catch(refusal)).toEqual({
        name: 'InvalidParameterException',
        message: 'Unable to Start a service that is still Draining.',
      });
      expect(
        await ecs
          .send(new DeleteServiceCommand({ cluster: demoAccount.cluster, service: 'drain-1', force: true }))
          .catch(refusal),
      ).toMatchObject({ name: 'ServiceNotActiveException' });
      await new Promise((r) => setTimeout(r, awsDelaysMs.serviceDraining * timeScale + 100));
      expect(await status()).toBe('INACTIVE');
      await expect(ecs.send(service('drain-1', taskDefinition))).resolves.toBeDefined();
    });

    it('CreateService: a service just created is MISSING from DescribeServices for a moment; a repeat with its clientToken is the same request', async () => {
      const taskDefinition = await fargateRevision('visible');
      const created = (
        await ecs.send(service('visible-1', taskDefinition, undefined, { clientToken: 'token-visible-1' }))
      ).service!;
      const described = await ecs.send(
        new DescribeServicesCommand({ cluster: demoAccount.cluster, services: ['visible-1'] }),
      );
      expect(described.services).toEqual([]);
      expect(described.failures).toEqual([{ arn: created.serviceArn, reason: 'MISSING' }]);
      // The same request again (a retry after a lost answer): the same service, nothing created.
      const again = (
        await ecs.send(service('visible-1', taskDefinition, undefined, { clientToken: 'token-visible-1' }))
      ).service!;
      expect(again).toMatchObject({ serviceArn: created.serviceArn, serviceName: 'visible-1', status: 'ACTIVE' });
      // Another request for the same name is not.
      expect(
        await ecs.send(service('visible-1', taskDefinition, undefined, { clientToken: 'token-other' })).catch(refusal),
      ).toEqual({ name: 'InvalidParameterException', message: 'Creation of service was not idempotent.' });
      await new Promise((r) => setTimeout(r, awsDelaysMs.serviceVisible * timeScale + 100));
      expect(
        (
          await ecs.send(new DescribeServicesCommand({ cluster: demoAccount.cluster, services: ['visible-1'] }))
        ).services?.map((x) => x.serviceArn),
      ).toEqual([created.serviceArn]);
    });

    it("IAM: a role just created is not usable yet: the service's tasks cannot start until it has propagated", async () => {
      // On a proxy of its own at 0.3 of AWS's delays (3 s of propagation), so the steps before the first
      // look fit well inside it, even on a loaded machine (at 0.1, 1 s, they did not beside two other runs).
      // Throttling off, as for the file's other tests (see beforeAll).
      const scale = 0.3;
      const slower = await strictProxy({ throttling: false, timeScale: scale });
      try {
        const group = await targetGroup('fresh-1');
        await attach(group, 'fresh.test', 15);
        const trust = {
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Principal: { Service: 'ecs-tasks.amazonaws.com' }, Action: 'sts:AssumeRole' }],
        };
        const role = (
          await slower.clients.iam.send(
            new CreateRoleCommand({ RoleName: 'fresh-execution', AssumeRolePolicyDocument: JSON.stringify(trust) }),
          )
        ).Role!;
        const registered = await slower.clients.ecs.send(
          new RegisterTaskDefinitionCommand({
            family: 'fresh',
            requiresCompatibilities: ['FARGATE'],
            networkMode: 'awsvpc',
            cpu: '256',
            memory: '512',
            executionRoleArn: role.Arn,
            containerDefinitions: [{ name: 'web', image: 'nginx:1' }],
          }),
        );
        await slower.clients.ecs.send(service('fresh-1', registered.taskDefinition!.taskDefinitionArn!, group));
        const described = async () =>
          (
            await slower.clients.ecs.send(
              new DescribeServicesCommand({ cluster: demoAccount.cluster, services: ['fresh-1'] }),
            )
          ).services![0];
        await new Promise((r) => setTimeout(r, awsDelaysMs.serviceVisible * scale + 50));
        const early = await described();
        expect(early.runningCount).toBe(0);
        expect(early.events?.[0].message).toContain(
          `ECS was unable to assume the role '${role.Arn}' that was provided for this task`,
        );
        // AWS accepted the call, but the tasks failed to start: counted (each counts towards the circuit breaker).
        expect(slower.proxy.conformance()).toMatchObject({ violations: 0, failedTaskLaunches: 1 });
        expect(slower.proxy.conformance().recentFailedTaskLaunches[0]).toMatchObject({
          operation: 'ECS.CreateService',
          rule: 'iam:propagation',
        });
        expect(slower.proxy.conformance().recentFailedTaskLaunches[0].message).toContain(`before it propagated`);
        await new Promise((r) => setTimeout(r, awsDelaysMs.iamPropagation * scale));
        expect((await described()).runningCount).toBe(2);
        // Once it has propagated, a service started with it fails nothing.
        const later = await targetGroup('fresh-2');
        await attach(later, 'fresh2.test', 18);
        await slower.clients.ecs.send(service('fresh-2', registered.taskDefinition!.taskDefinitionArn!, later));
        expect(slower.proxy.conformance().failedTaskLaunches).toBe(1);
      } finally {
        destroyAwsClients(slower.clients);
        await slower.proxy.close();
      }
    });

    it('ECS: tasks whose execution role may not read the secrets they reference do not start (ResourceInitializationError)', async () => {
      const secret = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:reader/db-AbC123';
      const parameter = 'arn:aws:ssm:us-east-1:123456789012:parameter/reader/flags';
      const trust = JSON.stringify({
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Principal: { Service: 'ecs-tasks.amazonaws.com' }, Action: 'sts:AssumeRole' }],
      });
      const { iam } = clients;
      const refusedBefore = proxy.conformance().violations;
      const launches = () =>
        proxy.conformance().recentFailedTaskLaunches.filter((l) => l.rule === 'ecs-execution-role-reads-secrets');
      const revisionReading = async (family: string, roleArn: string) =>
        fargateRevision(family, {
          executionRoleArn: roleArn,
          containerDefinitions: [
            {
              name: 'web',
              image: 'nginx:1',
              secrets: [
                { name: 'DB', valueFrom: `${secret}:password::` },
                { name: 'FLAGS', valueFrom: parameter },
              ],
            },
          ],
        });
      const role = (
        await iam.send(new CreateRoleCommand({ RoleName: 'reader-execution', AssumeRolePolicyDocument: trust }))
      ).Role!;
      const unreadable = await revisionReading('reader', role.Arn!);
      await ecs.send(service('reader-1', unreadable, await attachedGroup('reader-1', 21)));
      expect(launches()).toHaveLength(1);
      expect(launches()[0]).toMatchObject({ operation: 'ECS.CreateService' });
      expect(launches()[0].message).toContain(
        `may not secretsmanager:GetSecretValue ${secret}, ssm:GetParameters ${parameter}`,
      );

      // Granted exactly those (the policy Switchyard writes): they start.
      await iam.send(
        new PutRolePolicyCommand({
          RoleName: 'reader-execution',
          PolicyName: 'reads',
          PolicyDocument: JSON.stringify(secretReadsPolicy([secret, parameter])),
        }),
      );
      await ecs.send(service('reader-2', unreadable, await attachedGroup('reader-2', 22)));
      expect(launches()).toHaveLength(1);

      // The same grant on a role whose boundary allows no secret reads: they do not.
      const boundary = (
        await iam.send(
          new CreatePolicyCommand({
            PolicyName: 'logs-only',
            PolicyDocument: JSON.stringify({
              Version: '2012-10-17',
              Statement: [{ Effect: 'Allow', Action: 'logs:*', Resource: '*' }],
            }),
          }),
        )
      ).Policy!.Arn!;
      const bounded = (
        await iam.send(
          new CreateRoleCommand({
            RoleName: 'bounded-execution',
            AssumeRolePolicyDocument: trust,
            PermissionsBoundary: boundary,
          }),
        )
      ).Role!;
      await iam.send(
        new PutRolePolicyCommand({
          RoleName: 'bounded-execution',
          PolicyName: 'reads',
          PolicyDocument: JSON.stringify(secretReadsPolicy([secret, parameter])),
        }),
      );
      await ecs.send(
        service('reader-3', await revisionReading('bounded', bounded.Arn!), await attachedGroup('reader-3', 23)),
      );
      expect(launches()).toHaveLength(2);
      // Accepted calls, all of them: only the launches fail.
      expect(proxy.conformance().violations).toBe(refusedBefore);
    });

    it('CreateService whose answer is lost (a dropped connection): the retry with its clientToken is the same request, and its tasks run', async () => {
      const taskDefinition = await fargateRevision('dropped');
      const group = await targetGroup('dropped-1');
      await attach(group, 'dropped.test', 17);
      const scenario = (body: BehaviourScenarioJson) => new EmulatorControl(proxy.endpoint).setScenario(body);
      // Refusals are counted for the whole file (other tests provoke this one on purpose): none may be added here.
      const refusedBefore = proxy.conformance().byRule['ecs-service-exists'] ?? 0;
      // Every CreateService's connection drops after moto did the work; the SDK retries a lost answer
      // itself, and the retry (the same clientToken) is answered with the service the first one created.
      await scenario({ faults: { rate: 1, kinds: ['drop'], operations: '^ECS\\.CreateService$' } });
      const created = (
        await ecs
          .send(service('dropped-1', taskDefinition, group, { clientToken: 'token-dropped-1' }))
          .finally(() => scenario({}))
      ).service!;
      expect(proxy.stats.faults.drop).toBeGreaterThanOrEqual(1);
      expect(created).toMatchObject({ serviceName: 'dropped-1', status: 'ACTIVE' });
      expect(
        ((await elbv2.send(new DescribeTargetHealthCommand({ TargetGroupArn: group }))).TargetHealthDescriptions ?? [])
          .length,
      ).toBe(2);
      expect(proxy.conformance().byRule['ecs-service-exists'] ?? 0).toBe(refusedBefore);
    });

    it('DeleteService whose answer is lost: AWS refuses the retry (not ACTIVE), counted as a refused retry, not a violation', async () => {
      const taskDefinition = await fargateRevision('lost');
      await ecs.send(service('lost-1', taskDefinition));
      const scenario = (body: BehaviourScenarioJson) => new EmulatorControl(proxy.endpoint).setScenario(body);
      const before = proxy.conformance();
      await scenario({ faults: { rate: 1, kinds: ['drop'], operations: '^ECS\\.DeleteService$' } });
      const answer = await ecs
        .send(new DeleteServiceCommand({ cluster: demoAccount.cluster, service: 'lost-1', force: true }))
        .catch(refusal)
        .finally(() => scenario({}));
      expect(answer).toMatchObject({ name: 'ServiceNotActiveException' });
      const after = proxy.conformance();
      expect([after.retriesRefused, after.violations]).toEqual([before.retriesRefused + 1, before.violations]);
      // The same repeat without a lost answer is the caller's mistake.
      expect(
        await ecs
          .send(new DeleteServiceCommand({ cluster: demoAccount.cluster, service: 'lost-1', force: true }))
          .catch(refusal),
      ).toMatchObject({ name: 'ServiceNotActiveException' });
      expect(proxy.conformance().violations).toBe(before.violations + 1);
    });

    it('Route 53: a change is PENDING, then INSYNC once it has propagated', async () => {
      const zone = (await createActivities(clients).findHostedZone({ name: demoAccount.hostedZone }))!;
      const change = await clients.route53.send(
        new ChangeResourceRecordSetsCommand({
          HostedZoneId: zone.id,
          ChangeBatch: {
            Changes: [
              {
                Action: 'UPSERT',
                ResourceRecordSet: {
                  Name: `p.${demoAccount.hostedZone}`,
                  Type: 'CNAME',
                  TTL: 60,
                  ResourceRecords: [{ Value: 'x.test' }],
                },
              },
            ],
          },
        }),
      );
      expect(change.ChangeInfo!.Status).toBe('PENDING');
      const status = async () =>
        (await clients.route53.send(new GetChangeCommand({ Id: change.ChangeInfo!.Id }))).ChangeInfo!.Status;
      expect(await status()).toBe('PENDING');
      await new Promise((r) => setTimeout(r, awsDelaysMs.route53InSync * timeScale + 100));
      expect(await status()).toBe('INSYNC');
    });

    it('Route 53: a CNAME shares its name with no other record; replacing one deletes it in the same batch', async () => {
      const zone = (await createActivities(clients).findHostedZone({ name: demoAccount.hostedZone }))!;
      const name = `cname.${demoAccount.hostedZone}.`;
      const cname = { Name: name, Type: 'CNAME' as const, TTL: 60, ResourceRecords: [{ Value: 'old.example.net' }] };
      const a = { Name: name, Type: 'A' as const, TTL: 60, ResourceRecords: [{ Value: '192.0.2.10' }] };
      const batch = (
        ...changes: { Action: 'CREATE' | 'DELETE' | 'UPSERT'; ResourceRecordSet: typeof a | typeof cname }[]
      ) =>
        clients.route53.send(
          new ChangeResourceRecordSetsCommand({ HostedZoneId: zone.id, ChangeBatch: { Changes: changes } }),
        );
      await batch({ Action: 'CREATE', ResourceRecordSet: cname });
      expect(await batch({ Action: 'UPSERT', ResourceRecordSet: a }).catch(refusal)).toEqual({
        name: 'InvalidChangeBatch',
        message: `RRSet of type A with DNS name ${name} is not permitted because a conflicting RRSet of type  CNAME with the same DNS name already exists in zone ${demoAccount.hostedZone}.`,
      });
      await batch({ Action: 'DELETE', ResourceRecordSet: cname }, { Action: 'CREATE', ResourceRecordSet: a });
      expect(await batch({ Action: 'CREATE', ResourceRecordSet: cname }).catch(refusal)).toEqual({
        name: 'InvalidChangeBatch',
        message: `RRSet of type CNAME with DNS name ${name} is not permitted as it conflicts with other records with the same DNS name in zone ${demoAccount.hostedZone}.`,
      });
    });

    it('target health: initial for healthy threshold × interval, then healthy', async () => {
      const group = await targetGroup('health-1');
      await attach(group, 'health.test', 12);
      await ecs.send(service('health-1', await fargateRevision('health'), group));
      const states = async () =>
        (
          (await elbv2.send(new DescribeTargetHealthCommand({ TargetGroupArn: group }))).TargetHealthDescriptions ?? []
        ).map((t) => t.TargetHealth!.State);
      expect(await states()).toEqual(['initial', 'initial']);
      await new Promise((r) => setTimeout(r, 10 * 3 * 1000 * timeScale + 100));
      expect(await states()).toEqual(['healthy', 'healthy']);
    });

    it("target health: a deleted service's targets drain for the group's deregistration delay, then are gone", async () => {
      const group = await targetGroup('dereg-1');
      // 3600 s is AWS's maximum, which moto refuses (range(0, 3600)): the layer bridges it. Then 200 s.
      await elbv2.send(
        new ModifyTargetGroupAttributesCommand({
          TargetGroupArn: group,
          Attributes: [{ Key: 'deregistration_delay.timeout_seconds', Value: '3600' }],
        }),
      );
      await elbv2.send(
        new ModifyTargetGroupAttributesCommand({
          TargetGroupArn: group,
          Attributes: [{ Key: 'deregistration_delay.timeout_seconds', Value: '200' }],
        }),
      );
      expect(
        await elbv2
          .send(
            new ModifyTargetGroupAttributesCommand({
              TargetGroupArn: group,
              Attributes: [{ Key: 'deregistration_delay.timeout_seconds', Value: '3601' }],
            }),
          )
          .catch(refusal),
      ).toEqual({
        name: 'ValidationError',
        message: "'deregistration_delay.timeout_seconds' value '3601' must be between '0-3600' inclusive",
      });
      await attach(group, 'dereg.test', 13);
      await ecs.send(service('dereg-1', await fargateRevision('dereg'), group, { healthCheckGracePeriodSeconds: 60 }));
      const states = async () =>
        (
          (await elbv2.send(new DescribeTargetHealthCommand({ TargetGroupArn: group }))).TargetHealthDescriptions ?? []
        ).map((t) => t.TargetHealth!.State);
      await new Promise((r) => setTimeout(r, 10 * 3 * 1000 * timeScale + 100));
      expect(await states()).toEqual(['healthy', 'healthy']);
      await ecs.send(new DeleteServiceCommand({ cluster: demoAccount.cluster, service: 'dereg-1', force: true }));
      expect(await states()).toEqual(['draining', 'draining']);
      await new Promise((r) => setTimeout(r, 200 * 1000 * timeScale + 200));
      expect(await states()).toEqual([]);
    });

    it('CreateService: a grace period needs a load balancer; moto forgets it and the strategy, DescribeServices shows them', async () => {
      const taskDefinition = await fargateRevision('grace');
      expect(
        await ecs
          .send(service('grace-0', taskDefinition, undefined, { healthCheckGracePeriodSeconds: 30 }))
          .catch(refusal),
      ).toEqual({
        name: 'InvalidParameterException',
        message: 'Health check grace period is only valid for services configured to use load balancers',
      });
      const group = await targetGroup('grace-1');
      await attach(group, 'grace.test', 14);
      await ecs.send(service('grace-1', taskDefinition, group, { healthCheckGracePeriodSeconds: 45 }));
      await visible();
      const described = (
        await ecs.send(new DescribeServicesCommand({ cluster: demoAccount.cluster, services: ['grace-1'] }))
      ).services![0];
      expect(described.healthCheckGracePeriodSeconds).toBe(45);
    });

    it('CreateService: a capacity provider strategy without a launch type, each provider associated with the cluster', async () => {
      const taskDefinition = await fargateRevision('cps');
      const spot = { capacityProviderStrategy: [{ capacityProvider: 'FARGATE_SPOT', weight: 1 }] };
      expect(await ecs.send(service('cps-1', taskDefinition, undefined, spot)).catch(refusal)).toEqual({
        name: 'InvalidParameterException',
        message:
          'Specifying both a launch type and capacity provider strategy is not supported. Remove one and try again.',
      });
      const cluster = 'cps-cluster';
      await ecs.send(new CreateClusterCommand({ clusterName: cluster }));
      const onCluster = { cluster, launchType: undefined, ...spot };
      expect(await ecs.send(service('cps-1', taskDefinition, undefined, onCluster)).catch(refusal)).toMatchObject({
        name: 'InvalidParameterException',
        message: expect.stringContaining('cannot contain a capacity provider that is not associated with the cluster'),
      });
      await ecs.send(
        new PutClusterCapacityProvidersCommand({
          cluster,
          capacityProviders: ['FARGATE', 'FARGATE_SPOT'],
          defaultCapacityProviderStrategy: [],
        }),
      );
      await ecs.send(service('cps-1', taskDefinition, undefined, onCluster));
      await visible();
      const described = (await ecs.send(new DescribeServicesCommand({ cluster, services: ['cps-1'] }))).services![0];
      expect(described.capacityProviderStrategy).toEqual([{ capacityProvider: 'FARGATE_SPOT', weight: 1 }]);
      // Fargate's providers need a task definition that requires FARGATE.
      const ec2Only = (
        await ecs.send(
          new RegisterTaskDefinitionCommand({
            family: 'cps-ec2',
            containerDefinitions: [{ name: 'web', image: 'nginx:1', memory: 128 }],
          }),
        )
      ).taskDefinition!.taskDefinitionArn!;
      expect(
        await ecs
          .send(service('cps-2', ec2Only, undefined, { ...onCluster, networkConfiguration: undefined }))
          .catch(refusal),
      ).toEqual({
        name: 'InvalidParameterException',
        message: 'Task definition does not support launch_type FARGATE.',
      });
    });

    it('ALB: at most 5 target groups in a forward action, weights 0-999, 5 condition values per rule', async () => {
      const groups = await Promise.all([1, 2, 3, 4, 5, 6].map((i) => targetGroup(`fwd-${i}`)));
      const rule = (targets: { TargetGroupArn: string; Weight: number }[], hosts = ['fwd.test']) =>
        elbv2
          .send(
            new CreateRuleCommand({
              ListenerArn: listenerArn,
              Priority: 20,
              Conditions: [{ Field: 'host-header', HostHeaderConfig: { Values: hosts } }],
              Actions: [{ Type: 'forward', ForwardConfig: { TargetGroups: targets } }],
            }),
          )
          .catch(refusal);
      expect(await rule(groups.map((g) => ({ TargetGroupArn: g, Weight: 1 })))).toEqual({
        name: 'ValidationError',
        message: 'A forward action can have at most 5 target groups; 6 were given.',
      });
      expect(await rule([{ TargetGroupArn: groups[0], Weight: 1000 }])).toEqual({
        name: 'ValidationError',
        message: 'Target group weight 1000 is not valid: the range is 0 to 999.',
      });
      expect(
        await rule(
          [{ TargetGroupArn: groups[0], Weight: 1 }],
          ['a.test', 'b.test', 'c.test', 'd.test', 'e.test', 'f.test'],
        ),
      ).toEqual({ name: 'ValidationError', message: 'A rule can have at most 5 condition values; 6 were given.' });
    });

    it('ALB: 100 rules per load balancer, 100 unique target groups per load balancer', async () => {
      const groups: string[] = [];
      const rules: string[] = [];
      for (let i = 0; i < 100; i++) {
        groups.push(await targetGroup(`q-${i}`));
        rules.push(await attach(groups[i], `q${i}.test`, 100 + i));
      }
      const more = await targetGroup('q-100');
      expect(await attach(more, 'q100.test', 300).catch(refusal)).toEqual({
        name: 'TooManyRulesException',
        message: "You've reached the limit on the number of rules per load balancer.",
      });
      const err = await elbv2
        .send(
          new ModifyRuleCommand({
            RuleArn: rules[0],
            Actions: [
              {
                Type: 'forward',
                ForwardConfig: {
                  TargetGroups: [
                    { TargetGroupArn: groups[0], Weight: 1 },
                    { TargetGroupArn: more, Weight: 1 },
                  ],
                },
              },
            ],
          }),
        )
        .catch(refusal);
      expect(err).toMatchObject({ name: 'TooManyUniqueTargetGroupsPerLoadBalancerException' });
    }, 120_000);

    it('DescribeTags: at most 20 resources a call', async () => {
      const arns = Array.from(
        { length: 21 },
        (_, i) => `arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/t${i}/0000000000000000`,
      );
      expect(await elbv2.send(new DescribeTagsCommand({ ResourceArns: arns })).catch(refusal)).toEqual({
        name: 'ValidationError',
        message: 'You can specify up to 20 resources in a single call; 21 were given.',
      });
    });

    it('a violation is counted by rule and outlives a reset', async () => {
      const before = proxy.conformance();
      await elbv2
        .send(new DescribeTagsCommand({ ResourceArns: Array.from({ length: 21 }, (_, i) => `arn:${i}`) }))
        .catch(() => undefined);
      proxy.reset();
      const after = proxy.conformance();
      expect(after.violations).toBe(before.violations + 1);
      expect(after.byRule['elbv2-describe-tags-20']).toBe((before.byRule['elbv2-describe-tags-20'] ?? 0) + 1);
      expect(after.recent.at(-1)).toMatchObject({ operation: 'ELBv2.DescribeTags', rule: 'elbv2-describe-tags-20' });
    });
  });

  it('the product: a service created before its target group is attached fails with AWS’s message', async () => {
    const aws = createActivities(clients);
    const group = await targetGroup('product-1');
    const taskDefinitionArn = await fargateRevision('product');
    const err = await aws
      .createService({
        cluster: demoAccount.cluster,
        name: 'product-1',
        taskDefinitionArn,
        targetGroupArn: group,
        containerName: 'web',
        containerPort: 80,
        desiredCount: 1,
        network: { subnets, securityGroups: [], assignPublicIp: false },
        launch: { launchType: 'FARGATE', networkMode: 'awsvpc', targetType: 'ip' },
        tags: [],
      })
      .catch((e: Error) => e);
    expect(err).toMatchObject({
      message: expect.stringContaining(
        `The target group with targetGroupArn ${group} does not have an associated load balancer.`,
      ),
      nonRetryable: true,
    });
  });
});

describe('the published rate limits', () => {
  it('a burst beyond the ELB account bucket (40, then 10 a second) is throttled in the query shape, and counted apart from violations', async () => {
    const { proxy, clients } = await strictProxy();
    try {
      // 120 at once: beyond the 40 of the bucket even if they take seconds to pass (10 a second come back).
      const results = await Promise.all(
        Array.from({ length: 120 }, () =>
          clients.elbv2.send(new DescribeLoadBalancersCommand({})).then(
            () => 'ok',
            (e: Error) => e.name,
          ),
        ),
      );
      const throttled = results.filter((r) => r === 'Throttling').length;
      expect(results.filter((r) => r === 'ok').length).toBeGreaterThanOrEqual(40);
      expect(throttled).toBeGreaterThan(0);
      expect(throttled + results.filter((r) => r === 'ok').length).toBe(120);
      const report = proxy.conformance();
      expect(report.throttled['ELBv2 non-mutating'] ?? report.throttled['ELB account']).toBeGreaterThan(0);
      expect(report.violations).toBe(0);
    } finally {
      destroyAwsClients(clients);
      await proxy.close();
    }
  });

  it("a burst beyond ECS's cluster read bucket (50, then 20 a second) is a ThrottlingException in the JSON shape", async () => {
    const { proxy, clients } = await strictProxy();
    try {
      const results = await Promise.all(
        Array.from({ length: 150 }, () =>
          clients.ecs.send(new DescribeClustersCommand({ clusters: [demoAccount.cluster] })).then(
            () => 'ok',
            (e: Error & { $metadata?: { httpStatusCode?: number } }) => `${e.name} ${e.$metadata?.httpStatusCode}`,
          ),
        ),
      );
      const ok = results.filter((r) => r === 'ok').length;
      expect(ok).toBeGreaterThanOrEqual(50);
      expect(results.filter((r) => r !== 'ok')).toEqual(Array(150 - ok).fill('ThrottlingException 400'));
      expect(ok).toBeLessThan(150);
      // Counted per attempt: the SDK's own retries of a throttled call are refused too.
      expect(proxy.conformance().throttled['ECS cluster read']).toBeGreaterThanOrEqual(150 - ok);
    } finally {
      destroyAwsClients(clients);
      await proxy.close();
    }
  });

  it("a burst beyond Route 53's bucket (50, then 10 a second) is Throttling in its XML shape", async () => {
    const { proxy, clients } = await strictProxy();
    try {
      const results = await Promise.all(
        Array.from({ length: 150 }, () =>
          clients.route53.send(new ListHostedZonesCommand({})).then(
            () => 'ok',
            (e: Error & { $metadata?: { httpStatusCode?: number } }) => `${e.name} ${e.$metadata?.httpStatusCode}`,
          ),
        ),
      );
      const ok = results.filter((r) => r === 'ok').length;
      expect(ok).toBeGreaterThanOrEqual(50);
      expect(results.filter((r) => r !== 'ok')).toEqual(Array(150 - ok).fill('Throttling 400'));
      expect(ok).toBeLessThan(150);
      const { throttled } = proxy.conformance();
      expect((throttled['Route 53 per action'] ?? 0) + (throttled['Route 53 account'] ?? 0)).toBeGreaterThanOrEqual(
        150 - ok,
      );
    } finally {
      destroyAwsClients(clients);
      await proxy.close();
    }
  });
});
