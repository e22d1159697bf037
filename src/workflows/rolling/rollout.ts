// Moving the service: to a revision (ECS rolls its tasks over, circuit breaker on), or to new tasks of
// the revision it runs (a forced redeploy); each waits for the rollout within the spec's timeout.
import { formatDuration } from '../../shared/duration';
import { aws, waitOptions } from '../common/activities';
import type { RollingContext, RunningService } from './context';

/** Updates the service to the revision and waits for its rollout to complete (or fail). */
export async function rollOut(
  ctx: RollingContext,
  taskDefinitionArn: string,
  what: string,
  proxy = aws,
): Promise<void> {
  const { spec } = ctx;
  await proxy.updateServiceRevision({
    cluster: spec.cluster,
    name: spec.ecsService,
    taskDefinitionArn,
    circuitBreaker: spec.deploymentCircuitBreaker,
  });
  await awaitRollout(ctx, { taskDefinitionArn, what, proxy });
}

/** New tasks of the running revision (update-service --force-new-deployment), awaited like a rollout. */
export async function forceNewDeployment(ctx: RollingContext, service: RunningService): Promise<string> {
  const { spec } = ctx;
  const taskDefinitionArn = service.taskDefinition;
  await aws.updateServiceRevision({
    cluster: spec.cluster,
    name: spec.ecsService,
    taskDefinitionArn,
    circuitBreaker: spec.deploymentCircuitBreaker,
    replacing: service.deploymentId,
  });
  await awaitRollout(ctx, {
    taskDefinitionArn,
    what: `the forced redeploy of ${taskDefinitionArn}`,
    replacing: service.deploymentId,
  });
  return taskDefinitionArn;
}

async function awaitRollout(
  ctx: RollingContext,
  rollout: { taskDefinitionArn: string; what: string; replacing?: string; proxy?: typeof aws },
): Promise<void> {
  const { spec, tracker, pollIntervalMs } = ctx;
  const { taskDefinitionArn, what, replacing, proxy = aws } = rollout;
  tracker.waiting(
    replacing ? `forced a new deployment of ${spec.ecsService}` : `updated ${spec.ecsService} to ${taskDefinitionArn}`,
    `${what} to complete (timeout ${formatDuration(spec.timeouts.steadyMs)})`,
  );
  const done = await proxy.waitForRollout.executeWithOptions(
    waitOptions(spec.timeouts.steadyMs, `wait for ${what} on ${spec.ecsService}`),
    [
      {
        cluster: spec.cluster,
        name: spec.ecsService,
        taskDefinitionArn,
        deadline: Date.now() + spec.timeouts.steadyMs,
        intervalMs: pollIntervalMs,
        ...(replacing ? { replacing } : {}),
      },
    ],
  );
  tracker.note(`rollout completed: ${done.runningCount} of ${done.desiredCount} running ${taskDefinitionArn}`);
}
