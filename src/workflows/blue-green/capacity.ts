// How big the new service starts and how it scales: never smaller than production is now (an autoscaled
// production at 40 tasks does not cut over to the spec's 2), within the scalable target's bounds, with
// production's Application Auto Scaling copied (or the spec's own). For a production Switchyard did not
// create, the ECS service behind it is found first: it is what adopt.retire acts on after the shift.
import { ApplicationFailure } from '@temporalio/workflow';
import type { ServingService } from '../../activities/ecs';
import { scalingOfSpec, startingCount, type ServiceScaling } from '../../shared/adoption';
import type { PreviousDeployment } from '../../shared/deployment';
import { failureTypes } from '../../shared/failures';
import { aws } from '../common/activities';
import type { BlueGreenContext, Capacity } from './context';

export async function readCapacity(ctx: BlueGreenContext, previous?: PreviousDeployment): Promise<Capacity> {
  const { spec, tracker } = ctx;
  let productionService: string | undefined;
  let adoptedService: string | undefined;
  let productionCount = 0;
  if (previous?.deploymentId === 'unmanaged') {
    const serving = await findAdopted(ctx, previous.targetGroupArn);
    if (serving && ctx.spec.adopt?.retire === 'scaleToZero') refuseWiderRetirement(serving, previous.targetGroupArn);
    if (serving) {
      adoptedService = productionService = serving.name;
      productionCount = Math.max(serving.desiredCount, serving.runningCount);
    } else {
      // Not an ECS service of this cluster (instances, another cluster): what serves it is what is healthy.
      productionCount = (await aws.countTargetHealth({ targetGroupArn: previous.targetGroupArn })).healthy;
    }
  } else if (previous?.serviceName) {
    productionService = previous.serviceName;
    productionCount = previous.tasks ?? 0;
  }
  const scaling = await scalingFor(ctx, productionService);
  const startCount = startingCount(spec.desiredCount, productionCount, scaling);
  tracker.note(
    `the new service starts with ${startCount} task(s) (production: ${productionCount}, spec: ${spec.desiredCount}` +
      `${scaling ? `, autoscaling ${scaling.minCapacity}-${scaling.maxCapacity} with ${scaling.policies.length} polic(ies)` : ''})`,
  );
  return { startCount, productionCount, scaling, adoptedService };
}

/** Scaling to 0 a service that also serves other target groups would cut traffic Switchyard never moved. */
function refuseWiderRetirement(service: ServingService, production: string): void {
  const others = service.targetGroupArns.filter((arn) => arn !== production);
  if (others.length)
    throw prerequisite(
      `adopt.retire: scaleToZero would also cut ${service.name}'s other target group(s) ${others.join(', ')}, which Switchyard does not move: use retire: leave`,
    );
}

function prerequisite(message: string): ApplicationFailure {
  return ApplicationFailure.nonRetryable(message, failureTypes.prerequisite);
}

/** The ECS service behind production's target group: the spec's adopt.service, or the one found serving it. */
async function findAdopted(ctx: BlueGreenContext, targetGroupArn: string): Promise<ServingService | undefined> {
  const { spec } = ctx;
  const named = spec.adopt?.service;
  if (named) {
    const service = await aws.findServingService({ cluster: spec.cluster, name: named });
    if (!service) throw prerequisite(`adopt.service: ${named} is not an active service in ${spec.cluster}`);
    if (!service.targetGroupArns.includes(targetGroupArn))
      throw prerequisite(
        `adopt.service: ${named} does not serve production's target group ${targetGroupArn} (it serves ${service.targetGroupArns.join(', ') || 'none'})`,
      );
    return service;
  }
  const serving = await aws.findServicesBehind({ cluster: spec.cluster, targetGroupArn });
  if (serving.length > 1)
    throw prerequisite(
      `production's target group ${targetGroupArn} is served by ${serving.map((s) => s.name).join(', ')}: set adopt.service to the one production runs on`,
    );
  return serving[0];
}

async function scalingFor(ctx: BlueGreenContext, productionService?: string): Promise<ServiceScaling | undefined> {
  const wanted = ctx.spec.autoScaling;
  if (!wanted) return undefined;
  if (!('from' in wanted)) return scalingOfSpec(wanted);
  const { cluster } = ctx.spec;
  if (!productionService)
    throw prerequisite(
      'autoScaling.from: production, but no ECS service serves production yet: give autoScaling minCapacity, maxCapacity and policies',
    );
  const found = await aws.describeServiceScaling({ cluster, service: productionService });
  if (!found.scaling)
    throw prerequisite(
      `autoScaling.from: production, but ${productionService} has no scalable target: give autoScaling minCapacity, maxCapacity and policies, or remove autoScaling`,
    );
  if (found.notCarried.length)
    throw prerequisite(
      `${productionService} also scales by ${found.notCarried.join(', ')}, which Switchyard does not carry over (target tracking on predefined metrics only: a step policy's alarms, a customized metric's dimensions and a schedule name production's own resources): write autoScaling's bounds and policies in the spec`,
    );
  return found.scaling;
}
