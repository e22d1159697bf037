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
