// The ECS side of a live service: the service (it must be one Switchyard can put a blue/green deployment
// beside) and its task definition as a spec carries it inline.
import { describedOnlyTaskDefinitionFields } from '../../shared/deployment';
import {
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  type ECSClient,
  type Service,
  type TaskDefinition,
} from '@aws-sdk/client-ecs';
import { reading, refuse } from './aws-call';

export interface LiveEcsService {
  service: Service & { serviceName: string; clusterArn: string };
  /** The cluster's name (the Application Auto Scaling resource id needs it, not the ARN). */
  clusterName: string;
  loadBalancer: { targetGroupArn: string; containerName: string; containerPort: number };
  taskDefinition: Record<string, unknown>;
}

export async function readEcsService(ecs: ECSClient, cluster: string, name: string): Promise<LiveEcsService> {
  const out = await reading(`describe ECS service ${name} in cluster ${cluster}`, () =>
    ecs.send(new DescribeServicesCommand({ cluster, services: [name] })),
  );
  const service = out.services?.find((s) => s.serviceName === name);
  if (!service) {
    const reason = out.failures?.[0]?.reason ?? 'MISSING';
    refuse(
      `ECS has no service ${name} in cluster ${cluster} (${reason})`,
      'check the names: switchyard init CLUSTER/SERVICE, or --cluster C --service S',
    );
  }
  if (service.status !== 'ACTIVE') refuse(`ECS service ${name} is ${service.status}`, 'adopt an ACTIVE service');
  const controller = service.deploymentController?.type ?? 'ECS';
  if (controller !== 'ECS')
    refuse(
      `ECS service ${name} is deployed by its ${controller} deployment controller`,
      'Switchyard adopts services with the ECS controller; a CodeDeploy or external controller keeps deploying it, so leave that service with it',
    );
  if ((service.schedulingStrategy ?? 'REPLICA') !== 'REPLICA')
    refuse(
      `ECS service ${name} uses the ${service.schedulingStrategy} scheduling strategy`,
      'blue/green needs a REPLICA service (a DAEMON runs one task per instance, which no traffic shift can split)',
    );
  const entries = service.loadBalancers ?? [];
  const withTargetGroup = entries.filter((lb) => lb.targetGroupArn);
  if (entries.length !== 1 || withTargetGroup.length !== 1) {
    const found = entries.length
      ? entries.map((lb) => lb.targetGroupArn ?? `classic load balancer ${lb.loadBalancerName}`).join(', ')
      : 'none';
    refuse(
      `ECS service ${name} has ${entries.length} load balancer entries (${found})`,
      'Switchyard shifts the traffic of one target group behind an application load balancer: adopt a service with exactly one',
    );
  }
  const [lb] = withTargetGroup;
  if (!lb.containerName || lb.containerPort === undefined)
    refuse(`the load balancer entry of ECS service ${name} names no container and port`, 'fix the service');
  return {
    service: service as LiveEcsService['service'],
    clusterName: service.clusterArn!.split('/').pop()!,
    loadBalancer: {
      targetGroupArn: lb.targetGroupArn!,
      containerName: lb.containerName,
      containerPort: lb.containerPort,
    },
    taskDefinition: await readTaskDefinition(ecs, service.taskDefinition!),
  };
}

async function readTaskDefinition(ecs: ECSClient, arn: string): Promise<Record<string, unknown>> {
  const out = await reading(`describe task definition ${arn}`, () =>
    ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: arn })),
  );
  const taskDefinition: Partial<TaskDefinition> = { ...out.taskDefinition };
  for (const field of describedOnlyTaskDefinitionFields) delete taskDefinition[field];
  return withoutEmpty(taskDefinition) as Record<string, unknown>;
}

/** Without null or undefined members, at any depth (the SDK's and emulators' answers carry both). */
function withoutEmpty(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutEmpty);
  if (value === null || typeof value !== 'object' || value instanceof Date) return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([, v]) => v !== null && v !== undefined)
      .map(([k, v]) => [k, withoutEmpty(v)]),
  );
}
