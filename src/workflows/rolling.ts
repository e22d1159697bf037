// Rolling update of an ECS service that stays in place, top to bottom: check the service is steady and
// find the revision to fall back on (the last one Switchyard saw succeed), register the new revision (the
// spec's task definition, or the running one with the image swapped), update the service, wait for its
// rollout (ECS circuit breaker on), record the new revision as known good. A failed rollout, the deadline
// or a rollback request puts the known-good revision back. A forced redeploy registers nothing: new tasks
// of the running revision, and nothing to roll back to when they fail. The steps are in ./rolling/.
import { allHandlersFinished, condition, setHandler } from '@temporalio/workflow';
import {
  deployedImage,
  isTerminal,
  type DeploymentInput,
  type DeploymentResult,
  type RollingSpec,
} from '../shared/deployment';
import { rollbackBecause, undo, aws } from './common/activities';
import { prerequisiteFailure } from './common/invalid-input';
import { concluded } from './common/outcome';
import { failureReason, rollBack } from './common/roll-back';
import { acceptMessage } from './common/accept';
import { acceptRollbacks } from './common/rollback-request';
import { statusQuery, type MessageName } from './messages';
import { createRollingContext, type RollingContext } from './rolling/context';
import { registerNext } from './rolling/revision';
import { forceNewDeployment, rollOut } from './rolling/rollout';
import { readService } from './rolling/service';

export async function rollingDeployment(input: DeploymentInput<RollingSpec>): Promise<DeploymentResult> {
  const ctx = createRollingContext(input);
  const result = await roll(ctx);
  await ctx.tracker.notifier.settled();
  return concluded(result);
}

async function roll(ctx: RollingContext): Promise<DeploymentResult> {
  const { spec, deploymentId, tracker, status, undos, roles, rollback, main } = ctx;
  installMessages(ctx);

  let serviceArn = '';
  let revision: string;
  try {
    revision = await main.run(async () => {
      tracker.enter('updating', `rolling update of ${spec.ecsService} to ${deployedImage(spec)}`);
      const service = await readService(ctx);
      serviceArn = service.arn;
      if (spec.forceNewDeployment) return forceNewDeployment(ctx, service);
      const registered = await registerNext(ctx, service);
      await roles.propagated();
      undos.push(
        'service revision',
        () => rollOut(ctx, service.knownGood, `the rollback to ${service.knownGood}`, undo),
        { restoresProduction: true },
      );
      await rollOut(ctx, registered, `the rollout of ${spec.image}`);
      return registered;
    });
    // A rollback accepted while the rollout was completing is still a rollback.
    if (rollback.reason) throw rollbackBecause(rollback.reason);
  } catch (err) {
    if (spec.forceNewDeployment && prerequisiteFailure(err) === undefined) return forcedRedeployFailed(ctx, err);
    const restored = (reason: string) => `${reason}; ${spec.ecsService} is back on ${status.knownGoodTaskDefinition}`;
    return await rollBack(err, { tracker, undos, requested: rollback.reason, restored });
  }
  await aws.recordKnownGood({ serviceArn, taskDefinitionArn: revision });
  status.knownGoodTaskDefinition = revision;
  await roles.keepOnlySecretReadsOf(deploymentId);
  tracker.enter('active', `${spec.ecsService} runs ${revision}, recorded as known good`);
  await condition(allHandlersFinished);
  return { deploymentId, phase: 'active', leftovers: [] };
}

/** A rolling update answers the status query and rollbacks (while updating, with a revision to go back to). */
function installMessages(ctx: RollingContext): void {
  const { tracker, status, main, rollback, spec } = ctx;
  setHandler(statusQuery, () => status);
  const gateless: [MessageName, string][] = [
    ['testsPassed', 'tests passed'],
    ['testsFailed', 'tests failed'],
    ['approve', 'approval'],
    ['pause', 'pause'],
    ['resume', 'resume'],
    ['promote', 'promote'],
  ];
  for (const [name, label] of gateless) {
    acceptMessage(tracker, name, {
      label,
      refusal: () => 'a rolling update has no gates or traffic steps',
      apply: () => label,
    });
  }
  // A forced redeploy runs the revision it replaces: there is nothing else to roll back to.
  acceptRollbacks(tracker, main, spec.forceNewDeployment ? [] : ['updating'], rollback, () =>
    isTerminal(tracker.phase) ? { note: `${tracker.phase}: ${status.reason ?? ''}` } : undefined,
  );
}

/** The new tasks of a forced redeploy did not come up: `failed`, as there is no other revision to go back to. */
async function forcedRedeployFailed(ctx: RollingContext, err: unknown): Promise<DeploymentResult> {
  const { tracker, status, deploymentId } = ctx;
  status.reason = `${failureReason(err)}; a forced redeploy has no other revision to roll back to`;
  tracker.enter('failed', status.reason);
  await condition(allHandlersFinished);
  return { deploymentId, phase: 'failed', reason: status.reason, leftovers: [] };
}
