import {
  CreateServiceCommand,
  DeleteServiceCommand,
  DeregisterTaskDefinitionCommand,
  DescribeClustersCommand,
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  RegisterTaskDefinitionCommand,
  UpdateServiceCommand,
  type ECSClient,
  type RegisterTaskDefinitionCommandInput,
  type Service,
} from '@aws-sdk/client-ecs';
import type { NetworkSpec, TaskDefinitionSpec } from '../shared/deployment';
import { tagKeys, type Tag } from '../shared/naming';
import { attempt, isAwsError, wrapAwsError } from './errors';
import { pollUntil, type PollOptions } from './polling';

export interface ClusterSummary {
  name: string;
  arn: string;
  status: string;
}

export interface ServiceSummary {
  name: string;
  arn: string;
  status: string;
  taskDefinition: string;
  desiredCount: number;
  runningCount: number;
}

export interface RegisterTaskDefinitionInput {
  family: string;
  taskDefinition: TaskDefinitionSpec;
  containerName: string;
  image: string;
  taskRoleArn: string;
  executionRoleArn: string;
  tags: Tag[];
  deploymentId: string;
}

export interface CreateServiceInput {
  cluster: string;
  name: string;
  taskDefinitionArn: string;
  targetGroupArn: string;
  containerName: string;
  containerPort: number;
  desiredCount: number;
  network: NetworkSpec;
  tags: Tag[];
}

// Fields of a described task definition that RegisterTaskDefinition refuses.
const describedOnly = ['taskDefinitionArn', 'revision', 'status', 'requiresAttributes', 'compatibilities', 'registeredAt', 'registeredBy', 'deregisteredAt'];

function ecsTags(tags: Tag[]) {
  return tags.map((t) => ({ key: t.key, value: t.value }));
}

function summarize(service: Service): ServiceSummary {
  return {
    name: service.serviceName!,
    arn: service.serviceArn!,
    status: service.status ?? 'UNKNOWN',
    taskDefinition: service.taskDefinition ?? '',
    desiredCount: service.desiredCount ?? 0,
    runningCount: service.runningCount ?? 0,
  };
}

export function createEcsActivities(ecs: ECSClient) {
  async function describeService(cluster: string, name: string): Promise<Service | undefined> {
    const out = await attempt(`describe ECS service ${name} in ${cluster}`, () =>
      ecs.send(new DescribeServicesCommand({ cluster, services: [name] })),
    );
    return out.services?.find((s) => s.serviceName === name || s.serviceArn === name);
  }

  return {
    /** The cluster, or undefined when ECS does not know it (DescribeClusters reports misses as failures). */
    async findCluster(name: string): Promise<ClusterSummary | undefined> {
      const out = await attempt(`describe ECS cluster ${name}`, () => ecs.send(new DescribeClustersCommand({ clusters: [name] })));
      const cluster = out.clusters?.find((c) => c.clusterName === name || c.clusterArn === name);
      if (!cluster?.clusterArn || !cluster.clusterName) return undefined;
      return { name: cluster.clusterName, arn: cluster.clusterArn, status: cluster.status ?? 'UNKNOWN' };
    },

    /** The service (ACTIVE or DRAINING), or undefined when it does not exist or was deleted. */
    async findService(input: { cluster: string; name: string }): Promise<ServiceSummary | undefined> {
      const service = await describeService(input.cluster, input.name);
      return service && service.status !== 'INACTIVE' ? summarize(service) : undefined;
    },

    /**
     * Registers a revision of the family with the new image and Switchyard's roles. A retry after a crash
     * finds the revision it registered (the family's latest, tagged with this deployment) instead of adding one.
     */
    async registerTaskDefinition(input: RegisterTaskDefinitionInput): Promise<string> {
      try {
        const latest = await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: input.family, include: ['TAGS'] }));
        const mine = latest.tags?.some((t) => t.key === tagKeys.deployment && t.value === input.deploymentId);
        if (mine && latest.taskDefinition?.status === 'ACTIVE') return latest.taskDefinition.taskDefinitionArn!;
      } catch (err) {
        if (!isAwsError(err, 'ClientException')) throw wrapAwsError(`describe task definition family ${input.family}`, err);
      }
      const def = Object.fromEntries(Object.entries(input.taskDefinition).filter(([k]) => !describedOnly.includes(k)));
      const request = {
        ...def,
        family: input.family,
        taskRoleArn: (def.taskRoleArn as string | undefined) ?? input.taskRoleArn,
        executionRoleArn: (def.executionRoleArn as string | undefined) ?? input.executionRoleArn,
        containerDefinitions: input.taskDefinition.containerDefinitions.map((c) => (c.name === input.containerName ? { ...c, image: input.image } : c)),
        tags: ecsTags(input.tags),
      } as RegisterTaskDefinitionCommandInput;
      const out = await attempt(`register a task definition revision of ${input.family} with ${input.image}`, () =>
        ecs.send(new RegisterTaskDefinitionCommand(request)),
      );
      return out.taskDefinition!.taskDefinitionArn!;
    },

    /**
     * Deregisters a revision: by ARN, or the family's latest when it carries this deployment's tag (the
     * undo of a register whose result the workflow may never have seen). Already INACTIVE or unknown is fine.
     */
    async deregisterTaskDefinition(input: { arn: string } | { family: string; deploymentId: string }): Promise<void> {
      const ref = 'arn' in input ? input.arn : input.family;
      try {
        const found = await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: ref, include: ['TAGS'] }));
        if (found.taskDefinition?.status !== 'ACTIVE') return;
        if ('deploymentId' in input && !found.tags?.some((t) => t.key === tagKeys.deployment && t.value === input.deploymentId)) return;
        await ecs.send(new DeregisterTaskDefinitionCommand({ taskDefinition: found.taskDefinition.taskDefinitionArn }));
      } catch (err) {
        if (isAwsError(err, 'ClientException')) return;
        throw wrapAwsError(`deregister task definition ${ref}`, err);
      }
    },

    /** Creates the service behind the target group, or returns the one a previous attempt created. */
    async createService(input: CreateServiceInput): Promise<string> {
      const existing = await describeService(input.cluster, input.name);
      if (existing && existing.status === 'ACTIVE') return existing.serviceArn!;
      const out = await attempt(`create ECS service ${input.name} in ${input.cluster}`, () =>
        ecs.send(
          new CreateServiceCommand({
            cluster: input.cluster,
            serviceName: input.name,
            taskDefinition: input.taskDefinitionArn,
            desiredCount: input.desiredCount,
            launchType: 'FARGATE',
            // AWS treats a repeated create with the same token as the same request.
            clientToken: input.name,
            loadBalancers: [{ targetGroupArn: input.targetGroupArn, containerName: input.containerName, containerPort: input.containerPort }],
            networkConfiguration: {
              awsvpcConfiguration: {
                subnets: input.network.subnets,
                securityGroups: input.network.securityGroups,
                assignPublicIp: input.network.assignPublicIp ? 'ENABLED' : 'DISABLED',
              },
            },
            deploymentConfiguration: { deploymentCircuitBreaker: { enable: true, rollback: false } },
            propagateTags: 'SERVICE',
            tags: ecsTags(input.tags),
          }),
        ),
      );
      return out.service!.serviceArn!;
    },

    /** Scales the service to 0 and deletes it; already deleted is fine. */
    async deleteService(input: { cluster: string; name: string }): Promise<void> {
      const service = await describeService(input.cluster, input.name);
      if (!service || service.status === 'INACTIVE') return;
      try {
        if ((service.desiredCount ?? 0) > 0) {
          await ecs.send(new UpdateServiceCommand({ cluster: input.cluster, service: input.name, desiredCount: 0 }));
        }
        await ecs.send(new DeleteServiceCommand({ cluster: input.cluster, service: input.name, force: true }));
      } catch (err) {
        if (isAwsError(err, 'ServiceNotFoundException', 'ServiceNotActiveException')) return;
        throw wrapAwsError(`delete ECS service ${input.name}`, err);
      }
    },

    /** Heartbeats until the service has one deployment, COMPLETED, with running = desired. */
    async waitForServiceSteady(input: { cluster: string; name: string; desiredCount: number } & PollOptions): Promise<ServiceSummary> {
      return pollUntil(input, `ECS service ${input.name} to be steady`, async () => {
        const service = await describeService(input.cluster, input.name);
        if (!service || service.status === 'INACTIVE') {
          return { done: false, summary: 'service missing', value: undefined as never, failed: 'the service does not exist' };
        }
        const deployments = service.deployments ?? [];
        const primary = deployments.find((d) => d.status === 'PRIMARY');
        const rollout = primary?.rolloutState ?? 'COMPLETED';
        const running = service.runningCount ?? 0;
        const summary = `running ${running} of ${input.desiredCount}, ${deployments.length} deployment(s), rollout ${rollout}`;
        if (rollout === 'FAILED') return { done: false, summary, value: summarize(service), failed: primary?.rolloutStateReason ?? 'rollout FAILED' };
        const done = deployments.length === 1 && rollout === 'COMPLETED' && running === input.desiredCount;
        return { done, summary, value: summarize(service) };
      });
    },
  };
}
