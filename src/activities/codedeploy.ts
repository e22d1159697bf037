// CodeDeploy, for deployments of ECS services whose deployment controller is CODE_DEPLOY: the deployment
// group as it is set up (read once, before anything changes), the deployment Switchyard starts (found
// again by its description on a retry), its progress (GetDeployment and the ECS target's lifecycle
// events and task sets), the ready wait ended (ContinueDeployment) and the stop with rollback.
// https://docs.aws.amazon.com/codedeploy/latest/APIReference/ and
// https://docs.aws.amazon.com/codedeploy/latest/userguide/deployment-steps-ecs.html
import {
  BatchGetDeploymentsCommand,
  ContinueDeploymentCommand,
  CreateDeploymentCommand,
  GetDeploymentCommand,
  GetDeploymentConfigCommand,
  GetDeploymentGroupCommand,
  GetDeploymentTargetCommand,
  ListDeploymentsCommand,
  StopDeploymentCommand,
  type CodeDeployClient,
  type DeploymentInfo,
} from '@aws-sdk/client-codedeploy';
import { ApplicationFailure } from '@temporalio/common';
import { createHash } from 'node:crypto';
import { failureTypes } from '../shared/failures';
import { attempt, isAwsError, wrapAwsError } from './errors';
import { pollUntil, type PollOptions } from './polling';

/** How a deployment config shifts production: all at once, a canary then the rest, or in equal steps. */
export interface TrafficRouting {
  type: 'AllAtOnce' | 'TimeBasedCanary' | 'TimeBasedLinear';
  percentage?: number;
  intervalMinutes?: number;
}

/** A deployment group as a deployment of Switchyard's needs it. */
export interface DeploymentGroupSetup {
  computePlatform?: string;
  deploymentType?: string;
  /** `<cluster>/<service>` for each ECS service the group deploys. */
  ecsServices: string[];
  /** The ready wait: STOP_DEPLOYMENT holds traffic up to waitMinutes; anything else continues on its own. */
  readyWait: { holds: boolean; waitMinutes: number };
  terminationWaitMinutes: number;
  deploymentConfig: { name: string; routing: TrafficRouting };
  productionListeners: string[];
  testListeners: string[];
  /** The group's own automatic rollback events (enabled ones only). */
  rollbackEvents: string[];
  /** Deployments of the group in flight now: one at a time per group. */
  inFlight: { id: string; status: string; description?: string }[];
}

/** A CodeDeploy deployment as the workflow follows it. */
export interface CodeDeployProgress {
  id: string;
  status: string;
  /** Traffic has shifted; the original task set waits to be terminated (a rollback is still possible). */
  terminationWait: boolean;
  /** Percent of production on the replacement task set (Green), as CodeDeploy reports it. */
  replacementPercent: number;
  /** The ECS target's lifecycle events and their status. */
  events: { name: string; status: string; diagnostics?: string }[];
  /** Why CodeDeploy failed or stopped it (its error code and message). */
  error?: string;
  /** The deployment that rolled it back. */
  rollbackDeploymentId?: string;
}

/** CreateDeployment's errors that a retry meets again (its model's Invalid…, …Required, …DoesNotExist, DescriptionTooLong). */
const permanentCreateError = /^(Invalid\w*|\w*Required|\w*DoesNotExist|DescriptionTooLong)Exception$/;

/** Statuses of a deployment not yet ended. */
const inFlightStatuses = ['Created', 'Queued', 'InProgress', 'Baking', 'Ready'] as const;
export const endedStatuses = ['Succeeded', 'Failed', 'Stopped'];

export function createCodeDeployActivities(codeDeploy: CodeDeployClient) {
  /**
   * The group's deployments in flight, with their description and status: CodeDeploy runs one per group,
   * so this is a few at most whatever the group's history (ListDeployments documents no order).
   */
  async function inFlightDeployments(application: string, group: string): Promise<DeploymentInfo[]> {
    const listed = await attempt(`list the deployments in flight in ${application}/${group}`, () =>
      codeDeploy.send(
        new ListDeploymentsCommand({
          applicationName: application,
          deploymentGroupName: group,
          includeOnlyStatuses: [...inFlightStatuses],
        }),
      ),
    );
    // BatchGetDeployments takes at most 25.
    const ids = (listed.deployments ?? []).slice(0, 25);
    if (!ids.length) return [];
    const out = await attempt(`read the deployments of ${application}/${group}`, () =>
      codeDeploy.send(new BatchGetDeploymentsCommand({ deploymentIds: ids })),
    );
    return out.deploymentsInfo ?? [];
  }

  /**
   * The one in flight that Switchyard started for this deployment (if it did), and the others in flight.
   * One of ours that has already ended is not found: there is nothing left to stop, and a create's retry
   * comes seconds after its first attempt, long before a deployment ends.
   */
  async function findOwn(input: { application: string; deploymentGroup: string; description?: string }) {
    const running = await inFlightDeployments(input.application, input.deploymentGroup);
    const own = input.description === undefined ? undefined : running.find((d) => d.description === input.description);
    return { own, running: running.filter((d) => d !== own) };
  }

  function refusal(application: string, group: string, runningId: string, status?: string): ApplicationFailure {
    return ApplicationFailure.nonRetryable(
      `CodeDeploy deployment group ${application}/${group} already has a deployment in progress: ${runningId}${status ? ` (${status})` : ''}. ` +
        `Wait for it to end, or stop it (aws deploy stop-deployment --deployment-id ${runningId} --auto-rollback-enabled)`,
      failureTypes.prerequisite,
    );
  }

  async function readDeployment(id: string): Promise<DeploymentInfo> {
    const out = await attempt(`read CodeDeploy deployment ${id}`, () =>
      codeDeploy.send(new GetDeploymentCommand({ deploymentId: id })),
    );
    return out.deploymentInfo ?? {};
  }

  async function progressOf(id: string, targetId: string): Promise<CodeDeployProgress> {
    const info = await readDeployment(id);
    let target;
    try {
      target = (await codeDeploy.send(new GetDeploymentTargetCommand({ deploymentId: id, targetId }))).deploymentTarget
        ?.ecsTarget;
    } catch (err) {
      // Not there until CodeDeploy has started on the service (Created, Queued).
      if (!isAwsError(err, 'DeploymentTargetDoesNotExistException', 'DeploymentNotStartedException'))
        throw wrapAwsError(`read target ${targetId} of CodeDeploy deployment ${id}`, err);
    }
    const green = target?.taskSetsInfo?.find((t) => t.taskSetLabel === 'Green');
    const error = info.errorInformation;
    return {
      id,
      status: info.status ?? 'Created',
      terminationWait: info.instanceTerminationWaitTimeStarted === true,
      replacementPercent: Math.round(green?.trafficWeight ?? 0),
      events: (target?.lifecycleEvents ?? []).map((e) => ({
        name: e.lifecycleEventName ?? '',
        status: e.status ?? '',
        ...(e.diagnostics?.message ? { diagnostics: `${e.diagnostics.errorCode}: ${e.diagnostics.message}` } : {}),
      })),
      ...(error ? { error: `${error.code}: ${error.message}` } : {}),
      ...(info.rollbackInfo?.rollbackDeploymentId
        ? { rollbackDeploymentId: info.rollbackInfo.rollbackDeploymentId }
        : {}),
    };
  }

  return {
    /**
     * The deployment group, its deployment config and the deployments in flight; undefined fields are
     * what the group does not set. A missing application, group or config is a prerequisite failure.
     */
    async describeDeploymentGroup(input: {
      application: string;
      deploymentGroup: string;
      /** The spec's; absent: the group's. */
      deploymentConfig?: string;
    }): Promise<DeploymentGroupSetup> {
      const { application, deploymentGroup } = input;
      let group;
      try {
        group = (
          await codeDeploy.send(
            new GetDeploymentGroupCommand({ applicationName: application, deploymentGroupName: deploymentGroup }),
          )
        ).deploymentGroupInfo;
      } catch (err) {
        if (isAwsError(err, 'ApplicationDoesNotExistException', 'DeploymentGroupDoesNotExistException'))
          throw ApplicationFailure.nonRetryable(
            `not found: CodeDeploy ${err instanceof Error && err.name.startsWith('Application') ? `application ${application}` : `deployment group ${deploymentGroup} of application ${application}`}`,
            failureTypes.prerequisite,
          );
        throw wrapAwsError(`read CodeDeploy deployment group ${application}/${deploymentGroup}`, err);
      }
      const configName = input.deploymentConfig ?? group?.deploymentConfigName ?? 'CodeDeployDefault.ECSAllAtOnce';
      let config;
      try {
        config = (await codeDeploy.send(new GetDeploymentConfigCommand({ deploymentConfigName: configName })))
          .deploymentConfigInfo;
      } catch (err) {
        if (isAwsError(err, 'DeploymentConfigDoesNotExistException', 'InvalidDeploymentConfigNameException'))
          throw ApplicationFailure.nonRetryable(
            `not found: CodeDeploy deployment config ${configName}`,
            failureTypes.prerequisite,
          );
        throw wrapAwsError(`read CodeDeploy deployment config ${configName}`, err);
      }
      if (config?.computePlatform && config.computePlatform !== 'ECS')
        throw ApplicationFailure.nonRetryable(
          `CodeDeploy deployment config ${configName} is for ${config.computePlatform}, not ECS`,
          failureTypes.prerequisite,
        );
      const routing = config?.trafficRoutingConfig;
      const ready = group?.blueGreenDeploymentConfiguration?.deploymentReadyOption;
      const pair = group?.loadBalancerInfo?.targetGroupPairInfoList?.[0];
      const rollback = group?.autoRollbackConfiguration;
      const { running } = await findOwn({ application, deploymentGroup });
      return {
        computePlatform: group?.computePlatform,
        deploymentType: group?.deploymentStyle?.deploymentType,
        ecsServices: (group?.ecsServices ?? []).map((s) => `${s.clusterName?.split('/').pop()}/${s.serviceName}`),
        readyWait: {
          holds: ready?.actionOnTimeout === 'STOP_DEPLOYMENT',
          waitMinutes: ready?.waitTimeInMinutes ?? 0,
        },
        terminationWaitMinutes:
          group?.blueGreenDeploymentConfiguration?.terminateBlueInstancesOnDeploymentSuccess
            ?.terminationWaitTimeInMinutes ?? 0,
        deploymentConfig: {
          name: configName,
          routing:
            routing?.type === 'TimeBasedCanary'
              ? {
                  type: 'TimeBasedCanary',
                  percentage: routing.timeBasedCanary?.canaryPercentage,
                  intervalMinutes: routing.timeBasedCanary?.canaryInterval,
                }
              : routing?.type === 'TimeBasedLinear'
                ? {
                    type: 'TimeBasedLinear',
                    percentage: routing.timeBasedLinear?.linearPercentage,
                    intervalMinutes: routing.timeBasedLinear?.linearInterval,
                  }
                : { type: 'AllAtOnce' },
        },
        productionListeners: pair?.prodTrafficRoute?.listenerArns ?? [],
        testListeners: pair?.testTrafficRoute?.listenerArns ?? [],
        rollbackEvents: rollback?.enabled ? (rollback.events ?? []) : [],
        inFlight: running.map((d) => ({
          id: d.deploymentId ?? '',
          status: d.status ?? '',
          description: d.description,
        })),
      };
    },

    /**
     * Starts the deployment of the AppSpec, rolled back automatically on failure and on a stop (whatever
     * the group says). A retry finds the one it started by its description instead of starting another;
     * another deployment in flight in the group is a refusal naming it (CodeDeploy runs one per group).
     */
    async createCodeDeployDeployment(input: {
      application: string;
      deploymentGroup: string;
      deploymentConfig?: string;
      appSpec: string;
      description: string;
      /** The group's own rollback events, kept (alarms, say) beside Switchyard's. */
      rollbackEvents: string[];
    }): Promise<{ id: string; found: boolean }> {
      const { application, deploymentGroup, description } = input;
      const { own, running } = await findOwn(input);
      if (own?.deploymentId) return { id: own.deploymentId, found: true };
      if (running[0]) throw refusal(application, deploymentGroup, running[0].deploymentId ?? '', running[0].status);
      const events = [...new Set([...input.rollbackEvents, 'DEPLOYMENT_FAILURE', 'DEPLOYMENT_STOP_ON_REQUEST'])];
      try {
        const out = await codeDeploy.send(
          new CreateDeploymentCommand({
            applicationName: application,
            deploymentGroupName: deploymentGroup,
            ...(input.deploymentConfig ? { deploymentConfigName: input.deploymentConfig } : {}),
            description,
            revision: {
              revisionType: 'AppSpecContent',
              appSpecContent: {
                content: input.appSpec,
                sha256: createHash('sha256').update(input.appSpec).digest('hex'),
              },
            },
            autoRollbackConfiguration: {
              enabled: true,
              events: events as ('DEPLOYMENT_FAILURE' | 'DEPLOYMENT_STOP_ON_REQUEST' | 'DEPLOYMENT_STOP_ON_ALARM')[],
            },
          }),
        );
        return { id: out.deploymentId!, found: false };
      } catch (err) {
        if (isAwsError(err, 'DeploymentLimitExceededException')) {
          // Ours, if an earlier attempt went through and its answer was lost (listed meanwhile), or another's.
          const again = await findOwn(input);
          if (again.own?.deploymentId) return { id: again.own.deploymentId, found: true };
          const named = /active Deployment '([^']+)'/.exec((err as Error).message)?.[1];
          throw refusal(application, deploymentGroup, named ?? 'unknown (CodeDeploy did not name it)');
        }
        const what = `create a CodeDeploy deployment in ${application}/${deploymentGroup}`;
        // What CodeDeploy refuses in the request (an AppSpec, a name, the description) it refuses again.
        if (err instanceof Error && permanentCreateError.test(err.name))
          throw ApplicationFailure.create({
            message: `${what}: ${err.name}: ${err.message}`,
            type: err.name,
            nonRetryable: true,
            cause: err,
          });
        throw wrapAwsError(what, err);
      }
    },

    /**
     * Heartbeats until the deployment has moved past `seen` (its status, termination wait or traffic),
     * has ended, or reaches `until`; returns where it is.
     */
    async followCodeDeployDeployment(
      input: {
        deploymentId: string;
        targetId: string;
        /** The progress last seen (absent: none yet). */
        seen?: Pick<CodeDeployProgress, 'status' | 'terminationWait' | 'replacementPercent'>;
      } & PollOptions,
    ): Promise<CodeDeployProgress> {
      const { deploymentId, targetId, seen } = input;
      return pollUntil(input, `CodeDeploy deployment ${deploymentId}`, async () => {
        const now = await progressOf(deploymentId, targetId);
        const moved =
          !seen ||
          now.status !== seen.status ||
          now.terminationWait !== seen.terminationWait ||
          now.replacementPercent !== seen.replacementPercent;
        const summary = `${now.status}, ${now.replacementPercent}% of production on the replacement${now.terminationWait ? ', termination wait' : ''}`;
        return { done: moved || endedStatuses.includes(now.status), summary, value: now };
      });
    },

    /**
     * Ends the ready wait: CodeDeploy starts shifting production. A retry after it did finds the deployment
     * past Ready and does nothing; one that has ended meanwhile (stopped, failed) is a failure saying why.
     */
    async continueCodeDeployDeployment(input: { deploymentId: string }): Promise<void> {
      const { deploymentId } = input;
      try {
        await codeDeploy.send(new ContinueDeploymentCommand({ deploymentId, deploymentWaitType: 'READY_WAIT' }));
        return;
      } catch (err) {
        if (!isAwsError(err, 'DeploymentIsNotInReadyStateException', 'DeploymentAlreadyCompletedException'))
          throw wrapAwsError(`continue CodeDeploy deployment ${deploymentId} (READY_WAIT)`, err);
      }
      // Called once the deployment was seen Ready: InProgress now means past it (an earlier attempt of this
      // call ended the wait). Telling that from "not at it yet" by the traffic events would fail a retry on
      // AWS, where BeforeAllowTraffic may still be Pending just after the continue.
      const info = await readDeployment(deploymentId);
      if (info.status === 'InProgress' || info.status === 'Baking' || info.status === 'Succeeded') return;
      const why = info.errorInformation ? `: ${info.errorInformation.code}: ${info.errorInformation.message}` : '';
      throw ApplicationFailure.nonRetryable(
        `continue CodeDeploy deployment ${deploymentId}: it is ${info.status}${why}`,
        failureTypes.waitFailed,
      );
    },

    /**
     * Stops the deployment Switchyard started for `description` (found by it when no id is known yet) with
     * automatic rollback: CodeDeploy puts traffic back on the original task set. One already ended is left
     * as it is; by description, only one in flight is found (`none in flight`: never started, or ended).
     * Returns its id and how it stands.
     */
    async stopCodeDeployDeployment(input: {
      application: string;
      deploymentGroup: string;
      description: string;
      deploymentId?: string;
    }): Promise<{ id?: string; status: string }> {
      const id = input.deploymentId ?? (await findOwn(input)).own?.deploymentId;
      if (!id) return { status: 'none in flight' };
      try {
        await codeDeploy.send(new StopDeploymentCommand({ deploymentId: id, autoRollbackEnabled: true }));
      } catch (err) {
        if (!isAwsError(err, 'DeploymentAlreadyCompletedException'))
          throw wrapAwsError(`stop CodeDeploy deployment ${id} with rollback`, err);
      }
      return { id, status: (await readDeployment(id)).status ?? 'unknown' };
    },
  };
}
