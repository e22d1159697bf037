// Blue/green deployment of one ECS service, top to bottom: stage a complete new copy, wait for the tests
// and approval gates, switch production, drain, tear down the previous copy. Every side effect pushes its
// (idempotent, name-based) undo *before* it runs, so a rollback, a failure or a cancellation at any point
// restores production first and then removes what was staged.
import {
  ActivityCancellationType,
  allHandlersFinished,
  ApplicationFailure,
  CancellationScope,
  condition,
  isCancellation,
  proxyActivities,
  setHandler,
  sleep,
  type ActivityOptions,
  type RetryPolicy,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { LoadBalancerSummary } from '../activities/elbv2';
import type { DeploymentInput, DeploymentResult, NetworkSpec, PreviousDeployment } from '../shared/deployment';
import { formatDuration } from '../shared/duration';
import { deploymentTags, resourceNames, tagKeys } from '../shared/naming';
import { CompensationStack } from './common/compensation';
import { DeploymentTracker } from './common/tracker';
import { approveSignal, rollbackSignal, statusQuery, testsFailedSignal, testsPassedSignal } from './messages';

const retry: RetryPolicy = { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s', maximumAttempts: 10 };
// WAIT_CANCELLATION_COMPLETED: on rollback, an in-flight create finishes before its undo runs.
const aws = proxyActivities<Activities>({
  startToCloseTimeout: '2m',
  retry: { ...retry, nonRetryableErrorTypes: ['WaitFailed', 'DeadlineExceeded', 'InvalidForward', 'NoRulePriority'] },
  cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
});
const undo = proxyActivities<Activities>({ startToCloseTimeout: '2m', retry: { ...retry, maximumInterval: '1m', maximumAttempts: 30 } });

const executionRolePolicy = 'service-role/AmazonECSTaskExecutionRolePolicy';

/** Thrown inside the workflow to roll back for a reason that is not an error (gate timeout, tests failed). */
function rollbackBecause(reason: string): ApplicationFailure {
  return ApplicationFailure.nonRetryable(reason, 'Rollback');
}

export async function blueGreenDeployment(input: DeploymentInput): Promise<DeploymentResult> {
  const { spec, deploymentId } = input;
  const names = resourceNames(spec, deploymentId);
  const tags = deploymentTags(spec, deploymentId);
  const tracker = new DeploymentTracker(input);
  const status = tracker.status;
  const undos = new CompensationStack();
  const pollIntervalMs = input.pollIntervalMs ?? 5_000;
  let testsVerdict: 'passed' | 'failed' | undefined;
  let approved = false;
  let rollbackReason: string | undefined;
  const main = new CancellationScope();

  setHandler(statusQuery, () => status);
  setHandler(testsPassedSignal, (msg) => {
    if (tracker.phase !== 'awaiting_tests') return tracker.ignored('tests passed', `the deployment is ${tracker.phase}`);
    testsVerdict = 'passed';
    status.testsReportedBy = msg?.by;
  });
  setHandler(testsFailedSignal, (msg) => {
    if (tracker.phase !== 'awaiting_tests') return tracker.ignored('tests failed', `the deployment is ${tracker.phase}`);
    testsVerdict = 'failed';
    status.testsReportedBy = msg?.by;
    status.reason = `tests failed${msg?.by ? ` (reported by ${msg.by})` : ''}${msg?.reason ? `: ${msg.reason}` : ''}`;
  });
  setHandler(approveSignal, (msg) => {
    if (tracker.phase !== 'awaiting_approval') return tracker.ignored('approval', `the deployment is ${tracker.phase}`);
    approved = true;
    status.approvedBy = msg?.by ?? 'unknown';
    tracker.note(`approved by ${status.approvedBy}`);
  });
  setHandler(rollbackSignal, (msg) => {
    const rollbackable = ['staging', 'awaiting_tests', 'awaiting_approval', 'activating', 'draining'];
    if (!rollbackable.includes(tracker.phase)) return tracker.ignored('rollback', `the deployment is ${tracker.phase}`);
    if (rollbackReason) return;
    status.rollbackRequestedBy = msg?.by ?? 'unknown';
    rollbackReason = `rollback requested by ${status.rollbackRequestedBy}${msg?.reason ? `: ${msg.reason}` : ''}`;
    tracker.note(rollbackReason);
    main.cancel();
  });

  // ---- stage, gates, activate and drain: all undone by a rollback -------------------------------------
  try {
    await main.run(async () => {
      tracker.enter('staging', `staging ${spec.image} for ${spec.service}/${spec.environment}`);
      const { lb, zoneId } = await checkPrerequisites();
      await stage(lb, zoneId);
      await testsGate();
      await approvalGate();
      await activate(lb, zoneId);
      await drain();
    });
  } catch (err) {
    return await rollBack(err);
  }

  // ---- teardown of the previous deployment: past the point of no return ------------------------------
  tracker.enter('tearing_down', status.previous ? `tearing down ${status.previous.deploymentId}` : 'first deployment: nothing to tear down');
  await teardownPrevious();
  tracker.enter('active', `${deploymentId} is live on ${spec.hosts.production}`);
  await condition(allHandlersFinished);
  return { deploymentId, phase: 'active', leftovers: [] };

  // ---- the phases ------------------------------------------------------------------------------------

  /** What must exist before anything is created: the cluster, the load balancer and the hosted zone. */
  async function checkPrerequisites(): Promise<{ lb: LoadBalancerSummary; zoneId: string }> {
    const [cluster, found, zone] = await Promise.all([
      aws.findCluster(spec.cluster),
      aws.findLoadBalancer(spec.loadBalancer.name),
      aws.findHostedZone(spec.hostedZone),
    ]);
    const missing = [
      cluster?.status !== 'ACTIVE' && `ECS cluster ${spec.cluster}`,
      !found && `load balancer ${spec.loadBalancer.name}`,
      !zone && `hosted zone ${spec.hostedZone}`,
    ].filter(Boolean);
    if (missing.length || !found || !zone) throw ApplicationFailure.nonRetryable(`not found: ${missing.join(', ')}`, 'Prerequisite');
    status.resources.loadBalancerArn = found.arn;
    status.resources.listenerArn = await aws.ensureListener({ loadBalancerArn: found.arn, port: spec.loadBalancer.listenerPort });
    status.previous = await findLiveDeployment(status.resources.listenerArn);
    tracker.note(status.previous ? `live now: ${status.previous.deploymentId}` : 'no deployment is live yet');
    return { lb: found, zoneId: zone.id };
  }

  /** What production forwards to now, read from AWS: the rule's target group and its Switchyard tags. */
  async function findLiveDeployment(listenerArn: string): Promise<PreviousDeployment | undefined> {
    const rule = await aws.findHostRule({ listenerArn, host: spec.hosts.production });
    const live = rule?.targets.filter((t) => t.weight > 0) ?? [];
    if (!rule || live.length === 0) return undefined;
    status.resources.productionRuleArn = rule.ruleArn;
    const allTags = await aws.describeTargetGroupTags(live.map((t) => t.targetGroupArn));
    const [targetGroupArn, groupTags] = Object.entries(allTags).find(([, t]) => t[tagKeys.service] === spec.service && t[tagKeys.environment] === spec.environment) ?? [live[0].targetGroupArn, {}];
    const previousId = groupTags[tagKeys.deployment];
    if (!previousId) return { deploymentId: 'unmanaged', targetGroupArn };
    const serviceName = resourceNames(spec, previousId).ecsService;
    const service = await aws.findService({ cluster: spec.cluster, name: serviceName });
    return { deploymentId: previousId, targetGroupArn, serviceName, taskDefinitionArn: service?.taskDefinition };
  }

  async function stage(lb: LoadBalancerSummary, zoneId: string): Promise<void> {
    const [taskRoleArn, executionRoleArn] = await Promise.all([
      aws.ensureTaskRole({ name: names.taskRole, managedPolicies: [], tags }),
      aws.ensureTaskRole({ name: names.executionRole, managedPolicies: [executionRolePolicy], tags }),
    ]);

    undos.push('task definition', () => undo.deregisterTaskDefinition({ family: names.family, deploymentId }));
    status.resources.taskDefinitionArn = await aws.registerTaskDefinition({
      family: names.family, taskDefinition: spec.taskDefinition, containerName: spec.container.name, image: spec.image,
      taskRoleArn, executionRoleArn, tags, deploymentId,
    });
    tracker.note(`registered ${status.resources.taskDefinitionArn}`);

    undos.push('target group', () => undo.deleteTargetGroup({ name: names.targetGroup }));
    const targetGroupArn = await aws.createTargetGroup({ name: names.targetGroup, vpcId: lb.vpcId, port: spec.container.port, healthCheck: spec.healthCheck, tags });
    status.resources.targetGroupArn = targetGroupArn;

    undos.push('service', () => undo.deleteService({ cluster: spec.cluster, name: names.ecsService }));
    const network: NetworkSpec = spec.network ?? { subnets: lb.subnetIds, securityGroups: lb.securityGroupIds, assignPublicIp: false };
    await aws.createService({
      cluster: spec.cluster, name: names.ecsService, taskDefinitionArn: status.resources.taskDefinitionArn, targetGroupArn,
      containerName: spec.container.name, containerPort: spec.container.port, desiredCount: spec.desiredCount, network, tags,
    });
    status.resources.serviceName = names.ecsService;
    tracker.note(`created service ${names.ecsService} behind target group ${names.targetGroup}`);

    const listenerArn = status.resources.listenerArn!;
    undos.push('stage rule', () => undo.deleteHostRule({ listenerArn, host: spec.hosts.stage }));
    const stageRule = await aws.putHostRule({ listenerArn, host: spec.hosts.stage, targets: [{ targetGroupArn, weight: 100 }], tags });
    status.resources.stageRuleArn = stageRule.ruleArn;
    undos.push('stage DNS record', () => undo.deleteRecord({ zoneId, name: spec.hosts.stage }));
    await aws.upsertAliasRecord({ zoneId, name: spec.hosts.stage, targetDnsName: lb.dnsName, targetZoneId: lb.canonicalHostedZoneId });
    tracker.note(`stage host ${spec.hosts.stage} routes to the new target group`);

    tracker.enter('staging', 'waiting for the new service to be steady and its targets healthy', 'the new tasks to run and pass health checks');
    const deadline = Date.now() + spec.timeouts.steadyMs;
    const waitOptions: ActivityOptions = { startToCloseTimeout: spec.timeouts.steadyMs + 60_000, heartbeatTimeout: '1m', retry: { maximumAttempts: 3 } };
    await aws.waitForServiceSteady.executeWithOptions(
      { ...waitOptions, summary: `wait for ${names.ecsService}: ${spec.desiredCount} running` },
      [{ cluster: spec.cluster, name: names.ecsService, desiredCount: spec.desiredCount, deadline, intervalMs: pollIntervalMs }],
    );
    await aws.waitForTargetsHealthy.executeWithOptions(
      { ...waitOptions, summary: `wait for ${spec.desiredCount} healthy targets in ${names.targetGroup}` },
      [{ targetGroupArn, minHealthy: spec.desiredCount, deadline, intervalMs: pollIntervalMs }],
    );
    tracker.note(`service steady with ${spec.desiredCount} healthy targets`);
  }

  async function testsGate(): Promise<void> {
    tracker.enter('awaiting_tests', `ready for tests on ${spec.hosts.stage}`, `tests passed / tests failed (timeout ${formatDuration(spec.timeouts.testsMs)})`);
    const answered = await condition(() => testsVerdict !== undefined, spec.timeouts.testsMs);
    if (!answered) throw rollbackBecause(`no test result within ${formatDuration(spec.timeouts.testsMs)}`);
    if (testsVerdict === 'failed') throw rollbackBecause(status.reason ?? 'tests failed');
    tracker.note(`tests passed${status.testsReportedBy ? ` (reported by ${status.testsReportedBy})` : ''}`);
  }

  async function approvalGate(): Promise<void> {
    if (!spec.approval.required) return;
    const timeout = formatDuration(spec.approval.timeoutMs);
    tracker.enter('awaiting_approval', 'waiting for approval', `approve or rollback (timeout ${timeout}, then ${spec.approval.onTimeout})`);
    if (await condition(() => approved, spec.approval.timeoutMs)) return;
    if (spec.approval.onTimeout === 'rollback') throw rollbackBecause(`not approved within ${timeout}`);
    tracker.note(`not approved within ${timeout}: continuing, as the spec says`);
  }

  async function activate(lb: LoadBalancerSummary, zoneId: string): Promise<void> {
    tracker.enter('activating', `switching ${spec.hosts.production} to ${deploymentId}`);
    const listenerArn = status.resources.listenerArn!;
    const targetGroupArn = status.resources.targetGroupArn!;
    const previous = status.previous;
    if (previous) {
      undos.push('production traffic', () =>
        undo.putHostRule({ listenerArn, host: spec.hosts.production, targets: [{ targetGroupArn: previous.targetGroupArn, weight: 100 }], tags: [] }).then(() => undefined),
      );
    } else {
      if (!(await aws.recordExists({ zoneId, name: spec.hosts.production }))) {
        undos.push('production DNS record', () => undo.deleteRecord({ zoneId, name: spec.hosts.production }));
      }
      undos.push('production rule', () => undo.deleteHostRule({ listenerArn, host: spec.hosts.production }));
    }
    const rule = await aws.putHostRule({ listenerArn, host: spec.hosts.production, targets: [{ targetGroupArn, weight: 100 }], tags });
    const live = rule.targets.filter((t) => t.weight > 0);
    if (live.length !== 1 || live[0].targetGroupArn !== targetGroupArn) {
      throw ApplicationFailure.nonRetryable(`the production rule reads back ${JSON.stringify(rule.targets)}, not the new target group`, 'TrafficNotVerified');
    }
    status.resources.productionRuleArn = rule.ruleArn;
    await aws.upsertAliasRecord({ zoneId, name: spec.hosts.production, targetDnsName: lb.dnsName, targetZoneId: lb.canonicalHostedZoneId });
    tracker.note(`production traffic verified on ${names.targetGroup}`);

    await aws.deleteHostRule({ listenerArn, host: spec.hosts.stage });
    await aws.deleteRecord({ zoneId, name: spec.hosts.stage });
    undos.drop('stage rule');
    undos.drop('stage DNS record');
    status.resources.stageRuleArn = undefined;
    tracker.note('stage rule and DNS record removed');
  }

  async function drain(): Promise<void> {
    if (!status.previous) return;
    tracker.enter('draining', `letting connections to ${status.previous.deploymentId} drain`, `the drain time (${formatDuration(spec.drainMs)}); rollback is instant until then`);
    await sleep(spec.drainMs, { summary: `drain ${status.previous.deploymentId}` });
  }

  async function teardownPrevious(): Promise<void> {
    const previous = status.previous;
    if (!previous) return;
    if (previous.deploymentId === 'unmanaged') {
      tracker.note(`left target group ${previous.targetGroupArn} in place: Switchyard did not create it`);
      return;
    }
    if (previous.serviceName) await aws.deleteService({ cluster: spec.cluster, name: previous.serviceName });
    if (previous.taskDefinitionArn) await aws.deregisterTaskDefinition({ arn: previous.taskDefinitionArn });
    // Last: a target group still referenced by a rule cannot be deleted, and the rule was verified above.
    await aws.deleteTargetGroup({ arn: previous.targetGroupArn });
    tracker.note(`removed ${previous.deploymentId}: service, task definition revision and target group`);
  }

  async function rollBack(err: unknown): Promise<DeploymentResult> {
    const failure = err instanceof ApplicationFailure && err.type === 'Rollback' ? undefined : err;
    const reason = rollbackReason ?? (failure ? (isCancellation(failure) ? 'the deployment was cancelled' : describeFailure(failure)) : (err as Error).message);
    status.reason = reason;
    tracker.enter('rolling_back', `rolling back: ${reason}`);
    const leftovers = await undos.runAll((label) => tracker.note(`undo: ${label}`));
    status.leftovers = leftovers;
    // Cleaned up completely: rolled back (whatever the cause). Anything left behind: failed, and said what.
    const phase = leftovers.length ? 'failed' : 'rolled_back';
    tracker.enter(phase, leftovers.length ? `${reason}; could not clean up: ${leftovers.join(', ')}` : reason);
    await condition(allHandlersFinished);
    return { deploymentId, phase, reason, leftovers };
  }
}

function describeFailure(err: unknown): string {
  let current = err as { message?: string; cause?: unknown } | undefined;
  // Activity failures wrap the activity's own error: its message says what was attempted.
  while (current?.cause) current = current.cause as typeof current;
  return `failed: ${current?.message ?? String(err)}`;
}

