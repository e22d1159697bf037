// Before a rolling update changes anything: the service must exist and be steady, and the revision to
// fall back on must still be registered.
import { ApplicationFailure } from '@temporalio/workflow';
import { failureTypes } from '../../shared/failures';
import { tagKeys } from '../../shared/naming';
import { aws } from '../common/activities';
import type { RollingContext, RunningService } from './context';

/**
 * The service (one COMPLETED rollout) and the revision to fall back on: the one Switchyard recorded, or,
 * on the first rolling update Switchyard makes, the one the steady service runs now.
 */
export async function readService(ctx: RollingContext): Promise<RunningService> {
  const { spec, tracker, status } = ctx;
  const service = await aws.describeRollout({ cluster: spec.cluster, name: spec.ecsService });
  if (!service)
    throw ApplicationFailure.nonRetryable(
      `not found: ECS service ${spec.ecsService} in cluster ${spec.cluster}`,
      failureTypes.prerequisite,
    );
  const busy = service.deployments.length !== 1 || service.deployments[0].rolloutState !== 'COMPLETED';
  if (busy) {
    const rollouts = service.deployments.map((d) => `${d.status} ${d.rolloutState}`).join(', ');
    throw ApplicationFailure.nonRetryable(
      `ECS service ${spec.ecsService} has a rollout in progress (${rollouts}); wait for it to finish`,
      failureTypes.prerequisite,
    );
  }
  const knownGood = service.knownGood ?? service.taskDefinition;
  if ((await aws.taskDefinitionStatus({ taskDefinition: knownGood })) !== 'ACTIVE') {
    throw ApplicationFailure.nonRetryable(
      `the last known-good revision ${knownGood} of ${spec.ecsService} is no longer registered, so a failure could not be rolled back. ` +
        `Register it again, or remove the ${tagKeys.knownGood} tag from the service to adopt the revision it runs now.`,
      failureTypes.prerequisite,
    );
  }
  status.knownGoodTaskDefinition = knownGood;
  status.resources.serviceName = spec.ecsService;
  tracker.note(
    `known good: ${knownGood}${service.knownGood ? ' (recorded by Switchyard)' : ' (running steady now; first rolling update by Switchyard)'}`,
  );
  return {
    arn: service.arn,
    taskDefinition: service.taskDefinition,
    knownGood,
    // Older workers' answers lack the id; only a forced redeploy, which they never ran, reads it.
    deploymentId: (service.deployments[0].id as string | undefined) ?? '',
  };
}
