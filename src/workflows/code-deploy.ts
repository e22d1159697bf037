// A deployment CodeDeploy runs, of an ECS service whose deployment controller is CODE_DEPLOY, as its
// lifecycle: check the service and its deployment group, register the revision, start the CodeDeploy
// deployment, follow it to the ready wait (the replacement task set up, test traffic on it), hold it
// there for the tests and approval gates, end the wait, follow CodeDeploy's traffic shift and termination
// wait to success. A rollback, a gate's failure or CodeDeploy's own stops the deployment with rollback and
// waits until production is back on the original task set. The steps are in ./code-deploy/.
import { allHandlersFinished, condition, patched } from '@temporalio/workflow';
import type { CodeDeploySpec, DeploymentInput, DeploymentResult } from '../shared/deployment';
import { formatDuration } from '../shared/duration';
import { aws, rollbackBecause } from './common/activities';
import { awaitApproval, awaitTests } from './common/gates';
import { concluded } from './common/outcome';
import { rollBack } from './common/roll-back';
import { createCodeDeployContext, type CodeDeployContext, type Setup } from './code-deploy/context';
import { followUntil, followWindow, startTraffic } from './code-deploy/follow';
import { checkSetup } from './code-deploy/setup';
import { registerNext, startDeployment } from './code-deploy/start';
import { installSteering } from './code-deploy/steering';
import { codeDeployTearingDown } from './patches';

export async function codeDeployDeployment(input: DeploymentInput<CodeDeploySpec>): Promise<DeploymentResult> {
  const ctx = createCodeDeployContext(input);
  const result = await deploy(ctx);
  await ctx.tracker.notifier.settled();
  return concluded(result);
}

async function deploy(ctx: CodeDeployContext): Promise<DeploymentResult> {
  const { spec, deploymentId, tracker, steering, roles } = ctx;
  installSteering(ctx);
  const { application, deploymentGroup } = spec.codeDeploy;
  let revision = '';
  try {
    await ctx.main.run(async () => {
      tracker.enter(
        'staging',
        `CodeDeploy deployment of ${spec.image} to ${spec.ecsService} by ${application}/${deploymentGroup}`,
      );
      const setup = await checkSetup(ctx);
      revision = await registerNext(ctx);
      await roles.propagated();
      await startDeployment(ctx, setup, revision);
      if (setup.group.readyWait.holds) {
        await replacementReady(ctx, setup);
        await awaitTests(ctx, testedOn(ctx, setup), spec.timeouts.testsMs);
        if (spec.approval.required) await awaitApproval(ctx, spec.approval);
        await aws.continueCodeDeployDeployment({ deploymentId: ctx.codeDeployId! });
        tracker.note(`ended CodeDeploy's ready wait: production shifts by ${setup.group.deploymentConfig.name}`);
      } else tracker.note('the deployment group continues on its own: no gates (codeDeploy.acceptAutoContinue)');
      await shiftAndTerminate(ctx, setup);
    });
    // A rollback accepted while CodeDeploy was finishing is still one (the stop finds it ended, or not).
    if (steering.rollback.reason) throw rollbackBecause(steering.rollback.reason);
  } catch (err) {
    return await rollBack(err, { tracker, undos: ctx.undos, requested: steering.rollback.reason });
  }
  // Past the point of no return: CodeDeploy has removed the original task set (no rollback from here).
  if (patched(codeDeployTearingDown))
    tracker.enter(
      'tearing_down',
      `CodeDeploy deployment ${ctx.codeDeployId} succeeded; keeping only this revision's secret reads`,
    );
  await roles.keepOnlySecretReadsOf(deploymentId);
  tracker.enter('active', `${spec.ecsService} runs ${revision}: CodeDeploy deployment ${ctx.codeDeployId} succeeded`);
  await condition(allHandlersFinished);
  return { deploymentId, phase: 'active', leftovers: [] };
}

/** Until CodeDeploy holds the deployment at the ready wait: the replacement task set up, test traffic on it. */
async function replacementReady(ctx: CodeDeployContext, setup: Setup): Promise<void> {
  const { spec, tracker } = ctx;
  tracker.waiting(
    'CodeDeploy installs the replacement task set',
    `CodeDeploy's ready wait (timeout ${formatDuration(spec.timeouts.steadyMs)})`,
  );
  await followUntil(ctx, setup, 'the ready wait', followWindow(spec.timeouts.steadyMs), (p) => p.status === 'Ready');
}

/** Where the tests reach the replacement task set: the group's test listener. */
function testedOn(ctx: CodeDeployContext, setup: Setup): string {
  const where = setup.testPort
    ? `test listener port ${setup.testPort}`
    : 'the group has no test listener: reach its tasks directly';
  return `the replacement task set of ${ctx.spec.ecsService} (${where})`;
}

/** CodeDeploy's traffic shift (`activating`), then its termination wait (`baking`), until it succeeds. */
async function shiftAndTerminate(ctx: CodeDeployContext, setup: Setup): Promise<void> {
  const { spec, tracker } = ctx;
  startTraffic(ctx, setup);
  const window = followWindow(spec.timeouts.steadyMs + setup.afterReadyMs);
  tracker.enter(
    'activating',
    `CodeDeploy shifts production to ${spec.ecsService}'s replacement task set by ${ctx.traffic!.plan}`,
    "CodeDeploy's traffic shift, or rollback",
  );
  const shifted = await followUntil(ctx, setup, 'its termination wait', window, (p) => p.terminationWait);
  if (shifted.status !== 'Succeeded') {
    tracker.enter(
      'baking',
      `all of production on the replacement task set; CodeDeploy keeps the original for its termination wait (${setup.group.terminationWaitMinutes} min)`,
      'the termination wait to end, or rollback',
    );
    await followUntil(ctx, setup, 'it succeeds', window, (p) => p.status === 'Succeeded');
  }
}
