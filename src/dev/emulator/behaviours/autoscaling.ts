// Application Auto Scaling for ECS services, as AWS keeps it and moto does not (moto 5.2.5,
// moto/applicationautoscaling/models.py): the rules it skips, refused before moto sees the call, and what
// AWS does on its side after a call (clamping the service's desired count, deleting a target's policies),
// done to moto directly so it is not counted as the caller's. The API reference is the model's
// documentation (botocore application-autoscaling/2016-02-06, the same text as
// https://docs.aws.amazon.com/autoscaling/application/APIReference/).
import {
  DeleteScalingPolicyCommand,
  DeleteScheduledActionCommand,
  DeregisterScalableTargetCommand,
  DescribeScalableTargetsCommand,
  DescribeScalingPoliciesCommand,
  DescribeScheduledActionsCommand,
  type ApplicationAutoScalingClient,
  type ScalableDimension,
  type ScalableTarget,
  type ServiceNamespace,
} from '@aws-sdk/client-application-auto-scaling';
import { DescribeServicesCommand, UpdateServiceCommand, type ECSClient, type Service } from '@aws-sdk/client-ecs';
import {
  DescribeLoadBalancersCommand,
  DescribeTargetGroupsCommand,
  type ElasticLoadBalancingV2Client,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { broken, type Json, type RuleBreak } from './refusals';

/** What the rules read and change of the account, straight at moto (neither counted nor throttled). */
export interface AutoScalingAccount {
  ecs: ECSClient;
  elbv2: ElasticLoadBalancingV2Client;
  autoScaling: ApplicationAutoScalingClient;
}

interface TargetKey {
  ServiceNamespace?: string;
  ResourceId?: string;
  ScalableDimension?: string;
}

const ecsDimension = 'ecs:service:DesiredCount';

// "An IAM role that allows Application Auto Scaling to modify the scalable target on your behalf ...
// If the service supports service-linked roles, Application Auto Scaling uses a service-linked role"
// (RegisterScalableTarget, RoleARN); DescribeScalableTargets shows it (the model's examples-1.json).
const ecsServiceLinkedRole = (account: string) =>
  `arn:aws:iam::${account}:role/aws-service-role/ecs.application-autoscaling.amazonaws.com/AWSServiceRoleForApplicationAutoScaling_ECSService`;

export class AutoScalingRules {
  constructor(private readonly account: AutoScalingAccount) {}

  /** The rule the call breaks, if any. */
  async refuse(action: string, req: Json): Promise<RuleBreak | undefined> {
    switch (action) {
      case 'RegisterScalableTarget':
        return this.register(req);
      case 'PutScalingPolicy':
        return (await this.targetMissing(req, 'aas-policy-needs-target')) ?? this.resourceLabel(req);
      case 'PutScheduledAction':
        return this.targetMissing(req, 'aas-scheduled-action-needs-target');
      case 'DeregisterScalableTarget':
        // "ObjectNotFoundException: The specified object could not be found." (its errors; moto answers
        // ValidationException).
        return (await this.target(req))
          ? undefined
          : broken(
              'aas-target-not-found',
              'ObjectNotFoundException',
              `No scalable target found for service namespace: ${str(req.ServiceNamespace)}, resource ID: ${str(req.ResourceId)}, scalable dimension: ${str(req.ScalableDimension)}`,
            );
      case 'DeleteScalingPolicy':
        // DeleteScalingPolicy's errors: ObjectNotFoundException (moto: ValidationException).
        return (await this.policies(req)).some((p) => p.PolicyName === req.PolicyName)
          ? undefined
          : broken(
              'aas-policy-not-found',
              'ObjectNotFoundException',
              `No scaling policy found for service namespace: ${str(req.ServiceNamespace)}, resource ID: ${str(req.ResourceId)}, scalable dimension: ${str(req.ScalableDimension)}, policy name: ${str(req.PolicyName)}`,
            );
      case 'DeleteScheduledAction':
        // DeleteScheduledAction's errors: ObjectNotFoundException (moto deletes nothing and says nothing).
        return (await this.scheduledActions(req)).some((a) => a.ScheduledActionName === req.ScheduledActionName)
          ? undefined
          : broken(
              'aas-scheduled-action-not-found',
              'ObjectNotFoundException',
              `No scheduled action found for service namespace: ${str(req.ServiceNamespace)}, resource ID: ${str(req.ResourceId)}, scalable dimension: ${str(req.ScalableDimension)}, scheduled action name: ${str(req.ScheduledActionName)}`,
            );
      default:
        return undefined;
    }
  }

  /** After moto did the call: what AWS does on its side, and its answer as AWS gives it. */
  async answered(action: string, req: Json, response: string): Promise<string> {
    switch (action) {
      case 'RegisterScalableTarget':
        await this.clamp(req);
        return response;
      case 'DeregisterScalableTarget':
        // "Deregistering a scalable target deletes the scaling policies and the scheduled actions that are
        // associated with it." (DeregisterScalableTarget; moto leaves both, and the policies' alarms.)
        await this.deleteAttached(req);
        return response;
      case 'DescribeScalingPolicies':
        return this.exactPolicies(req, response);
      case 'DescribeScalableTargets':
        return this.targetsAsAwsShowsThem(response);
      default:
        return response;
    }
  }

  /**
   * ECS DeleteService takes the service's scalable target with it, and the target's policies: "The ECS
   * service would get deleted, automatically deleting the autoscaling target"
   * (hashicorp/terraform-provider-aws#10432; eagletmt/hako#69 deregisters nothing after a delete for
   * that reason). The AWS documentation says nothing either way; moto keeps the target.
   */
  async serviceDeleted(cluster: string | undefined, service: string | undefined): Promise<void> {
    const key = {
      ServiceNamespace: 'ecs',
      ResourceId: `service/${(cluster ?? 'default').split('/').pop()}/${String(service).split('/').pop()}`,
      ScalableDimension: ecsDimension,
    };
    if (!(await this.target(key))) return;
    await this.deleteAttached(key);
    await this.account.autoScaling.send(new DeregisterScalableTargetCommand(sdkKey(key)));
  }

  /**
   * RegisterScalableTarget for an ECS service: ResourceId "service/<cluster-name>/<service-name>"; the
   * service exists and is active ("If the resource is active, registering changes the resource's current
   * capacity"; moto accepts an INACTIVE, deleted service); MinCapacity and MaxCapacity "Required if you
   * are registering a scalable target"; "parameters that you don't specify are not changed by this
   * update request" for an existing one; min at most max.
   */
  private async register(req: Json): Promise<RuleBreak | undefined> {
    if (req.ServiceNamespace !== 'ecs') return undefined;
    const resourceId = str(req.ResourceId);
    const parts = /^service\/([^/]+)\/([^/]+)$/.exec(resourceId);
    // moto crashes (HTTP 500) on any other shape, a cluster ARN among them.
    if (!parts)
      return broken(
        'aas-ecs-resource-id',
        'ValidationException',
        `Unsupported resource ID ${resourceId}: an ECS service's is service/<cluster-name>/<service-name>.`,
      );
    const service = await this.service(parts[1], parts[2]);
    if (!service)
      return broken('aas-ecs-service-exists', 'ValidationException', `ECS service doesn't exist: ${resourceId}`);
    if (service.status !== 'ACTIVE')
      return broken(
        'aas-ecs-service-active',
        'ValidationException',
        `ECS service ${resourceId} is not ACTIVE (status ${String(service.status)}).`,
      );
    const existing = await this.target(req);
    if (!existing && (req.MinCapacity === undefined || req.MaxCapacity === undefined))
      return broken(
        'aas-new-target-capacity',
        'ValidationException',
        'MinCapacity and MaxCapacity are required to register a new scalable target.',
      );
    const min = (req.MinCapacity as number | undefined) ?? existing?.MinCapacity ?? 0;
    const max = (req.MaxCapacity as number | undefined) ?? existing?.MaxCapacity ?? 0;
    if (min > max)
      return broken(
        'aas-min-above-max',
        'ValidationException',
        `Minimum capacity cannot be greater than maximum capacity (${min} > ${max}).`,
      );
    return undefined;
  }

  /**
   * "You cannot create a scaling policy until you have registered the resource as a scalable target"
   * (PutScalingPolicy), the same for a scheduled action (PutScheduledAction): ObjectNotFoundException.
   * moto accepts both on any resource.
   */
  private async targetMissing(req: Json, rule: string): Promise<RuleBreak | undefined> {
    if (await this.target(req)) return undefined;
    return broken(
      rule,
      'ObjectNotFoundException',
      `No scalable target registered for service namespace: ${str(req.ServiceNamespace)}, resource ID: ${str(req.ResourceId)}, scalable dimension: ${str(req.ScalableDimension)}`,
    );
  }

  /**
   * PredefinedMetricSpecification.ResourceLabel: "You can't specify a resource label unless the metric
   * type is ALBRequestCountPerTarget and there is a target group attached to the Spot Fleet or ECS
   * service", formatted "app/<load-balancer-name>/<load-balancer-id>/targetgroup/<target-group-name>/<target-group-id>"
   * (https://docs.aws.amazon.com/autoscaling/application/APIReference/API_PredefinedMetricSpecification.html);
   * the metric needs it. The label's error is the one Terraform users meet (hashicorp/terraform-provider-aws#9734).
   * moto checks none of it.
   */
  private async resourceLabel(req: Json): Promise<RuleBreak | undefined> {
    const spec = (req.TargetTrackingScalingPolicyConfiguration as Json | undefined)?.PredefinedMetricSpecification as
      | Json
      | undefined;
    if (!spec) return undefined;
    const label = spec.ResourceLabel as string | undefined;
    if (spec.PredefinedMetricType !== 'ALBRequestCountPerTarget') {
      return label === undefined
        ? undefined
        : broken(
            'aas-resource-label-metric',
            'ValidationException',
            `ResourceLabel is only valid for the predefined metric type ALBRequestCountPerTarget, not ${str(spec.PredefinedMetricType)}.`,
          );
    }
    if (label === undefined)
      return broken(
        'aas-resource-label-required',
        'ValidationException',
        'ResourceLabel is required for the predefined metric type ALBRequestCountPerTarget.',
      );
    const wrong = (why: string) =>
      broken('aas-resource-label', 'ValidationException', `Invalid ResourceLabel ${label}: ${why}`);
    const parts = /^app\/([^/]+)\/([^/]+)\/targetgroup\/([^/]+)\/([^/]+)$/.exec(label);
    if (!parts)
      return wrong(
        'expected app/<load-balancer-name>/<load-balancer-id>/targetgroup/<target-group-name>/<target-group-id>.',
      );
    const { elbv2 } = this.account;
    const lb = (
      await elbv2.send(new DescribeLoadBalancersCommand({ Names: [parts[1]] })).catch(() => undefined)
    )?.LoadBalancers?.find((l) => l.LoadBalancerArn?.endsWith(`:loadbalancer/app/${parts[1]}/${parts[2]}`));
    if (!lb) return wrong(`no application load balancer app/${parts[1]}/${parts[2]}.`);
    const group = (
      await elbv2.send(new DescribeTargetGroupsCommand({ Names: [parts[3]] })).catch(() => undefined)
    )?.TargetGroups?.find((g) => g.TargetGroupArn?.endsWith(`:targetgroup/${parts[3]}/${parts[4]}`));
    if (!group) return wrong(`no target group targetgroup/${parts[3]}/${parts[4]}.`);
    if (!(group.LoadBalancerArns ?? []).includes(lb.LoadBalancerArn!))
      return wrong(`target group ${parts[3]} is not attached to load balancer ${parts[1]}.`);
    const service = /^service\/([^/]+)\/([^/]+)$/.exec(str(req.ResourceId));
    const described = service && (await this.service(service[1], service[2]));
    if (!(described?.loadBalancers ?? []).some((l) => l.targetGroupArn === group.TargetGroupArn))
      return wrong(`target group ${parts[3]} is not attached to ${str(req.ResourceId)}.`);
    return undefined;
  }

  /**
   * "If the resource is active, registering changes the resource's current capacity to a value that is
   * inside of this range" (RegisterScalableTarget, MinCapacity/MaxCapacity): AWS's UpdateService, not the
   * caller's. moto leaves desiredCount where it was.
   */
  private async clamp(req: Json): Promise<void> {
    if (req.ServiceNamespace !== 'ecs') return;
    const target = await this.target(req);
    const parts = /^service\/([^/]+)\/([^/]+)$/.exec(str(req.ResourceId));
    if (!target || !parts) return;
    const service = await this.service(parts[1], parts[2]);
    if (service?.status !== 'ACTIVE') return;
    const desired = service.desiredCount ?? 0;
    const clamped = Math.min(Math.max(desired, target.MinCapacity ?? desired), target.MaxCapacity ?? desired);
    if (clamped !== desired)
      await this.account.ecs.send(
        new UpdateServiceCommand({ cluster: parts[1], service: parts[2], desiredCount: clamped }),
      );
  }

  private async deleteAttached(key: TargetKey): Promise<void> {
    const { autoScaling } = this.account;
    for (const policy of await this.policies(key))
      await autoScaling.send(new DeleteScalingPolicyCommand({ ...sdkKey(key), PolicyName: policy.PolicyName }));
    for (const action of await this.scheduledActions(key))
      await autoScaling.send(
        new DeleteScheduledActionCommand({ ...sdkKey(key), ScheduledActionName: action.ScheduledActionName }),
      );
  }

  /**
   * DescribeScalingPolicies: ResourceId and ScalableDimension are exact filters, and PolicyNames names the
   * policies wanted. moto keeps a policy whose resource ID is a substring of the filter (`service/c/app`'s
   * answer for `service/c/app-green`) and ignores PolicyNames.
   */
  private exactPolicies(req: Json, response: string): string {
    const out = JSON.parse(response) as { ScalingPolicies?: Json[] };
    const names = req.PolicyNames as string[] | undefined;
    out.ScalingPolicies = (out.ScalingPolicies ?? []).filter(
      (p) =>
        (req.ResourceId === undefined || p.ResourceId === req.ResourceId) &&
        (req.ScalableDimension === undefined || p.ScalableDimension === req.ScalableDimension) &&
        (!names?.length || names.includes(String(p.PolicyName))),
    );
    return JSON.stringify(out);
  }

  /**
   * DescribeScalableTargets: every SuspendedState flag, false unless set ("The default is false" for each,
   * SuspendedState), and the service-linked role for ECS targets. moto shows only the flags a caller set,
   * and no role.
   */
  private targetsAsAwsShowsThem(response: string): string {
    const out = JSON.parse(response) as { ScalableTargets?: Json[] };
    for (const t of out.ScalableTargets ?? []) {
      t.SuspendedState = {
        DynamicScalingInSuspended: false,
        DynamicScalingOutSuspended: false,
        ScheduledScalingSuspended: false,
        ...((t.SuspendedState as Json | undefined) ?? {}),
      };
      const account = /^arn:[^:]+:application-autoscaling:[^:]*:(\d+):/.exec(String(t.ScalableTargetARN))?.[1];
      if (t.ServiceNamespace === 'ecs' && !t.RoleARN && account) t.RoleARN = ecsServiceLinkedRole(account);
    }
    return JSON.stringify(out);
  }

  private async target(key: TargetKey): Promise<ScalableTarget | undefined> {
    if (!key.ServiceNamespace || !key.ResourceId || !key.ScalableDimension) return undefined;
    const out = await this.account.autoScaling
      .send(
        new DescribeScalableTargetsCommand({
          ServiceNamespace: key.ServiceNamespace as ServiceNamespace,
          ResourceIds: [key.ResourceId],
          ScalableDimension: key.ScalableDimension as ScalableDimension,
        }),
      )
      .catch(() => undefined);
    return out?.ScalableTargets?.find((t) => t.ResourceId === key.ResourceId);
  }

  /** The target's policies, exactly (moto's own filter matches substrings, see exactPolicies). */
  private async policies(key: TargetKey) {
    if (!key.ServiceNamespace || !key.ResourceId || !key.ScalableDimension) return [];
    const out = await this.account.autoScaling
      .send(new DescribeScalingPoliciesCommand(sdkKey(key)))
      .catch(() => undefined);
    return (out?.ScalingPolicies ?? []).filter(
      (p) => p.ResourceId === key.ResourceId && p.ScalableDimension === key.ScalableDimension,
    );
  }

  private async scheduledActions(key: TargetKey) {
    if (!key.ServiceNamespace || !key.ResourceId || !key.ScalableDimension) return [];
    const out = await this.account.autoScaling
      .send(new DescribeScheduledActionsCommand(sdkKey(key)))
      .catch(() => undefined);
    return (out?.ScheduledActions ?? []).filter(
      (a) => a.ResourceId === key.ResourceId && a.ScalableDimension === key.ScalableDimension,
    );
  }

  private async service(cluster: string, name: string): Promise<Service | undefined> {
    return (
      await this.account.ecs.send(new DescribeServicesCommand({ cluster, services: [name] })).catch(() => undefined)
    )?.services?.[0];
  }
}

function sdkKey(key: TargetKey): {
  ServiceNamespace: ServiceNamespace;
  ResourceId: string;
  ScalableDimension: ScalableDimension;
} {
  return {
    ServiceNamespace: key.ServiceNamespace as ServiceNamespace,
    ResourceId: String(key.ResourceId),
    ScalableDimension: key.ScalableDimension as ScalableDimension,
  };
}

function str(value: unknown): string {
  return value === undefined ? '' : String(value);
}
