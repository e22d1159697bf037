// A release, as its lifecycle: every service's blue/green deployment started side by side as a child
// (each staged in parallel and held there), the release's one tests gate and approval, production moved
// by the mode (lockstep: one shared plan, a step done when every service has verified it; ordered: each
// service live before the next), every service drained, and only then every previous deployment torn
// down. Until the teardown, a service that fails or rolls back, or a rollback of the release, puts every
// service that moved back, in reverse order, production first (./release/roll-back.ts). The steps are in
// ./release/, over one shared context (./release/context.ts); the children hold where they are told
// (./blue-green/release-hold.ts).
import { allHandlersFinished, condition } from '@temporalio/workflow';
import type { DeploymentResult } from '../shared/deployment';
import type { ReleaseInput } from '../shared/release';
import { rollbackBecause } from './common/activities';
import { awaitApproval, awaitTests } from './common/gates';
import { concluded } from './common/outcome';
import { createReleaseContext, type ReleaseContext } from './release/context';
import { rollBackRelease } from './release/roll-back';
import { hearReports, startServices, tellAll } from './release/services';
import { installReleaseSteering } from './release/steering';
import { shiftTraffic } from './release/traffic';

export async function release(input: ReleaseInput): Promise<DeploymentResult> {
  const ctx = createReleaseContext(input);
  installReleaseSteering(ctx);
  hearReports(ctx);
  return concluded(await run(ctx));
}

async function run(ctx: ReleaseContext): Promise<DeploymentResult> {
  const { input, tracker, children, steering } = ctx;
  try {
    await ctx.main.run(async () => {
      tracker.enter('staging', `staging ${children.map((c) => c.label).join(', ')} side by side`);
      await startServices(ctx);
      await condition(() => children.every((c) => c.reached.has('staged')));
      const stageHosts = input.services.map((s) => s.spec.hosts.stage).join(', ');
      await awaitTests(ctx, stageHosts, input.testsTimeoutMs);
      if (input.approval.required) await awaitApproval(ctx, input.approval);
      await tellAll(ctx, { gatesOpen: true });
      await shiftTraffic(ctx);
    });
    // A rollback accepted as the last drain ended is still a rollback: nothing is torn down yet.
    if (steering.rollback.reason) throw rollbackBecause(steering.rollback.reason);
  } catch (err) {
    return await rollBackRelease(ctx, err);
  }

  // Past the point of no return: every service has drained.
  tracker.enter('tearing_down', 'every service has drained: tearing down the previous deployments');
  await tellAll(ctx, { teardown: true });
  await condition(() => children.every((c) => c.result));
  const notLive = children.filter((c) => c.result?.phase !== 'active');
  const leftovers = children.flatMap((c) => (c.result?.leftovers ?? []).map((l) => `${c.label}: ${l}`));
  await condition(allHandlersFinished);
  if (notLive.length) {
    const reason = notLive.map((c) => `${c.label} ${c.result?.phase}: ${c.result?.reason}`).join('; ');
    ctx.status.reason = reason;
    ctx.status.leftovers = leftovers;
    tracker.enter('failed', reason);
    return { deploymentId: ctx.releaseId, phase: 'failed', reason, leftovers };
  }
  tracker.enter('active', `every service is live: ${children.map((c) => c.label).join(', ')}`);
  return { deploymentId: ctx.releaseId, phase: 'active', leftovers: [] };
}
