// Application Auto Scaling of ECS services: read production's scalable target and target-tracking
// policies, give a new service the same (ALBRequestCountPerTarget pointed at its own target group),
// suspend and resume its scaling, remove it. https://docs.aws.amazon.com/autoscaling/application/APIReference/
import {
  DeregisterScalableTargetCommand,
  DescribeScalableTargetsCommand,
  DescribeScalingPoliciesCommand,
  DescribeScheduledActionsCommand,
  PutScalingPolicyCommand,
  RegisterScalableTargetCommand,
  type ApplicationAutoScalingClient,
  type ScalingPolicy,
  type TargetTrackingScalingPolicyConfiguration,
} from '@aws-sdk/client-application-auto-scaling';
import type { ServiceScaling, TargetTrackingConfiguration } from '../shared/adoption';
import { attempt, isAwsError, wrapAwsError } from './errors';

const ecs = { ServiceNamespace: 'ecs', ScalableDimension: 'ecs:service:DesiredCount' } as const;

/** Which of a target's scaling is suspended. */
export interface ScalingSuspension {
  scaleIn: boolean;
  scaleOut: boolean;
  scheduled: boolean;
}

/** What production's service scales by, and what of it Switchyard cannot carry over. */
export interface FoundScaling {
  scaling?: ServiceScaling;
  /** Policies that are not target tracking (a step policy's alarms are not the policy's own), by name. */
  notCarried: string[];
}

/** `service/<cluster name>/<service name>`: a cluster ARN's name is its last part. */
export function scalingResourceId(cluster: string, service: string): string {
  return `service/${cluster.split('/').pop()}/${service}`;
}

/**
 * A policy as the new service can have it: target tracking on a predefined metric (a customized metric
 * names production's own service or target group in its dimensions: the copy would track the old one).
 */
function carriedConfiguration(policy: ScalingPolicy): TargetTrackingConfiguration | undefined {
  const c = policy.TargetTrackingScalingPolicyConfiguration;
  if (policy.PolicyType !== 'TargetTrackingScaling' || !c || c.TargetValue === undefined) return undefined;
  if (!c.PredefinedMetricSpecification) return undefined;
  return {
    TargetValue: c.TargetValue,
    ...(c.PredefinedMetricSpecification
      ? {
          PredefinedMetricSpecification: {
            PredefinedMetricType: c.PredefinedMetricSpecification.PredefinedMetricType!,
            ...(c.PredefinedMetricSpecification.ResourceLabel
              ? { ResourceLabel: c.PredefinedMetricSpecification.ResourceLabel }
              : {}),
          },
        }
      : {}),
    ...(c.ScaleInCooldown !== undefined ? { ScaleInCooldown: c.ScaleInCooldown } : {}),
    ...(c.ScaleOutCooldown !== undefined ? { ScaleOutCooldown: c.ScaleOutCooldown } : {}),
    ...(c.DisableScaleIn !== undefined ? { DisableScaleIn: c.DisableScaleIn } : {}),
  };
}

export function createAutoScalingActivities(aas: ApplicationAutoScalingClient) {
  async function policiesOf(resourceId: string): Promise<ScalingPolicy[]> {
    const policies: ScalingPolicy[] = [];
    let next: string | undefined;
    do {
      const page = await attempt(`describe scaling policies of ${resourceId}`, () =>
        aas.send(new DescribeScalingPoliciesCommand({ ...ecs, ResourceId: resourceId, NextToken: next })),
      );
      // Exactly this resource's (a filter that matched by prefix would hand us a neighbour's).
      policies.push(...(page.ScalingPolicies ?? []).filter((p) => p.ResourceId === resourceId));
      next = page.NextToken;
    } while (next);
    return policies;
  }

  async function targetOf(resourceId: string) {
    const out = await attempt(`describe the scalable target ${resourceId}`, () =>
      aas.send(new DescribeScalableTargetsCommand({ ServiceNamespace: 'ecs', ResourceIds: [resourceId] })),
    );
    return out.ScalableTargets?.find(
      (t) => t.ResourceId === resourceId && t.ScalableDimension === ecs.ScalableDimension,
    );
  }

  return {
    /** The service's scalable target and target-tracking policies (none: no target registered). */
    async describeServiceScaling(input: { cluster: string; service: string }): Promise<FoundScaling> {
      const resourceId = scalingResourceId(input.cluster, input.service);
      const target = await targetOf(resourceId);
      if (!target) return { notCarried: [] };
      const policies = await policiesOf(resourceId);
      const carried = policies.flatMap((p) => {
        const configuration = carriedConfiguration(p);
        return configuration ? [{ name: p.PolicyName!, configuration }] : [];
      });
      // Scheduled actions are not carried either: they are named here, so nobody loses one unawares.
      const scheduled = await attempt(`describe the scheduled actions of ${resourceId}`, () =>
        aas.send(new DescribeScheduledActionsCommand({ ServiceNamespace: 'ecs', ResourceId: resourceId })),
      );
      return {
        scaling: { minCapacity: target.MinCapacity ?? 0, maxCapacity: target.MaxCapacity ?? 0, policies: carried },
        notCarried: [
          ...policies
            .filter((p) => !carriedConfiguration(p))
            .map((p) =>
              p.PolicyType === 'TargetTrackingScaling'
                ? `${p.PolicyName} (target tracking on a customized metric)`
                : `${p.PolicyName} (${p.PolicyType})`,
            ),
          ...(scheduled.ScheduledActions ?? [])
            .filter((a) => a.ResourceId === resourceId)
            .map((a) => `${a.ScheduledActionName} (scheduled action)`),
        ],
      };
    },

    /**
     * Registers the service's scalable target and puts its policies (both create or update: a retry is
     * harmless). ALBRequestCountPerTarget policies get `resourceLabel`, the service's own target group's.
     * Scaling can start suspended: a service that has no production traffic yet would otherwise shrink to
     * its minimum before it takes production's load (and one that scales out while it starts is never
     * steady at the count it was created with).
     */
    async applyServiceScaling(input: {
      cluster: string;
      service: string;
      scaling: ServiceScaling;
      resourceLabel: string;
      /** Dynamic scaling held in both directions (the workflow lifts it in steps). */
      suspended: boolean;
    }): Promise<void> {
      const resourceId = scalingResourceId(input.cluster, input.service);
      const { minCapacity, maxCapacity, policies } = input.scaling;
      await attempt(`register the scalable target ${resourceId} (${minCapacity}-${maxCapacity} tasks)`, () =>
        aas.send(
          new RegisterScalableTargetCommand({
            ...ecs,
            ResourceId: resourceId,
            MinCapacity: minCapacity,
            MaxCapacity: maxCapacity,
            SuspendedState: {
              DynamicScalingInSuspended: input.suspended,
              DynamicScalingOutSuspended: input.suspended,
            },
          }),
        ),
      );
      for (const policy of policies) {
        const predefined = policy.configuration.PredefinedMetricSpecification;
        const configuration: TargetTrackingConfiguration =
          predefined?.PredefinedMetricType === 'ALBRequestCountPerTarget'
            ? {
                ...policy.configuration,
                PredefinedMetricSpecification: { ...predefined, ResourceLabel: input.resourceLabel },
              }
            : policy.configuration;
        await attempt(`put the scaling policy ${policy.name} on ${resourceId}`, () =>
          aas.send(
            new PutScalingPolicyCommand({
              ...ecs,
              ResourceId: resourceId,
              PolicyName: policy.name,
              PolicyType: 'TargetTrackingScaling',
              // Our type names its fields as AWS does; its metric type is a string AWS checks.
              TargetTrackingScalingPolicyConfiguration: configuration as TargetTrackingScalingPolicyConfiguration,
            }),
          ),
        );
      }
    },

    /**
     * Sets the suspension flags given (the others stay as they are; min and max too) and returns the flags
     * as they were, for an undo to put back; undefined when the service has no scalable target.
     */
    async setScalingSuspended(input: {
      cluster: string;
      service: string;
      scaleIn?: boolean;
      scaleOut?: boolean;
      scheduled?: boolean;
    }): Promise<ScalingSuspension | undefined> {
      const resourceId = scalingResourceId(input.cluster, input.service);
      const target = await targetOf(resourceId);
      if (!target) return undefined;
      const s = target.SuspendedState;
      const before: ScalingSuspension = {
        scaleIn: Boolean(s?.DynamicScalingInSuspended),
        scaleOut: Boolean(s?.DynamicScalingOutSuspended),
        scheduled: Boolean(s?.ScheduledScalingSuspended),
      };
      const after = {
        scaleIn: input.scaleIn ?? before.scaleIn,
        scaleOut: input.scaleOut ?? before.scaleOut,
        scheduled: input.scheduled ?? before.scheduled,
      };
      const word = (suspended: boolean) => (suspended ? 'suspended' : 'on');
      await attempt(
        `set the scaling of ${resourceId}: in ${word(after.scaleIn)}, out ${word(after.scaleOut)}, scheduled ${word(after.scheduled)}`,
        () =>
          aas.send(
            new RegisterScalableTargetCommand({
              ...ecs,
              ResourceId: resourceId,
              // All three, always: the ones not given are sent as they were.
              SuspendedState: {
                DynamicScalingInSuspended: after.scaleIn,
                DynamicScalingOutSuspended: after.scaleOut,
                ScheduledScalingSuspended: after.scheduled,
              },
            }),
          ),
      );
      return before;
    },

    /** Deregisters the service's scalable target, which deletes its policies; none is fine (deleting the service removes it). */
    async removeServiceScaling(input: { cluster: string; service: string }): Promise<void> {
      const resourceId = scalingResourceId(input.cluster, input.service);
      try {
        await aas.send(new DeregisterScalableTargetCommand({ ...ecs, ResourceId: resourceId }));
      } catch (err) {
        if (isAwsError(err, 'ObjectNotFoundException')) return;
        throw wrapAwsError(`deregister the scalable target ${resourceId}`, err);
      }
    },
  };
}
