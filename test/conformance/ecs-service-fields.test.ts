// The ECS service fields moto drops from CreateService, kept and shown as AWS shows them, and the rules
// on them the API model cannot express (src/dev/emulator/behaviours/ecs-service-fields.ts).
import {
  CreateServiceCommand,
  DescribeServicesCommand,
  RegisterTaskDefinitionCommand,
  UpdateServiceCommand,
  type CreateServiceCommandInput,
  type ECSClient,
} from '@aws-sdk/client-ecs';
import { createActivities } from '../../src/activities';
import { destroyAwsClients } from '../../src/aws/clients';
import { demoAccount } from '../../src/dev/demo';
import type { AwsBehaviourProxy } from '../../src/dev/emulator/server';
import { awsDelaysMs } from '../../src/dev/emulator/behaviours/conformance';
import { seedAccount, type AccountClients } from '../../src/dev/seed';
import { resetAws } from '../support/servers';
import { refusal, strictProxy, timeScale } from './strict-proxy';

const cluster = demoAccount.cluster;
const registry = 'arn:aws:servicediscovery:us-east-1:123456789012:service/srv-0123456789abcdef';

describe('ECS service fields, kept and checked as AWS does', () => {
  let proxy: AwsBehaviourProxy;
  let clients: AccountClients;
  let ecs: ECSClient;
  let subnets: string[];
  let fargate: string;
  let ec2: string;

  beforeAll(async () => {
    // Throttling off here: these tests provoke single refusals with one SDK attempt each (strictProxy), and a
    // rate-limit refusal in between would be a different answer; the rate limits have their own tests
    // (conformance.test.ts, 'the published rate limits'), and every other suite runs with them on.
    ({ proxy, clients } = await strictProxy({ throttling: false }));
    ({ ecs } = clients);
  });
  afterAll(async () => {
    destroyAwsClients(clients);
    await proxy.close();
  });
  beforeEach(async () => {
    await resetAws();
    await seedAccount(clients, demoAccount);
    subnets = (await createActivities(clients).findLoadBalancer({ loadBalancer: demoAccount.loadBalancer }))!.subnetIds;
    fargate = (
      await ecs.send(
        new RegisterTaskDefinitionCommand({
          family: 'fields',
          requiresCompatibilities: ['FARGATE'],
          networkMode: 'awsvpc',
          cpu: '256',
          memory: '512',
          containerDefinitions: [{ name: 'web', image: 'nginx:1' }],
        }),
      )
    ).taskDefinition!.taskDefinitionArn!;
    ec2 = (
      await ecs.send(
        new RegisterTaskDefinitionCommand({
          family: 'fields-ec2',
          requiresCompatibilities: ['EC2'],
          networkMode: 'bridge',
          containerDefinitions: [{ name: 'web', image: 'nginx:1', memory: 128 }],
        }),
      )
    ).taskDefinition!.taskDefinitionArn!;
  });

  const onFargate = (name: string, extra: Partial<CreateServiceCommandInput> = {}) =>
    ecs.send(
      new CreateServiceCommand({
        cluster,
        serviceName: name,
        taskDefinition: fargate,
        desiredCount: 1,
        launchType: 'FARGATE',
        networkConfiguration: { awsvpcConfiguration: { subnets, securityGroups: [], assignPublicIp: 'DISABLED' } },
        ...extra,
      }),
    );
  const onEc2 = (name: string, extra: Partial<CreateServiceCommandInput> = {}) =>
    ecs.send(
      new CreateServiceCommand({
        cluster,
        serviceName: name,
        taskDefinition: ec2,
        desiredCount: 1,
        launchType: 'EC2',
        ...extra,
      }),
    );
  const described = async (name: string) => {
    await new Promise((r) => setTimeout(r, awsDelaysMs.serviceVisible * timeScale + 50));
    return (await ecs.send(new DescribeServicesCommand({ cluster, services: [name] }))).services![0];
  };

  it('CreateService keeps the registry, execute command, deployment configuration and tag propagation; UpdateService changes what it names', async () => {
    await onFargate('keep-1', {
      serviceRegistries: [{ registryArn: registry, port: 80 }],
      enableExecuteCommand: true,
      propagateTags: 'SERVICE',
      deploymentConfiguration: { deploymentCircuitBreaker: { enable: true, rollback: true } },
    });
    expect(await described('keep-1')).toMatchObject({
      serviceRegistries: [{ registryArn: registry, port: 80 }],
      enableExecuteCommand: true,
      propagateTags: 'SERVICE',
      placementConstraints: [],
      placementStrategy: [],
      deploymentConfiguration: {
        deploymentCircuitBreaker: { enable: true, rollback: true },
        maximumPercent: 200,
        minimumHealthyPercent: 100,
      },
    });
    const updated = await ecs.send(
      new UpdateServiceCommand({ cluster, service: 'keep-1', deploymentConfiguration: { minimumHealthyPercent: 50 } }),
    );
    const expected = {
      deploymentCircuitBreaker: { enable: true, rollback: true },
      maximumPercent: 200,
      minimumHealthyPercent: 50,
    };
    expect(updated.service!.deploymentConfiguration).toEqual(expected);
    expect((await described('keep-1')).deploymentConfiguration).toEqual(expected);
    expect((await described('keep-1')).enableExecuteCommand).toBe(true);
  });

  it('placement: not on Fargate (create or update); at most 10 constraints and 5 strategies, each type with its field', async () => {
    expect(await onFargate('pf-1', { placementConstraints: [{ type: 'distinctInstance' }] }).catch(refusal)).toEqual({
      name: 'InvalidParameterException',
      message: 'Placement constraints are not supported with FARGATE launch type.',
    });
    expect(await onFargate('pf-1', { placementStrategy: [{ type: 'random' }] }).catch(refusal)).toEqual({
      name: 'InvalidParameterException',
      message: 'Placement strategies are not supported with FARGATE launch type.',
    });
    await onFargate('pf-1');
    expect(
      await ecs
        .send(
          new UpdateServiceCommand({
            cluster,
            service: 'pf-1',
            placementStrategy: [{ type: 'binpack', field: 'cpu' }],
          }),
        )
        .catch(refusal),
    ).toMatchObject({ message: 'Placement strategies are not supported with FARGATE launch type.' });

    const constraint = { type: 'memberOf' as const, expression: 'attribute:ecs.instance-type =~ t3.*' };
    expect(
      await onEc2('pe-1', { placementConstraints: Array.from({ length: 11 }, () => constraint) }).catch(refusal),
    ).toMatchObject({
      name: 'InvalidParameterException',
      message: expect.stringContaining('up to 10 placement constraints'),
    });
    expect(
      await onEc2('pe-1', { placementConstraints: [{ type: 'distinctInstance', expression: 'x' }] }).catch(refusal),
    ).toMatchObject({ message: 'A distinctInstance placement constraint cannot have an expression.' });
    expect(
      await onEc2('pe-1', { placementStrategy: Array.from({ length: 6 }, () => ({ type: 'random' as const })) }).catch(
        refusal,
      ),
    ).toMatchObject({ message: expect.stringContaining('maximum of 5 placement strategy rules') });
    expect(
      await onEc2('pe-1', { placementStrategy: [{ type: 'binpack', field: 'host' }] }).catch(refusal),
    ).toMatchObject({
      message: "The binpack placement strategy's field must be cpu or memory (got host).",
    });
    const placement = {
      placementConstraints: [constraint],
      placementStrategy: [
        { type: 'spread' as const, field: 'attribute:ecs.availability-zone' },
        { type: 'binpack' as const, field: 'memory' },
      ],
    };
    await onEc2('pe-1', placement);
    expect(await described('pe-1')).toMatchObject(placement);
  });

  it('serviceRegistries: one, with a port or a container name and port, not both; the circuit breaker only with the ECS controller', async () => {
    expect(
      await onFargate('sr-1', {
        serviceRegistries: [{ registryArn: registry }, { registryArn: `${registry}1` }],
      }).catch(refusal),
    ).toMatchObject({ name: 'InvalidParameterException', message: expect.stringContaining('one service registry') });
    expect(
      await onFargate('sr-1', {
        serviceRegistries: [{ registryArn: registry, port: 80, containerName: 'web', containerPort: 80 }],
      }).catch(refusal),
    ).toEqual({
      name: 'InvalidParameterException',
      message:
        "Specify a value for either 'port' or the 'containerName' and 'containerPort' combination, but not both. Remove one and retry.",
    });
    expect(
      await onFargate('cb-1', {
        deploymentController: { type: 'CODE_DEPLOY' },
        deploymentConfiguration: { deploymentCircuitBreaker: { enable: true, rollback: true } },
      }).catch(refusal),
    ).toMatchObject({ message: expect.stringContaining('only be used for services using the rolling update (ECS)') });
    await expect(
      onFargate('sr-1', { serviceRegistries: [{ registryArn: registry, containerName: 'web', containerPort: 80 }] }),
    ).resolves.toBeDefined();
  });
});
