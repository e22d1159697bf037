import {
  CreateServiceCommand,
  DeleteServiceCommand,
  DeregisterTaskDefinitionCommand,
  DescribeClustersCommand,
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  ListServicesCommand,
  ListTaskDefinitionsCommand,
  RegisterTaskDefinitionCommand,
  TagResourceCommand,
  UpdateServiceCommand,
  type ECSClient,
  type RegisterTaskDefinitionCommandInput,
  type Service,
} from '@aws-sdk/client-ecs';
import crypto from 'node:crypto';
import type { CircuitBreakerSpec, ServiceFieldsSpec } from '../shared/adoption';
import { describedOnlyTaskDefinitionFields, type NetworkSpec, type TaskDefinitionSpec } from '../shared/deployment';
import type { Launch } from '../shared/launch';
import { tagKeys, type Tag } from '../shared/naming';
import { attempt, isAwsError, wrapAwsError } from './errors';
import { oneObject } from './inputs';
import { pollUntil, type PollOptions } from './polling';

export interface ClusterSummary {
  name: string;
  arn: string;
  status: string;
  /** The capacity providers associated with the cluster (a strategy may name only these). */
  capacityProviders: string[];
}

export interface ServiceSummary {
  name: string;
  arn: string;
  status: string;
  taskDefinition: string;
  desiredCount: number;
  runningCount: number;
}

/** A service as a rolling update sees it: its rollouts, and the revision Switchyard last saw succeed. */
export interface RolloutState extends ServiceSummary {
  deployments: {
    id: string;
    status: string;
    taskDefinition: string;
    rolloutState: string;
    running: number;
    desired: number;
  }[];
  /** The `switchyard:known-good` tag: the task definition of Switchyard's last successful rollout. */
  knownGood?: string;
  /** The newest service events, newest first (ECS explains circuit-breaker trips there). */
  events: string[];
}

/** A service's deployment controller and task sets (CODE_DEPLOY and EXTERNAL services run task sets). */
export interface ServiceTaskSets {
  arn: string;
  /** ECS, CODE_DEPLOY or EXTERNAL. */
  controller: string;
  taskSets: { arn: string; status: string; taskDefinition: string; targetGroupArn?: string }[];
}

export interface BaseRevision {
  arn: string;
  family: string;
  /** As RegisterTaskDefinition takes it (family, roles and all), without the response-only fields. */
  taskDefinition: TaskDefinitionSpec;
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
  /** Launch type (or capacity provider strategy) and network mode, from the spec (src/shared/launch.ts). */
  launch: Launch;
  /** Seconds ECS ignores the load balancer's health checks of a new task; absent: ECS's default (0). */
  healthCheckGracePeriodSeconds?: number;
  /** Placement, service discovery, execute command and tag propagation, as the spec gives them. */
  serviceFields?: ServiceFieldsSpec;
  tags: Tag[];
}

/** A service that serves a target group now: what production runs on. */
export interface ServingService extends ServiceSummary {
  targetGroupArns: string[];
}

/** DescribeServices takes at most 10 services a call. */
const describeBatch = 10;

/**
 * How long a service just created may be missing from DescribeServices (failures: MISSING, eventual
 * consistency, as Terraform retries for it: hashicorp/terraform-provider-aws#3387) before a wait calls
 * it gone.
 */
export const serviceVisibleWithinMs = 60_000;

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

function taskSetsOf(service: Service): ServiceTaskSets {
  return {
    arn: service.serviceArn!,
    controller: service.deploymentController?.type ?? 'ECS',
    taskSets: (service.taskSets ?? []).map((t) => ({
      arn: t.taskSetArn!,
      status: t.status ?? '',
      taskDefinition: t.taskDefinition ?? '',
      ...(t.loadBalancers?.[0]?.targetGroupArn ? { targetGroupArn: t.loadBalancers[0].targetGroupArn } : {}),
    })),
  };
}

function rolloutState(service: Service): RolloutState {
  return {
    ...summarize(service),
    deployments: (service.deployments ?? []).map((d) => ({
      id: d.id ?? '',
      status: d.status ?? 'UNKNOWN',
      taskDefinition: d.taskDefinition ?? '',
      rolloutState: d.rolloutState ?? 'COMPLETED',
      running: d.runningCount ?? 0,
      desired: d.desiredCount ?? 0,
    })),
    knownGood: service.tags?.find((t) => t.key === tagKeys.knownGood)?.value,
    events: (service.events ?? []).slice(0, 5).map((e) => e.message ?? ''),
  };
}

export function createEcsActivities(ecs: ECSClient) {
  async function describeService(cluster: string, name: string, withTags = false): Promise<Service | undefined> {
    const out = await attempt(`describe ECS service ${name} in ${cluster}`, () =>
      ecs.send(new DescribeServicesCommand({ cluster, services: [name], include: withTags ? ['TAGS'] : undefined })),
    );
    return out.services?.find((s) => s.serviceName === name || s.serviceArn === name);
  }

  /**
   * RegisterTaskDefinition has no idempotency token: when a connection drops after ECS registered a
   * revision, the SDK's retry registers another. Revisions of this deployment other than `keep` go.
   */
  async function deregisterTwins(family: string, deploymentId: string, keep: string): Promise<void> {
    const recent = await attempt(`list revisions of ${family}`, () =>
      ecs.send(new ListTaskDefinitionsCommand({ familyPrefix: family, status: 'ACTIVE', sort: 'DESC', maxResults: 5 })),
    );
    for (const arn of recent.taskDefinitionArns ?? []) {
      if (arn === keep) continue;
      const found = await attempt(`describe ${arn}`, () =>
        ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: arn, include: ['TAGS'] })),
      );
      if (
        found.taskDefinition?.status === 'ACTIVE' &&
        found.tags?.some((t) => t.key === tagKeys.deployment && t.value === deploymentId)
      ) {
        await attempt(`deregister the duplicate ${arn}`, () =>
          ecs.send(new DeregisterTaskDefinitionCommand({ taskDefinition: arn })),
        );
      }
    }
  }

  return {
    /** The cluster, or undefined when ECS does not know it (DescribeClusters reports misses as failures). */
    async findCluster(input: { cluster: string }): Promise<ClusterSummary | undefined> {
      const name = oneObject(input, 'cluster').cluster;
      const out = await attempt(`describe ECS cluster ${name}`, () =>
        ecs.send(new DescribeClustersCommand({ clusters: [name] })),
      );
      const cluster = out.clusters?.find((c) => c.clusterName === name || c.clusterArn === name);
      if (!cluster?.clusterArn || !cluster.clusterName) return undefined;
      return {
        name: cluster.clusterName,
        arn: cluster.clusterArn,
        status: cluster.status ?? 'UNKNOWN',
        capacityProviders: cluster.capacityProviders ?? [],
      };
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
        const latest = await ecs.send(
          new DescribeTaskDefinitionCommand({ taskDefinition: input.family, include: ['TAGS'] }),
        );
        const mine = latest.tags?.some((t) => t.key === tagKeys.deployment && t.value === input.deploymentId);
        if (mine && latest.taskDefinition?.status === 'ACTIVE') return latest.taskDefinition.taskDefinitionArn!;
      } catch (err) {
        if (!isAwsError(err, 'ClientException'))
          throw wrapAwsError(`describe task definition family ${input.family}`, err);
      }
      const def = Object.fromEntries(
        Object.entries(input.taskDefinition).filter(
          ([k]) => !(describedOnlyTaskDefinitionFields as readonly string[]).includes(k),
        ),
      );
      const request = {
        ...def,
        family: input.family,
        taskRoleArn: (def.taskRoleArn as string | undefined) ?? input.taskRoleArn,
        executionRoleArn: (def.executionRoleArn as string | undefined) ?? input.executionRoleArn,
        containerDefinitions: input.taskDefinition.containerDefinitions.map((c) =>
          c.name === input.containerName ? { ...c, image: input.image } : c,
        ),
        tags: ecsTags(input.tags),
      } as RegisterTaskDefinitionCommandInput;
      const out = await attempt(`register a task definition revision of ${input.family} with ${input.image}`, () =>
        ecs.send(new RegisterTaskDefinitionCommand(request)),
      );
      const arn = out.taskDefinition!.taskDefinitionArn!;
      await deregisterTwins(input.family, input.deploymentId, arn);
      return arn;
    },

    /**
     * Deregisters a revision: by ARN, or the family's latest when it carries this deployment's tag (the
     * undo of a register whose result the workflow may never have seen), unless that one is `keep`.
     * Already INACTIVE or unknown is fine.
     */
    async deregisterTaskDefinition(
      input: { arn: string } | { family: string; deploymentId: string; keep?: string },
    ): Promise<void> {
      const ref = 'arn' in input ? input.arn : input.family;
      try {
        const found = await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: ref, include: ['TAGS'] }));
        if (found.taskDefinition?.status !== 'ACTIVE') return;
        if (
          'deploymentId' in input &&
          !found.tags?.some((t) => t.key === tagKeys.deployment && t.value === input.deploymentId)
        )
          return;
        if ('keep' in input && found.taskDefinition.taskDefinitionArn === input.keep) return;
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
            // Either a capacity provider strategy or a launch type: ECS refuses both at once.
            ...(input.launch.capacityProviderStrategy
              ? { capacityProviderStrategy: input.launch.capacityProviderStrategy }
              : { launchType: input.launch.launchType }),
            healthCheckGracePeriodSeconds: input.healthCheckGracePeriodSeconds,
            // AWS treats a repeated create with the same token as the same request. At most 36 ASCII
            // characters (CreateService, clientToken): a digest of the name, which is longer at the limits.
            clientToken: crypto
              .createHash('sha256')
              .update(`${input.cluster}/${input.name}`)
              .digest('hex')
              .slice(0, 32),
            loadBalancers: [
              {
                targetGroupArn: input.targetGroupArn,
                containerName: input.containerName,
                containerPort: input.containerPort,
              },
            ],
            // Only awsvpc tasks get their own network interface (and need this); bridge and host use the instance's.
            networkConfiguration:
              input.launch.networkMode === 'awsvpc'
                ? {
                    awsvpcConfiguration: {
                      subnets: input.network.subnets,
                      securityGroups: input.network.securityGroups,
                      // Fargate only: on EC2, awsvpc tasks get no public IP.
                      ...(input.launch.launchType === 'FARGATE'
                        ? { assignPublicIp: input.network.assignPublicIp ? 'ENABLED' : 'DISABLED' }
                        : {}),
                    },
                  }
                : undefined,
            deploymentConfiguration: { deploymentCircuitBreaker: { enable: true, rollback: false } },
            propagateTags: 'SERVICE',
            ...input.serviceFields,
            tags: ecsTags(input.tags),
          }),
        ),
      );
      return out.service!.serviceArn!;
    },

    /**
     * The ACTIVE services of the cluster behind this target group (a service Switchyard did not create,
     * found by what it serves). ListServices pages of 100, DescribeServices 10 at a time.
     */
    async findServicesBehind(input: { cluster: string; targetGroupArn: string }): Promise<ServingService[]> {
      const arns: string[] = [];
      let next: string | undefined;
      do {
        const page = await attempt(`list the services of ${input.cluster}`, () =>
          ecs.send(new ListServicesCommand({ cluster: input.cluster, nextToken: next, maxResults: 100 })),
        );
        arns.push(...(page.serviceArns ?? []));
        next = page.nextToken;
      } while (next);
      const serving: ServingService[] = [];
      for (let i = 0; i < arns.length; i += describeBatch) {
        const batch = arns.slice(i, i + describeBatch);
        const out = await attempt(`describe services ${batch.join(', ')}`, () =>
          ecs.send(new DescribeServicesCommand({ cluster: input.cluster, services: batch })),
        );
        for (const service of out.services ?? []) {
          const groups = (service.loadBalancers ?? []).flatMap((lb) => (lb.targetGroupArn ? [lb.targetGroupArn] : []));
          if (service.status === 'ACTIVE' && groups.includes(input.targetGroupArn))
            serving.push({ ...summarize(service), targetGroupArns: groups });
        }
      }
      return serving;
    },

    /** The named service with the target groups it serves; undefined when it does not exist or was deleted. */
    async findServingService(input: { cluster: string; name: string }): Promise<ServingService | undefined> {
      const service = await describeService(input.cluster, input.name);
      if (!service || service.status === 'INACTIVE') return undefined;
      const groups = (service.loadBalancers ?? []).flatMap((lb) => (lb.targetGroupArn ? [lb.targetGroupArn] : []));
      return { ...summarize(service), targetGroupArns: groups };
    },

    /** Sets the service's desired count (a service Switchyard retires but did not create stays, at this count). */
    async scaleService(input: { cluster: string; name: string; desiredCount: number }): Promise<void> {
      await attempt(`scale ECS service ${input.name} to ${input.desiredCount} tasks`, () =>
        ecs.send(
          new UpdateServiceCommand({ cluster: input.cluster, service: input.name, desiredCount: input.desiredCount }),
        ),
      );
    },

    /** Scales the service to 0 and deletes it; already deleted (DRAINING, INACTIVE or not found) is fine. */
    async deleteService(input: { cluster: string; name: string }): Promise<void> {
      const service = await describeService(input.cluster, input.name);
      // A deleted service is DRAINING until its tasks stop: deleting it again is refused (not ACTIVE).
      // One DescribeServices does not list may only just have been created (MISSING for a few seconds):
      // delete it all the same, and ECS says ServiceNotFoundException when it is truly not there.
      if (service && service.status !== 'ACTIVE') return;
      try {
        if ((service?.desiredCount ?? 0) > 0) {
          await ecs.send(new UpdateServiceCommand({ cluster: input.cluster, service: input.name, desiredCount: 0 }));
        }
        await ecs.send(new DeleteServiceCommand({ cluster: input.cluster, service: input.name, force: true }));
      } catch (err) {
        if (isAwsError(err, 'ServiceNotFoundException', 'ServiceNotActiveException')) return;
        throw wrapAwsError(`delete ECS service ${input.name}`, err);
      }
    },

    /** The service's deployment controller and task sets; undefined when it does not exist or was deleted. */
    async describeTaskSets(input: { cluster: string; name: string }): Promise<ServiceTaskSets | undefined> {
      const service = await describeService(input.cluster, input.name);
      if (!service || service.status === 'INACTIVE') return undefined;
      return taskSetsOf(service);
    },

    /**
     * Heartbeats until the service runs this task set only (absent: any one), PRIMARY: a CodeDeploy
     * rollback has put production back on it and removed the replacement.
     */
    async waitForOnlyTaskSet(
      input: { cluster: string; name: string; taskSetArn?: string } & PollOptions,
    ): Promise<ServiceTaskSets> {
      const which = input.taskSetArn ? `task set ${input.taskSetArn}` : 'one task set';
      return pollUntil(input, `ECS service ${input.name} to run only ${which}`, async () => {
        const service = await describeService(input.cluster, input.name);
        if (!service || service.status === 'INACTIVE')
          return {
            done: false,
            summary: 'service missing',
            value: undefined as never,
            failed: 'the service does not exist',
          };
        const state = taskSetsOf(service);
        const summary = state.taskSets.map((t) => `${t.status} ${t.taskDefinition}`).join(', ') || 'no task sets';
        if (input.taskSetArn && !state.taskSets.some((t) => t.arn === input.taskSetArn))
          return { done: false, summary, value: state, failed: `task set ${input.taskSetArn} is gone (${summary})` };
        const done =
          state.taskSets.length === 1 &&
          (!input.taskSetArn || state.taskSets[0].arn === input.taskSetArn) &&
          state.taskSets[0].status === 'PRIMARY';
        return { done, summary, value: state };
      });
    },

    /** The service with its rollouts and known-good revision; undefined when it does not exist or was deleted. */
    async describeRollout(input: { cluster: string; name: string }): Promise<RolloutState | undefined> {
      const service = await describeService(input.cluster, input.name, true);
      if (!service || service.status === 'INACTIVE') return undefined;
      return rolloutState(service);
    },

    /**
     * A registered revision as RegisterTaskDefinition takes it back, the response-only fields dropped: the
     * base of a rolling update that names no task definition (ecs-deploy's and the boto3 recipe's way).
     */
    async describeRevision(input: { taskDefinition: string }): Promise<BaseRevision> {
      const ref = oneObject(input, 'taskDefinition').taskDefinition;
      const out = await attempt(`describe task definition ${ref} (the revision the service runs)`, () =>
        ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: ref })),
      );
      const described = out.taskDefinition!;
      const taskDefinition = Object.fromEntries(
        Object.entries(described).filter(
          ([k, v]) => v !== undefined && !(describedOnlyTaskDefinitionFields as readonly string[]).includes(k),
        ),
      ) as TaskDefinitionSpec;
      return { arn: described.taskDefinitionArn!, family: described.family!, taskDefinition };
    },

    /** ACTIVE, INACTIVE, or undefined when ECS does not know the revision. */
    async taskDefinitionStatus(input: { taskDefinition: string }): Promise<string | undefined> {
      const arn = oneObject(input, 'taskDefinition').taskDefinition;
      try {
        const out = await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: arn }));
        return out.taskDefinition?.status;
      } catch (err) {
        if (isAwsError(err, 'ClientException')) return undefined;
        throw wrapAwsError(`describe task definition ${arn}`, err);
      }
    },

    /**
     * Starts a rolling deployment of this revision, with ECS's circuit breaker on (and its own rollback
     * off: Switchyard rolls back to the last known-good revision, not to whatever ran before). A retry
     * finds the rollout already started and starts no second one.
     */
    async updateServiceRevision(input: {
      cluster: string;
      name: string;
      taskDefinitionArn: string;
      /** The spec's circuit breaker; absent: on, without ECS's own rollback. */
      circuitBreaker?: CircuitBreakerSpec;
      /**
       * A forced redeploy of the revision running in this deployment (its id): new tasks of the same
       * revision. A retry that finds another PRIMARY deployment of the revision starts no second one.
       */
      replacing?: string;
    }): Promise<void> {
      const service = await describeService(input.cluster, input.name);
      const primary = service?.deployments?.find((d) => d.status === 'PRIMARY');
      if (primary?.taskDefinition === input.taskDefinitionArn && primary.id !== input.replacing) return;
      const what = input.replacing
        ? `force a new deployment of ECS service ${input.name} on ${input.taskDefinitionArn}`
        : `update ECS service ${input.name} to ${input.taskDefinitionArn}`;
      await attempt(what, () =>
        ecs.send(
          new UpdateServiceCommand({
            cluster: input.cluster,
            service: input.name,
            taskDefinition: input.taskDefinitionArn,
            forceNewDeployment: input.replacing ? true : undefined,
            deploymentConfiguration: {
              deploymentCircuitBreaker: input.circuitBreaker ?? { enable: true, rollback: false },
            },
          }),
        ),
      );
    },

    /** Records the revision as known good on the service (tag `switchyard:known-good`), for the next rollback. */
    async recordKnownGood(input: { serviceArn: string; taskDefinitionArn: string }): Promise<void> {
      await attempt(`tag ${input.serviceArn} with its known-good revision`, () =>
        ecs.send(
          new TagResourceCommand({
            resourceArn: input.serviceArn,
            tags: [{ key: tagKeys.knownGood, value: input.taskDefinitionArn }],
          }),
        ),
      );
    },

    /**
     * Heartbeats until the rollout of this revision is COMPLETED: the only deployment, running = desired.
     * Fails at once when ECS marks it FAILED (circuit breaker), with ECS's reason and latest events.
     */
    async waitForRollout(
      input: {
        cluster: string;
        name: string;
        taskDefinitionArn: string;
        /** A forced redeploy: the deployment of the same revision it replaces, which is not the one awaited. */
        replacing?: string;
      } & PollOptions,
    ): Promise<RolloutState> {
      return pollUntil(input, `the rollout of ${input.taskDefinitionArn} on ${input.name}`, async () => {
        const service = await describeService(input.cluster, input.name);
        if (!service || service.status === 'INACTIVE') {
          return {
            done: false,
            summary: 'service missing',
            value: undefined as never,
            failed: 'the service does not exist',
          };
        }
        const state = rolloutState(service);
        const mine = (service.deployments ?? []).find(
          (d) => d.taskDefinition === input.taskDefinitionArn && d.id !== input.replacing,
        );
        const rollout = mine?.rolloutState ?? 'not started';
        const summary = `${state.deployments.map((d) => `${d.status} ${d.running}/${d.desired} ${d.rolloutState}`).join('; ')}`;
        if (rollout === 'FAILED') {
          const why = [mine?.rolloutStateReason ?? 'rollout FAILED', ...state.events.slice(0, 2)].join(' | ');
          return { done: false, summary, value: state, failed: why };
        }
        const done =
          mine?.status === 'PRIMARY' &&
          rollout === 'COMPLETED' &&
          state.deployments.length === 1 &&
          (mine.runningCount ?? 0) === (mine.desiredCount ?? 0);
        return { done, summary, value: state };
      });
    },

    /** Heartbeats until the service has one deployment, COMPLETED, with running = desired. */
    async waitForServiceSteady(
      input: { cluster: string; name: string; desiredCount: number } & PollOptions,
    ): Promise<ServiceSummary> {
      const started = Date.now();
      return pollUntil(input, `ECS service ${input.name} to be steady`, async () => {
        const service = await describeService(input.cluster, input.name);
        if (!service && Date.now() - started < serviceVisibleWithinMs) {
          return {
            done: false,
            summary: 'not in DescribeServices yet (MISSING: a service just created takes a moment to show)',
            value: undefined as never,
          };
        }
        if (!service || service.status === 'INACTIVE') {
          return {
            done: false,
            summary: 'service missing',
            value: undefined as never,
            failed: `the service does not exist${service ? '' : ` (MISSING for ${serviceVisibleWithinMs / 1000} s)`}`,
          };
        }
        const deployments = service.deployments ?? [];
        const primary = deployments.find((d) => d.status === 'PRIMARY');
        const rollout = primary?.rolloutState ?? 'COMPLETED';
        const running = service.runningCount ?? 0;
        const summary = `running ${running} of ${input.desiredCount}, ${deployments.length} deployment(s), rollout ${rollout}`;
        if (rollout === 'FAILED')
          return {
            done: false,
            summary,
            value: summarize(service),
            failed: primary?.rolloutStateReason ?? 'rollout FAILED',
          };
        const done = deployments.length === 1 && rollout === 'COMPLETED' && running === input.desiredCount;
        return { done, summary, value: summarize(service) };
      });
    },
  };
}
