// The end of a blue/green deployment: the drain (the previous deployment keeps serving what it has at
// weight 0; rollback stays instant), production read back as all on this deployment, then, past the point
// of no return, the previous deployment's service, revision and target group removed.
import { ApplicationFailure, patched, sleep } from '@temporalio/workflow';
import { formatDuration } from '../../shared/duration';
import { percentOn } from '../../shared/traffic';
import { aws } from '../common/activities';
import { sideBySide } from '../common/side-by-side';
import { localTrafficPath, verifyProductionBeforeTeardown } from '../patches';
import type { BlueGreenContext, Found, Staged } from './context';
import { failureTypes } from '../../shared/failures';

export async function drain(ctx: BlueGreenContext, found: Found, staged: Staged): Promise<void> {
  const { previous } = found;
  if (!previous) return;
  ctx.tracker.enter(
    'draining',
    `letting connections to ${previous.deploymentId} drain`,
    `the drain time (${formatDuration(ctx.spec.drainMs)}); rollback is instant until then`,
  );
  await sleep(ctx.spec.drainMs, { summary: `drain ${previous.deploymentId}` });
  if (patched(verifyProductionBeforeTeardown)) await verifyProductionIsMine(ctx, found, staged);
}

/** Nothing may be torn down unless production, read from AWS now, is all on this deployment. */
async function verifyProductionIsMine(ctx: BlueGreenContext, found: Found, staged: Staged): Promise<void> {
  // A regular activity, not a local one: a rollback sent while it runs is delivered before teardown.
  const rule = await aws.findHostRule({ listenerArn: found.listenerArn, host: ctx.spec.hosts.production });
  const percent = rule ? percentOn(staged.targetGroupArn, rule.targets) : 0;
  if (percent !== 100) {
    throw ApplicationFailure.nonRetryable(
      `before teardown, the production rule reads ${JSON.stringify(rule?.targets ?? [])}: someone changed it`,
      failureTypes.trafficNotVerified,
    );
  }
}

export async function teardownPrevious(ctx: BlueGreenContext, found: Found): Promise<void> {
  const { previous } = found;
  const { spec, tracker } = ctx;
  tracker.enter(
    'tearing_down',
    previous ? `tearing down ${previous.deploymentId}` : 'first deployment: nothing to tear down',
  );
  if (!previous) return;
  if (previous.deploymentId === 'unmanaged') {
    tracker.note(`left target group ${previous.targetGroupArn} in place: Switchyard did not create it`);
    return;
  }
  const removeService = async () =>
    previous.serviceName && (await aws.deleteService({ cluster: spec.cluster, name: previous.serviceName }));
  const removeRevision = async () =>
    previous.taskDefinitionArn && (await aws.deregisterTaskDefinition({ arn: previous.taskDefinitionArn }));
  if (patched(localTrafficPath)) await sideBySide(removeService(), removeRevision());
  else await removeService().then(removeRevision);
  // Last: a target group still referenced by a rule cannot be deleted, and the rule was verified above.
  await aws.deleteTargetGroup({ arn: previous.targetGroupArn });
  tracker.note(`removed ${previous.deploymentId}: service, task definition revision and target group`);
}
