// An ECS service set up for CodeDeploy the way AWS's guides and common Terraform setups do it: the
// CODE_DEPLOY deployment controller, two target groups, a production and a test listener, and a CodeDeploy
// application and deployment group; with readers for what each listener forwards and the task sets.
import {
  CreateApplicationCommand,
  CreateDeploymentCommand,
  CreateDeploymentGroupCommand,
  type CodeDeployClient,
} from '@aws-sdk/client-codedeploy';
import { CreateServiceCommand, DescribeServicesCommand, RegisterTaskDefinitionCommand } from '@aws-sdk/client-ecs';
import {
  CreateListenerCommand,
  CreateTargetGroupCommand,
  DescribeListenersCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { createHash } from 'node:crypto';
import { createActivities } from '../../src/activities';
import { demoAccount } from '../../src/dev/demo';
import { waitUntilListed } from '../../src/dev/emulator/ec2-capacity';
import type { AccountClients } from '../../src/dev/seed';

export interface CodeDeployGroupOptions {
  /** The ready wait holds traffic (STOP_DEPLOYMENT) this long; absent: it continues on its own. */
  readyWaitMinutes?: number;
  config?: string;
  rollbackOn?: string[];
  terminationWaitMinutes?: number;
}

/** The task definition every revision of the fixture's service has, with the image as given. */
export const codeDeployTaskDefinition = (family: string, image: string) => ({
  family,
  requiresCompatibilities: ['FARGATE'],
  networkMode: 'awsvpc',
  cpu: '256',
  memory: '512',
  containerDefinitions: [{ name: 'web', image, portMappings: [{ containerPort: 80 }] }],
});

let listenerPorts = 0;

/** A CODE_DEPLOY service `name` behind a production and a test listener, with its application and group. */
export async function createCodeDeployService(
  clients: AccountClients,
  codeDeploy: CodeDeployClient,
  name: string,
  group: CodeDeployGroupOptions,
) {
  const lb = (await createActivities(clients).findLoadBalancer({ loadBalancer: demoAccount.loadBalancer }))!;
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
  listenerPorts += 1;
  const production = await listener(9000 + listenerPorts * 2);
  const test = await listener(9001 + listenerPorts * 2);
  const revision = async (image: string) =>
    (await clients.ecs.send(new RegisterTaskDefinitionCommand(codeDeployTaskDefinition(name, image) as never)))
      .taskDefinition!.taskDefinitionArn!;
  const original = await revision('nginx:1');
  await clients.ecs.send(
    new CreateServiceCommand({
      cluster: demoAccount.cluster,
      serviceName: name,
      taskDefinition: original,
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
  /** A deployment started as a team would start one without Switchyard (the CLI, a pipeline). */
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
  /** What each listener forwards to: `{ blue: percent, green: percent }`. */
  const weights = async (listenerArn: string) => {
    const l = (await clients.elbv2.send(new DescribeListenersCommand({ ListenerArns: [listenerArn] }))).Listeners![0];
    const action = l.DefaultActions![0];
    const groups = action.ForwardConfig?.TargetGroups ?? [{ TargetGroupArn: action.TargetGroupArn, Weight: 1 }];
    const of = (arn: string) => groups.find((g) => g.TargetGroupArn === arn)?.Weight ?? 0;
    const total = groups.reduce((n, g) => n + (g.Weight ?? 0), 0) || 1;
    return { blue: Math.round((of(blue) * 100) / total), green: Math.round((of(green) * 100) / total) };
  };
  const describeTaskSets = async () =>
    (await clients.ecs.send(new DescribeServicesCommand({ cluster: demoAccount.cluster, services: [name] })))
      .services![0].taskSets!;
  /** The service's task sets: their status and target group. */
  const taskSets = async () =>
    (await describeTaskSets()).map((t) => ({ status: t.status, targetGroup: t.loadBalancers?.[0]?.targetGroupArn }));
  /** The revision each task set runs. */
  const revisions = async () => (await describeTaskSets()).map((t) => t.taskDefinition);
  return { name, blue, green, production, test, original, deploy, weights, taskSets, revisions, revision };
}
