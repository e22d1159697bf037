// Application Auto Scaling of ECS services: read production's scalable target and target-tracking
// policies, give a new service the same (ALBRequestCountPerTarget pointed at its own target group),
// suspend and resume its scaling, remove it. https://docs.aws.amazon.com/autoscaling/application/APIReference/
import {
  DeregisterScalableTargetCommand,
  DescribeScalableTargetsCommand,
  DescribeScalingPoliciesCommand,
  PutScalingPolicyCommand,
  RegisterScalableTargetCommand,
  type ApplicationAutoScalingClient,
  type ScalingPolicy,
  type TargetTrackingScalingPolicyConfiguration,
} from '@aws-sdk/client-application-auto-scaling';
import type { ServiceScaling, TargetTrackingConfiguration } from '../shared/adoption';
import { attempt, isAwsError, wrapAwsError } from './errors';

const ecs = { ServiceNamespace: 'ecs', ScalableDimension: 'ecs:service:DesiredCount' } as const;

/** What production's service scales by, and what of it Switchyard cannot carry over. */
export interface FoundScaling {
  scaling?: ServiceScaling;
  /** Policies that are not target tracking (a step policy's alarms are not the policy's own), by name. */
  notCarried: string[];
  /** Whether the target's dynamic scaling is suspended now. */
  suspended: boolean;
}

/** `service/<cluster name>/<service name>`: a cluster ARN's name is its last part. */
export function scalingResourceId(cluster: string, service: string): string {
  return `service/${cluster.split('/').pop()}/${service}`;
}

function carriedConfiguration(policy: ScalingPolicy): TargetTrackingConfiguration | undefined {
  const c = policy.TargetTrackingScalingPolicyConfiguration;
  if (policy.PolicyType !== 'TargetTrackingScaling' || !c || c.TargetValue === undefined) return undefined;
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
    ...(c.CustomizedMetricSpecification
      ? { CustomizedMetricSpecification: c.CustomizedMetricSpecification as Record<string, unknown> }
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
      if (!target) return { notCarried: [], suspended: false };
      const policies = await policiesOf(resourceId);
      const carried = policies.flatMap((p) => {
        const configuration = carriedConfiguration(p);
        return configuration ? [{ name: p.PolicyName!, configuration }] : [];
      });
      const s = target.SuspendedState;
      return {
        scaling: { minCapacity: target.MinCapacity ?? 0, maxCapacity: target.MaxCapacity ?? 0, policies: carried },
        notCarried: policies.filter((p) => !carriedConfiguration(p)).map((p) => `${p.PolicyName} (${p.PolicyType})`),
        suspended: Boolean(s?.DynamicScalingInSuspended || s?.DynamicScalingOutSuspended),
      };
    },

    /**
     * Registers the service's scalable target and puts its policies (both create or update: a retry is
     * harmless). ALBRequestCountPerTarget policies get `resourceLabel`, the service's own target group's.
     * Scale-in can start suspended: a service that has no production traffic yet would otherwise shrink
     * to its minimum before it takes production's load.
     */
    async applyServiceScaling(input: {
      cluster: string;
      service: string;
      scaling: ServiceScaling;
      resourceLabel: string;
      scaleInSuspended: boolean;
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
            SuspendedState: { DynamicScalingInSuspended: input.scaleInSuspended },
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
     * Suspends or resumes the service's dynamic scaling (scheduled scaling too, when `scheduled` is
     * given). Min and max stay as they are. Returns false when the service has no scalable target.
     */
    async suspendServiceScaling(input: {
      cluster: string;
      service: string;
      scaleIn: boolean;
      scaleOut: boolean;
      scheduled?: boolean;
    }): Promise<boolean> {
      const resourceId = scalingResourceId(input.cluster, input.service);
      if (!(await targetOf(resourceId))) return false;
      await attempt(
        `set the scaling of ${resourceId} to in ${input.scaleIn ? 'suspended' : 'on'}, out ${input.scaleOut ? 'suspended' : 'on'}`,
        () =>
          aas.send(
            new RegisterScalableTargetCommand({
              ...ecs,
              ResourceId: resourceId,
              SuspendedState: {
                DynamicScalingInSuspended: input.scaleIn,
                DynamicScalingOutSuspended: input.scaleOut,
                ...(input.scheduled !== undefined ? { ScheduledScalingSuspended: input.scheduled } : {}),
              },
            }),
          ),
      );
      return true;
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
