// Types for a service that already runs, shared by the spec, the workflows and the activities (safe for
// workflow code): production's rule conditions, what becomes of an adopted service, Application Auto
// Scaling, and the ECS service fields passed through as they are.

/** Production's listener rule: the host plus exactly these conditions. */
export interface ProductionRuleSpec {
  pathPatterns?: string[];
  httpHeaders?: { name: string; values: string[] }[];
  /** Where a rule Switchyard creates goes; absent: just above any rule that would shadow it. */
  priority?: number;
}

export interface AdoptSpec {
  /** The ECS service production runs on now; absent: the one behind production's target group. */
  service?: string;
  retire: 'leave' | 'scaleToZero';
}

export type ScalingMetric =
  | 'ECSServiceAverageCPUUtilization'
  | 'ECSServiceAverageMemoryUtilization'
  | 'ALBRequestCountPerTarget';

export interface TargetTrackingSpec {
  metric: ScalingMetric;
  targetValue: number;
  scaleInCooldownMs: number;
  scaleOutCooldownMs: number;
  disableScaleIn: boolean;
}

export interface ScalingPolicySpec {
  name: string;
  targetTracking: TargetTrackingSpec;
}

/** `from: production`, or the spec's own bounds and policies. */
export type AutoScalingSpec =
  | { from: 'production' }
  | { minCapacity: number; maxCapacity: number; policies: ScalingPolicySpec[] };

export interface ServiceFieldsSpec {
  placementConstraints?: { type: 'distinctInstance' | 'memberOf'; expression?: string }[];
  placementStrategy?: { type: 'random' | 'spread' | 'binpack'; field?: string }[];
  serviceRegistries?: { registryArn: string; port?: number; containerName?: string; containerPort?: number }[];
  enableExecuteCommand?: boolean;
  propagateTags?: 'SERVICE' | 'TASK_DEFINITION' | 'NONE';
}

export interface CircuitBreakerSpec {
  enable: boolean;
  rollback: boolean;
}

/** A target-tracking configuration as Application Auto Scaling takes and returns it. */
export interface TargetTrackingConfiguration {
  TargetValue: number;
  PredefinedMetricSpecification?: { PredefinedMetricType: string; ResourceLabel?: string };
  /** Not carried from production (its dimensions name production's own resources); typed for reading. */
  CustomizedMetricSpecification?: Record<string, unknown>;
  ScaleInCooldown?: number;
  ScaleOutCooldown?: number;
  DisableScaleIn?: boolean;
}

/** A service's scalable target and its target-tracking policies. */
export interface ServiceScaling {
  minCapacity: number;
  maxCapacity: number;
  policies: { name: string; configuration: TargetTrackingConfiguration }[];
}

/** The spec's own autoscaling as Application Auto Scaling takes it. */
export function scalingOfSpec(spec: Extract<AutoScalingSpec, { minCapacity: number }>): ServiceScaling {
  return {
    minCapacity: spec.minCapacity,
    maxCapacity: spec.maxCapacity,
    policies: spec.policies.map((p) => ({
      name: p.name,
      configuration: {
        TargetValue: p.targetTracking.targetValue,
        PredefinedMetricSpecification: { PredefinedMetricType: p.targetTracking.metric },
        ScaleInCooldown: Math.round(p.targetTracking.scaleInCooldownMs / 1000),
        ScaleOutCooldown: Math.round(p.targetTracking.scaleOutCooldownMs / 1000),
        DisableScaleIn: p.targetTracking.disableScaleIn,
      },
    })),
  };
}

/**
 * How many tasks the new service starts with: no fewer than production runs now (or wants: it may be
 * scaling out), nor than the spec's desiredCount, within the scalable target's bounds.
 */
export function startingCount(desiredCount: number, production: number, scaling?: ServiceScaling): number {
  const wanted = Math.max(desiredCount, production);
  return scaling ? Math.min(scaling.maxCapacity, Math.max(scaling.minCapacity, wanted)) : wanted;
}

/**
 * ALBRequestCountPerTarget's resource label: `app/<lb-name>/<lb-id>/targetgroup/<tg-name>/<tg-id>`, the
 * load balancer's ARN after `loadbalancer/` and the target group's after its account.
 * https://docs.aws.amazon.com/autoscaling/application/APIReference/API_PredefinedMetricSpecification.html
 */
export function albResourceLabel(loadBalancerArn: string, targetGroupArn: string): string | undefined {
  const lb = loadBalancerArn.split(':loadbalancer/')[1];
  const tg = targetGroupArn.split(':').pop();
  return lb?.startsWith('app/') && tg?.startsWith('targetgroup/') ? `${lb}/${tg}` : undefined;
}
