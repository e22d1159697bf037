// The Application Auto Scaling of a live service: its scalable target and the policies Switchyard can
// carry over to each new deployment (target tracking on a predefined metric; a step policy's alarms
// belong to the service it scales, and a custom metric names it).
import {
  DescribeScalableTargetsCommand,
  DescribeScalingPoliciesCommand,
  type ApplicationAutoScalingClient,
  type ScalingPolicy,
} from '@aws-sdk/client-application-auto-scaling';
import type { ScalingMetric } from '../../shared/adoption';
import { reading, refuse } from './aws-call';

// The metrics the spec's autoScaling.policies take (src/spec/adoption.ts).
const carried: readonly ScalingMetric[] = [
  'ECSServiceAverageCPUUtilization',
  'ECSServiceAverageMemoryUtilization',
  'ALBRequestCountPerTarget',
];

export interface LivePolicy {
  name: string;
  metric: ScalingMetric;
  targetValue: number;
  scaleInCooldownSeconds?: number;
  scaleOutCooldownSeconds?: number;
  disableScaleIn?: boolean;
}

export interface LiveScaling {
  minCapacity: number;
  maxCapacity: number;
  policies: LivePolicy[];
}

const dimension = 'ecs:service:DesiredCount';

export async function readScaling(
  aas: ApplicationAutoScalingClient,
  clusterName: string,
  serviceName: string,
): Promise<LiveScaling | undefined> {
  const resourceId = `service/${clusterName}/${serviceName}`;
  const targets = await reading(`describe the scalable target ${resourceId}`, () =>
    aas.send(
      new DescribeScalableTargetsCommand({
        ServiceNamespace: 'ecs',
        ResourceIds: [resourceId],
        ScalableDimension: dimension,
      }),
    ),
  );
  const target = targets.ScalableTargets?.find((t) => t.ResourceId === resourceId);
  if (!target) return undefined;
  const policies: ScalingPolicy[] = [];
  for (let token: string | undefined, first = true; first || token; first = false) {
    const out = await reading(`describe the scaling policies of ${resourceId}`, () =>
      aas.send(
        new DescribeScalingPoliciesCommand({
          ServiceNamespace: 'ecs',
          ResourceId: resourceId,
          ScalableDimension: dimension,
          NextToken: token,
        }),
      ),
    );
    policies.push(...(out.ScalingPolicies ?? []));
    token = out.NextToken;
  }
  return { minCapacity: target.MinCapacity!, maxCapacity: target.MaxCapacity!, policies: policies.map(carriedOver) };
}

function carriedOver(p: ScalingPolicy): LivePolicy {
  const config = p.TargetTrackingScalingPolicyConfiguration;
  const metric = config?.PredefinedMetricSpecification?.PredefinedMetricType as ScalingMetric | undefined;
  const kind =
    p.PolicyType !== 'TargetTrackingScaling'
      ? `a ${p.PolicyType === 'StepScaling' ? 'step scaling' : p.PolicyType} policy`
      : !metric
        ? 'a target-tracking policy on a custom metric'
        : !carried.includes(metric)
          ? `a target-tracking policy on ${metric}`
          : undefined;
  if (kind || !config || !metric)
    refuse(
      `scaling policy ${p.PolicyName} of ECS service ${p.ResourceId?.split('/').pop()} is ${kind}`,
      `Switchyard carries over target-tracking policies on predefined metrics only (${carried.join(', ')}): replace it with one (or delete it) and run switchyard init again`,
    );
  return {
    name: p.PolicyName!,
    metric,
    targetValue: config.TargetValue!,
    scaleInCooldownSeconds: config.ScaleInCooldown,
    scaleOutCooldownSeconds: config.ScaleOutCooldown,
    disableScaleIn: config.DisableScaleIn,
  };
}
