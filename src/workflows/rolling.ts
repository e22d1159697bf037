// Rolling update of an ECS service that stays in place, top to bottom: check the service is steady and
// find the revision to fall back on (the last one Switchyard saw succeed), register the new revision,
// update the service, wait for its rollout (ECS circuit breaker on), record the new revision as known
// good. A failed rollout, the deadline or a rollback request puts the known-good revision back.
import {
  allHandlersFinished,
  ApplicationFailure,
  CancellationScope,
  condition,
  setHandler,
} from '@temporalio/workflow';
import type { DeploymentInput, DeploymentResult, RollingSpec } from '../shared/deployment';
import { formatDuration } from '../shared/duration';
import { deploymentTags, resourceNames, tagKeys } from '../shared/naming';
import { aws, rollbackBecause, undo, waitOptions } from './common/activities';
import { registerRevision } from './common/revision';
import { CompensationStack } from './common/compensation';
import { rollBack } from './common/roll-back';
import { acceptRollbacks, type RollbackRequest } from './common/rollback-request';
import { TaskRoles } from './common/roles';
import { DeploymentTracker } from './common/tracker';
import {
  approveSignal,
  pauseSignal,
  promoteSignal,
  resumeSignal,
  statusQuery,
  testsFailedSignal,
  testsPassedSignal,
} from './messages';
import { failureTypes } from '../shared/failures';

export async function rollingDeployment(input: DeploymentInput<RollingSpec>): Promise<DeploymentResult> {
  const { spec, deploymentId } = input;
  const names = resourceNames(spec, deploymentId);
  const family = typeof spec.taskDefinition.family === 'string' ? spec.taskDefinition.family : names.family;
  const tags = deploymentTags(spec, deploymentId);
  const tracker = new DeploymentTracker(input);
  const status = tracker.status;
  const undos = new CompensationStack();
  const roles = new TaskRoles(tracker, spec.iamPropagationMs);
  const pollIntervalMs = input.pollIntervalMs ?? 5_000;
  const rollback: RollbackRequest = {};
  const main = new CancellationScope();

  setHandler(statusQuery, () => status);
  for (const [signal, name] of [
    [testsPassedSignal, 'tests passed'],
    [testsFailedSignal, 'tests failed'],
    [approveSignal, 'approval'],
    [pauseSignal, 'pause'],
    [resumeSignal, 'resume'],
    [promoteSignal, 'promote'],
  ] as const) {
    setHandler(signal, () => tracker.ignored(name, 'a rolling update has no gates or traffic steps'));
  }
  acceptRollbacks(tracker, main, ['updating'], rollback);

  let serviceArn = '';
  let revision: string;
  try {
    revision = await main.run(async () => {
      tracker.enter('updating', `rolling update of ${spec.ecsService} to ${spec.image}`);
      const knownGood = await findKnownGood();
      const registered = await registerRevision(
        { tracker, status, undos, roles },
        {
          names,
          family,
          taskDefinition: spec.taskDefinition,
          containerName: spec.container.name,
          image: spec.image,
          tags,
          deploymentId,
        },
        'missing',
      );
      await roles.propagated();
      undos.push('service revision', () => rollOut(knownGood, `the rollback to ${knownGood}`, undo));
      await rollOut(registered, `the rollout of ${spec.image}`);
      return registered;
    });
    // A rollback accepted while the rollout was completing is still a rollback.
    if (rollback.reason) throw rollbackBecause(rollback.reason);
  } catch (err) {
    const restored = (reason: string) => `${reason}; ${spec.ecsService} is back on ${status.knownGoodTaskDefinition}`;
    return await rollBack(err, { tracker, undos, requested: rollback.reason, restored });
  }
  await aws.recordKnownGood({ serviceArn, taskDefinitionArn: revision });
  status.knownGoodTaskDefinition = revision;
  tracker.enter('active', `${spec.ecsService} runs ${revision}, recorded as known good`);
  await condition(allHandlersFinished);
  return { deploymentId, phase: 'active', leftovers: [] };

  /**
   * The service must exist and be steady (one COMPLETED rollout), and the revision to fall back on must
   * still be registered: the one Switchyard recorded, or, on the first rolling update Switchyard makes,
   * the one the steady service runs now.
   */
  async function findKnownGood(): Promise<string> {
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
    serviceArn = service.arn;
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
    return knownGood;
  }

  /** Updates the service to the revision and waits for its rollout to complete (or fail) within the spec's timeout. */
  async function rollOut(taskDefinitionArn: string, what: string, proxy = aws): Promise<void> {
    await proxy.updateServiceRevision({
      cluster: spec.cluster,
      name: spec.ecsService,
      taskDefinitionArn,
      circuitBreaker: spec.deploymentCircuitBreaker,
    });
    tracker.waiting(
      `updated ${spec.ecsService} to ${taskDefinitionArn}`,
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
        },
      ],
    );
    tracker.note(`rollout completed: ${done.runningCount} of ${done.desiredCount} running ${taskDefinitionArn}`);
  }
}
