// Starting the CodeDeploy deployment: the revision registered (the spec's task definition with the image,
// pinned to its digest when the spec says so), then CreateDeployment with an AppSpec naming it, the
// container and port, and the spec's hooks. Its undo is pushed first: a stop with rollback, awaited until
// production is back on the original task set (read back from ECS and the production listener).
import { ApplicationFailure } from '@temporalio/workflow';
import { codeDeployHooks } from '../../shared/deployment';
import { formatDuration } from '../../shared/duration';
import { failureTypes } from '../../shared/failures';
import { aws, undo, waitOptions } from '../common/activities';
import { pinnedImage } from '../common/image';
import { registerRevision } from '../common/revision';
import type { CodeDeployContext, Setup } from './context';

export async function registerNext(ctx: CodeDeployContext): Promise<string> {
  const { spec, names, tags, deploymentId, tracker } = ctx;
  const family = typeof spec.taskDefinition.family === 'string' ? spec.taskDefinition.family : names.family;
  const image = await pinnedImage(tracker, spec.image, spec.pinImageDigest);
  return registerRevision(
    ctx,
    {
      names,
      family,
      taskDefinition: spec.taskDefinition,
      containerName: spec.container.name,
      image,
      tags,
      deploymentId,
    },
    'missing',
  );
}

export async function startDeployment(ctx: CodeDeployContext, setup: Setup, taskDefinitionArn: string): Promise<void> {
  const { spec, tracker, status, undos, description } = ctx;
  const { application, deploymentGroup, deploymentConfig } = spec.codeDeploy;
  undos.push('CodeDeploy deployment', () => stopAndRestore(ctx, setup), { restoresProduction: true });
  const started = await aws.createCodeDeployDeployment({
    application,
    deploymentGroup,
    ...(deploymentConfig ? { deploymentConfig } : {}),
    appSpec: appSpecOf(ctx, taskDefinitionArn),
    description,
    rollbackEvents: setup.group.rollbackEvents,
  });
  ctx.codeDeployId = started.id;
  status.resources.codeDeployDeploymentId = started.id;
  tracker.note(
    `${started.found ? 'found' : 'started'} CodeDeploy deployment ${started.id} of ${taskDefinitionArn} (${setup.group.deploymentConfig.name})`,
  );
}

/**
 * The AppSpec, as JSON: the ECS service's new task definition and the container CodeDeploy registers
 * with the target groups, and the hooks passed through in the order CodeDeploy runs them.
 * https://docs.aws.amazon.com/codedeploy/latest/userguide/reference-appspec-file-structure-resources.html#reference-appspec-file-structure-resources-ecs
 */
function appSpecOf(ctx: CodeDeployContext, taskDefinitionArn: string): string {
  const { spec } = ctx;
  const hooks = codeDeployHooks.flatMap((hook) => {
    const fn = spec.codeDeploy.hooks?.[hook];
    return fn ? [{ [hook]: fn }] : [];
  });
  const rest = JSON.stringify({
    Resources: [
      {
        TargetService: {
          Type: 'AWS::ECS::Service',
          Properties: {
            TaskDefinition: taskDefinitionArn,
            LoadBalancerInfo: { ContainerName: spec.container.name, ContainerPort: spec.container.port },
          },
        },
      },
    ],
    ...(hooks.length ? { Hooks: hooks } : {}),
  });
  // AWS's AppSpecs say `version: 0.0`, which JSON.stringify writes as 0.
  return `{"version":0.0,${rest.slice(1)}`;
}

/**
 * A deployment that succeeded before the stop reached it has removed the original task set: production
 * runs the new revision alone, and nothing can be rolled back. The undos still to run (the revision, its
 * secret reads) would take them from under it: they are kept, and this undo fails, naming why. (ecspresso
 * has seen a stopped deployment read Succeeded while its rollback ran: the original still there is that.)
 */
async function refuseIfSucceeded(ctx: CodeDeployContext, setup: Setup, id: string): Promise<void> {
  const { spec, undos, tracker } = ctx;
  const service = await aws.describeTaskSets({ cluster: spec.cluster, name: spec.ecsService });
  if (service?.taskSets.some((t) => t.arn === setup.original.taskSetArn)) return;
  const why = `CodeDeploy deployment ${id} succeeded before it could be stopped: production runs ${ctx.status.resources.taskDefinitionArn} alone; deploy ${setup.original.taskDefinition} to go back`;
  tracker.note(why);
  undos.haltRemaining('production runs this revision');
  throw ApplicationFailure.nonRetryable(why, failureTypes.rollback);
}

/**
 * The undo: CodeDeploy stops the deployment and rolls it back (one already ended is left as it is), then
 * the service runs its original task set only and each production listener forwards all to it.
 */
async function stopAndRestore(ctx: CodeDeployContext, setup: Setup): Promise<void> {
  const { spec, tracker, pollIntervalMs, steering } = ctx;
  const stopped = await undo.stopCodeDeployDeployment({
    application: spec.codeDeploy.application,
    deploymentGroup: spec.codeDeploy.deploymentGroup,
    description: ctx.description,
    ...(ctx.codeDeployId ? { deploymentId: ctx.codeDeployId } : {}),
  });
  if (!stopped.id) {
    // CreateDeployment never went through (refused, or another deployment was in flight).
    tracker.note('no CodeDeploy deployment of this one is in flight: none was started');
    return;
  }
  tracker.note(
    stopped.status === 'Failed' || stopped.status === 'Stopped'
      ? `CodeDeploy deployment ${stopped.id} is ${stopped.status}: CodeDeploy rolls it back`
      : `CodeDeploy deployment ${stopped.id}: stop with rollback requested (it is ${stopped.status})`,
  );
  if (stopped.status === 'Succeeded') await refuseIfSucceeded(ctx, setup, stopped.id);
  const restoreMs = spec.timeouts.steadyMs;
  await aws.waitForOnlyTaskSet.executeWithOptions(
    waitOptions(restoreMs, `wait for ${spec.ecsService} to run only its original task set`),
    [
      {
        cluster: spec.cluster,
        name: spec.ecsService,
        taskSetArn: setup.original.taskSetArn,
        deadline: Date.now() + restoreMs,
        intervalMs: pollIntervalMs,
      },
    ],
  );
  for (const listenerArn of setup.group.productionListeners) {
    const { forward } = await aws.readListenerForward({ listenerArn });
    const onOriginal = forward.find((f) => f.targetGroupArn === setup.original.targetGroupArn)?.percent ?? 0;
    if (setup.original.targetGroupArn && onOriginal !== 100)
      throw ApplicationFailure.nonRetryable(
        `production listener ${listenerArn} forwards ${onOriginal}% to the original target group ${setup.original.targetGroupArn}, not all of it`,
        failureTypes.trafficNotVerified,
      );
  }
  const requestedAt = steering.rollback.requestedAt;
  // For the status only (how long the restore took), as blue/green's restore reports it.
  // eslint-disable-next-line no-restricted-syntax
  const restoreMsAfterRequest = requestedAt === undefined ? undefined : Date.now() - requestedAt;
  ctx.restored = { restoreMs: restoreMsAfterRequest };
  if (ctx.traffic) {
    ctx.traffic.percent = 0;
    ctx.traffic.restoredAt = new Date().toISOString();
    ctx.traffic.restoreMs = restoreMsAfterRequest;
  }
  tracker.note(
    `production is back on ${setup.original.taskDefinition} (read back: its task set alone, ${setup.group.productionListeners.length} production listener(s) all on it)${restoreMsAfterRequest !== undefined ? `, ${formatDuration(restoreMsAfterRequest)} after the request` : ''}`,
  );
}
