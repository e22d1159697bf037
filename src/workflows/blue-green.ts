// Blue/green deployment of one ECS service, as its lifecycle: stage a complete new copy, wait for the
// tests and approval gates, shift production to it by the traffic plan (weights read back, bakes with
// analysis gates), bake at 100%, drain, tear down the previous copy. Every side effect pushes its
// (idempotent, name-based) undo before it runs, so a rollback, a failure or a cancellation at any point
// restores production first and then removes what was staged. The steps are in ./blue-green/, over one
// shared context (./blue-green/context.ts). One service of a release also holds where the release
// coordinates (./blue-green/release-hold.ts).
import { allHandlersFinished, condition } from '@temporalio/workflow';
import type { DeploymentInput, DeploymentResult } from '../shared/deployment';
import { rollbackBecause } from './common/activities';
import { concluded } from './common/outcome';
import { rollBack } from './common/roll-back';
import { bakeAtFull } from './blue-green/bake';
import { createContext, type BlueGreenContext, type Found } from './blue-green/context';
import { checkPrerequisites } from './blue-green/prerequisites';
import { holdForReleaseGates, holdForTeardown, reportLive } from './blue-green/release-hold';
import { stage } from './blue-green/stage';
import { approvalGate, installSteering, testsGate } from './blue-green/steering';
import { drain, teardownPrevious } from './blue-green/teardown';
import { activate } from './blue-green/traffic';

export async function blueGreenDeployment(input: DeploymentInput): Promise<DeploymentResult> {
  const ctx = createContext(input);
  const result = await deploy(ctx);
  await ctx.tracker.notifier.settled();
  return concluded(result);
}

async function deploy(ctx: BlueGreenContext): Promise<DeploymentResult> {
  const { spec, deploymentId, tracker, steering } = ctx;
  installSteering(ctx);

  // Everything up to the drain is undone by a rollback.
  let found: Found;
  try {
    found = await ctx.main.run(async () => {
      tracker.enter('staging', `staging ${spec.image} for ${spec.service}/${spec.environment}`);
      const prerequisites = await checkPrerequisites(ctx);
      const staged = await stage(ctx, prerequisites);
      if (ctx.release) await holdForReleaseGates(ctx);
      else {
        await testsGate(ctx);
        await approvalGate(ctx);
      }
      const traffic = await activate(ctx, prerequisites, staged);
      await bakeAtFull(ctx, staged, traffic);
      if (ctx.release) await reportLive(ctx);
      await drain(ctx, prerequisites, staged, traffic);
      if (ctx.release) await holdForTeardown(ctx);
      return prerequisites;
    });
    // A rollback accepted while the last step was finishing (its activity completes despite the cancel)
    // is still a rollback: production has not been touched by teardown yet.
    if (steering.rollback.reason) throw rollbackBecause(steering.rollback.reason);
  } catch (err) {
    return await rollBack(err, { tracker, undos: ctx.undos, requested: steering.rollback.reason });
  }

  // Past the point of no return.
  await teardownPrevious(ctx, found);
  await ctx.roles.keepOnlySecretReadsOf(deploymentId);
  tracker.enter('active', `${deploymentId} is live on ${spec.hosts.production}`);
  await condition(allHandlersFinished);
  return { deploymentId, phase: 'active', leftovers: [] };
}
