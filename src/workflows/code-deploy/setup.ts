// Before a CodeDeploy-mode deployment changes anything: the ECS service must use the CODE_DEPLOY
// deployment controller (checked first), the CodeDeploy application and deployment group must exist and
// deploy that service blue/green, the group's ready wait must hold traffic long enough for the gates (or
// the spec must accept a group that continues on its own), and no other deployment may be in flight in
// the group. Each miss is invalid input: nothing has been created.
import { ApplicationFailure } from '@temporalio/workflow';
import type { TrafficRouting } from '../../activities/codedeploy';
import { formatDuration } from '../../shared/duration';
import { failureTypes } from '../../shared/failures';
import { aws } from '../common/activities';
import type { CodeDeployContext, Setup } from './context';

const minute = 60_000;
const readyWaitMarginMs = 5 * minute;

export async function checkSetup(ctx: CodeDeployContext): Promise<Setup> {
  const { spec, tracker, status } = ctx;
  const { application, deploymentGroup } = spec.codeDeploy;
  const service = await aws.describeTaskSets({ cluster: spec.cluster, name: spec.ecsService });
  if (!service) refuse(`not found: ECS service ${spec.ecsService} in cluster ${spec.cluster}`);
  if (service.controller !== 'CODE_DEPLOY')
    refuse(
      `ECS service ${spec.ecsService} uses the ${service.controller} deployment controller: strategy codeDeploy deploys services whose controller is CODE_DEPLOY (deploy this one with strategy rolling or blueGreen)`,
    );
  const group = await aws.describeDeploymentGroup({
    application,
    deploymentGroup,
    deploymentConfig: spec.codeDeploy.deploymentConfig,
  });
  const cluster = spec.cluster.split('/').pop();
  if (!group.ecsServices.includes(`${cluster}/${spec.ecsService}`))
    refuse(
      `CodeDeploy deployment group ${application}/${deploymentGroup} deploys ${group.ecsServices.join(', ') || 'no ECS service'}, not ${cluster}/${spec.ecsService}`,
    );
  if (group.computePlatform !== undefined && group.computePlatform !== 'ECS')
    refuse(`CodeDeploy deployment group ${application}/${deploymentGroup} is for ${group.computePlatform}, not ECS`);
  if (group.deploymentType !== undefined && group.deploymentType !== 'BLUE_GREEN')
    refuse(
      `CodeDeploy deployment group ${application}/${deploymentGroup} deploys ${group.deploymentType}: ECS takes BLUE_GREEN`,
    );
  checkReadyWait(ctx, group.readyWait);
  const running = group.inFlight[0];
  if (running)
    refuse(
      `CodeDeploy deployment group ${application}/${deploymentGroup} already has a deployment in progress: ${running.id} (${running.status}). Wait for it to end, or stop it (aws deploy stop-deployment --deployment-id ${running.id} --auto-rollback-enabled)`,
    );
  const primary = service.taskSets.filter((t) => t.status === 'PRIMARY');
  if (primary.length !== 1 || service.taskSets.length !== 1)
    refuse(
      `ECS service ${spec.ecsService} is not steady on one task set (${service.taskSets.map((t) => `${t.status} ${t.taskDefinition}`).join(', ') || 'none'}): a deployment is under way or was left half done`,
    );
  const original = primary[0];
  const testPort = group.testListeners[0]
    ? (await aws.readListenerForward({ listenerArn: group.testListeners[0] })).port
    : undefined;
  const routing = group.deploymentConfig.routing;
  status.resources.serviceName = spec.ecsService;
  status.resources.listenerArn = group.productionListeners[0];
  tracker.note(
    `${application}/${deploymentGroup}: ${group.deploymentConfig.name} (${describeRouting(routing)}), ready wait ${group.readyWait.holds ? `${group.readyWait.waitMinutes} min` : 'none (continues on its own, accepted by the spec)'}, termination wait ${group.terminationWaitMinutes} min; production on ${original.taskDefinition}`,
  );
  return {
    group,
    original: {
      taskSetArn: original.arn,
      taskDefinition: original.taskDefinition,
      targetGroupArn: original.targetGroupArn,
    },
    ...(testPort ? { testPort } : {}),
    afterReadyMs: shiftMs(routing) + group.terminationWaitMinutes * minute,
  };
}

/**
 * The gates wait inside CodeDeploy's ready wait: it must hold traffic (STOP_DEPLOYMENT) for as long as
 * the tests and approval gates may take, or CodeDeploy stops the deployment while they wait.
 */
function checkReadyWait(ctx: CodeDeployContext, ready: { holds: boolean; waitMinutes: number }): void {
  const { spec } = ctx;
  const group = `${spec.codeDeploy.application}/${spec.codeDeploy.deploymentGroup}`;
  if (!ready.holds) {
    if (spec.codeDeploy.acceptAutoContinue) return;
    refuse(
      `CodeDeploy deployment group ${group} shifts production as soon as the replacement task set is up (deploymentReadyOption.actionOnTimeout CONTINUE_DEPLOYMENT): Switchyard's tests and approval gates could not hold it. ` +
        `Set the group's actionOnTimeout to STOP_DEPLOYMENT with a waitTimeInMinutes that covers the gates, or set codeDeploy.acceptAutoContinue: true to deploy without gates`,
    );
  }
  // CodeDeploy's clock starts at Ready, the gates' once Switchyard has seen it: a margin for that, and for
  // the ContinueDeployment after a gate that continues on its timeout.
  const gatesMs = spec.timeouts.testsMs + (spec.approval.required ? spec.approval.timeoutMs : 0) + readyWaitMarginMs;
  if (ready.waitMinutes * minute < gatesMs)
    refuse(
      `CodeDeploy deployment group ${group} holds traffic for ${ready.waitMinutes} min (deploymentReadyOption.waitTimeInMinutes), less than the gates may wait (${formatDuration(gatesMs)}: timeouts.tests${spec.approval.required ? ' + approval.timeout' : ''} + ${formatDuration(readyWaitMarginMs)} margin): CodeDeploy would stop the deployment while they wait. ` +
        `Raise the group's waitTimeInMinutes, or lower the gates' timeouts`,
    );
}

/** How long the config takes to shift all of production (every interval of a canary or linear config). */
function shiftMs(routing: TrafficRouting): number {
  const interval = (routing.intervalMinutes ?? 0) * minute;
  if (routing.type === 'TimeBasedCanary') return interval;
  if (routing.type === 'TimeBasedLinear') return Math.ceil(100 / (routing.percentage || 100)) * interval;
  return 0;
}

export function describeRouting(routing: TrafficRouting): string {
  if (routing.type === 'TimeBasedCanary')
    return `${routing.percentage}% for ${routing.intervalMinutes} min, then the rest`;
  if (routing.type === 'TimeBasedLinear') return `${routing.percentage}% more every ${routing.intervalMinutes} min`;
  return 'all at once';
}

function refuse(message: string): never {
  throw ApplicationFailure.nonRetryable(message, failureTypes.prerequisite);
}
