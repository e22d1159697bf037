// Staging: a complete new copy of the service beside production (a task definition revision, a target
// group, the stage host's rule and record, an ECS service), steady with healthy targets, and the stage
// record in sync on every Route 53 name server before CI is told to test. Every step pushes its undo
// before it runs.
import { ApplicationFailure, patched } from '@temporalio/workflow';
import { failureTypes } from '../../shared/failures';
import { albResourceLabel, type ServiceFieldsSpec, type ServiceScaling } from '../../shared/adoption';
import type { DeploymentSpec, NetworkSpec } from '../../shared/deployment';
import { launchOf } from '../../shared/launch';
import { aws, undo, waitOptions } from '../common/activities';
import { registerRevision } from '../common/revision';
import { sideBySide } from '../common/side-by-side';
import { attachBeforeService, stageDnsInSync, stagingSideBySide } from '../patches';
import type { BlueGreenContext, Found, Staged } from './context';

export async function stage(ctx: BlueGreenContext, found: Found): Promise<Staged> {
  const { spec, names, tags, deploymentId, tracker, status, undos, roles } = ctx;
  const { lb, zoneId, listenerArn } = found;
  // Steps that do not need each other run side by side (one workflow task, not two), since the patch.
  const parallel = patched(stagingSideBySide);
  const together = async <A, B>(a: () => Promise<A>, b: () => Promise<B>): Promise<[A, B]> =>
    parallel ? sideBySide(a(), b()) : [await a(), await b()];

  const registerStagedRevision = () =>
    registerRevision(
      ctx,
      {
        names,
        family: names.family,
        taskDefinition: spec.taskDefinition,
        containerName: spec.container.name,
        image: found.image,
        tags,
        deploymentId,
      },
      'both',
    );
  const launch = launchOf(spec.taskDefinition, spec.capacityProviderStrategy);
  // Production's count at least (since adopt-live-service); the spec's desiredCount before.
  const desiredCount = found.capacity?.startCount ?? spec.desiredCount;
  const createTargetGroup = async () => {
    undos.push('target group', () => undo.deleteTargetGroup({ name: names.targetGroup }));
    return aws.createTargetGroup({
      name: names.targetGroup,
      vpcId: lb.vpcId,
      port: spec.container.port,
      targetType: launch.targetType,
      healthCheck: spec.healthCheck,
      deregistrationDelaySeconds: deregistrationDelaySeconds(spec.drainMs),
      tags,
    });
  };
  const [taskDefinitionArn, targetGroupArn] = await together(registerStagedRevision, createTargetGroup);
  status.resources.targetGroupArn = targetGroupArn;

  const createService = async () => {
    await roles.propagated();
    undos.push('service', () => undo.deleteService({ cluster: spec.cluster, name: names.ecsService }));
    const network: NetworkSpec = spec.network ?? {
      subnets: lb.subnetIds,
      securityGroups: lb.securityGroupIds,
      assignPublicIp: false,
    };
    await aws.createService({
      cluster: spec.cluster,
      name: names.ecsService,
      taskDefinitionArn,
      targetGroupArn,
      containerName: spec.container.name,
      containerPort: spec.container.port,
      desiredCount,
      network,
      launch,
      serviceFields: serviceFieldsOf(spec),
      tags,
      healthCheckGracePeriodSeconds:
        spec.healthCheckGracePeriodMs === undefined ? undefined : Math.round(spec.healthCheckGracePeriodMs / 1000),
    });
    status.resources.serviceName = names.ecsService;
    tracker.note(`created service ${names.ecsService} behind target group ${names.targetGroup}`);
    const scaling = found.capacity?.scaling;
    if (scaling) await applyScaling(ctx, found, scaling, targetGroupArn);
  };

  const stageRule = async () => {
    undos.push('stage rule', () => undo.deleteHostRule({ listenerArn, host: spec.hosts.stage }));
    status.resources.stageRuleArn = (
      await aws.putHostRule({ listenerArn, host: spec.hosts.stage, targets: [{ targetGroupArn, weight: 100 }], tags })
    ).ruleArn;
  };
  let stageChange: string | undefined;
  const stageRecord = async () => {
    undos.push('stage DNS record', () => undo.deleteRecord({ zoneId, name: spec.hosts.stage }));
    stageChange = await aws.upsertAliasRecord({
      zoneId,
      name: spec.hosts.stage,
      targetDnsName: lb.dnsName,
      targetZoneId: lb.canonicalHostedZoneId,
    });
  };
  // Undone in reverse: the service goes before the rule that attaches its target group, the rule
  // before the target group (which cannot be deleted while a rule forwards to it).
  if (patched(attachBeforeService)) {
    await together(stageRule, stageRecord);
    tracker.note(`stage host ${spec.hosts.stage} routes to the new target group`);
    await createService();
  } else {
    await createService();
    await together(stageRule, stageRecord);
    tracker.note(`stage host ${spec.hosts.stage} routes to the new target group`);
  }

  tracker.enter(
    'staging',
    'waiting for the new service to be steady and its targets healthy',
    'the new tasks to run and pass health checks',
  );
  const deadline = Date.now() + spec.timeouts.steadyMs;
  const every = ctx.pollIntervalMs;
  await aws.waitForServiceSteady.executeWithOptions(
    waitOptions(spec.timeouts.steadyMs, `wait for ${names.ecsService}: ${desiredCount} running`),
    [{ cluster: spec.cluster, name: names.ecsService, desiredCount, deadline, intervalMs: every }],
  );
  await aws.waitForTargetsHealthy.executeWithOptions(
    waitOptions(spec.timeouts.steadyMs, `wait for ${desiredCount} healthy targets in ${names.targetGroup}`),
    [{ targetGroupArn, minHealthy: desiredCount, deadline, intervalMs: every }],
  );
  tracker.note(`service steady with ${desiredCount} healthy targets`);
  if (found.capacity?.scaling) {
    // Steady at the count it started with: it may scale out now (stage traffic, production's share).
    await aws.setScalingSuspended({ cluster: spec.cluster, service: names.ecsService, scaleOut: false });
    tracker.note(`${names.ecsService} may scale out now; scale-in waits until production is all on it`);
  }
  // CI resolves the stage host next: not before every Route 53 name server has the record. (An upsert
  // recorded before the activity returned its change id has none to wait for.)
  if (stageChange && patched(stageDnsInSync)) {
    await aws.waitForDnsChange.executeWithOptions(
      waitOptions(spec.timeouts.steadyMs, `wait for ${spec.hosts.stage} to be INSYNC`),
      [{ changeId: stageChange, deadline: Date.now() + spec.timeouts.steadyMs, intervalMs: every }],
    );
    tracker.note(`${spec.hosts.stage} is in sync on every Route 53 name server`);
  }
  return { taskDefinitionArn, targetGroupArn };
}

/**
 * The new service's scalable target and policies, ALBRequestCountPerTarget on its own target group.
 * Scale-in stays suspended until production is all on it (traffic.ts lifts it): with no production
 * traffic yet, it would shrink to its minimum before it takes production's load. Removed on rollback
 * before the service (the undo runs first).
 */
async function applyScaling(
  ctx: BlueGreenContext,
  found: Found,
  scaling: ServiceScaling,
  targetGroupArn: string,
): Promise<void> {
  const { spec, names, undos, tracker } = ctx;
  const target = { cluster: spec.cluster, service: names.ecsService };
  undos.push('autoscaling', () => undo.removeServiceScaling(target));
  const resourceLabel = albResourceLabel(found.lb.arn, targetGroupArn);
  const byRequests = scaling.policies.some(
    (p) => p.configuration.PredefinedMetricSpecification?.PredefinedMetricType === 'ALBRequestCountPerTarget',
  );
  if (byRequests && !resourceLabel)
    throw ApplicationFailure.nonRetryable(
      `ALBRequestCountPerTarget needs an application load balancer's target group: no resource label can be made of ${found.lb.arn} and ${targetGroupArn}`,
      failureTypes.prerequisite,
    );
  await aws.applyServiceScaling({
    ...target,
    scaling,
    resourceLabel: resourceLabel ?? '',
    suspended: true,
  });
  tracker.note(
    `autoscaling ${scaling.minCapacity}-${scaling.maxCapacity} tasks with ${scaling.policies.map((p) => p.name).join(', ') || 'no policies'} (held until the service is steady; scale-in until production is on it)`,
  );
}

/** The ECS service fields the spec passes through as they are. */
function serviceFieldsOf(spec: DeploymentSpec): ServiceFieldsSpec {
  const { placementConstraints, placementStrategy, serviceRegistries, enableExecuteCommand, propagateTags } = spec;
  return Object.fromEntries(
    Object.entries({
      placementConstraints,
      placementStrategy,
      serviceRegistries,
      enableExecuteCommand,
      propagateTags,
    }).filter(([, v]) => v !== undefined),
  );
}

/**
 * The target group's deregistration delay, from the spec's drain. They bound different waits: the drain
 * is how long the previous deployment keeps serving the requests it has at weight 0 before teardown;
 * the delay is how long the load balancer lets requests in flight finish on a target ECS deregisters
 * (at teardown or rollback). The drain decides when teardown starts. AWS caps the delay at 3600 s
 * (deregistration_delay.timeout_seconds), so a longer drain gets 3600 s.
 */
function deregistrationDelaySeconds(drainMs: number): number {
  return Math.min(3600, Math.round(drainMs / 1000));
}
