// The account's shape recreated in the embedded emulator, behind the conformance layer, in the order AWS
// takes it: the cluster, the load balancer and listener, the target groups with their tags, the rules
// (so each target group is attached before a service registers in it), the live services on their
// revisions (with their roles and auto scaling), the zone and the hosts' records (aliases pointed at the
// emulated load balancer), the alarms in their current state. ARNs are the emulator's; names, priorities,
// weights, tags and states are the account's.
import { PutMetricAlarmCommand, SetAlarmStateCommand, type StateValue } from '@aws-sdk/client-cloudwatch';
import { CreateClusterCommand, CreateServiceCommand, RegisterTaskDefinitionCommand } from '@aws-sdk/client-ecs';
import {
  CreateListenerCommand,
  CreateLoadBalancerCommand,
  CreateRuleCommand,
  CreateTargetGroupCommand,
  type Action,
  type RuleCondition,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { CreateRoleCommand, GetRoleCommand } from '@aws-sdk/client-iam';
import { ChangeResourceRecordSetsCommand, CreateHostedZoneCommand } from '@aws-sdk/client-route-53';
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import type { RegisterTaskDefinitionCommandInput } from '@aws-sdk/client-ecs';
import { createActivities } from '../../activities';
import { ecsTasksTrust } from '../../activities/iam';
import { albResourceLabel } from '../../shared/adoption';
import { defaultNetwork, seedRoleBoundary, type AccountClients } from '../seed';
import type { AccountShape } from './shape';

const creatableProviders = new Set(['FARGATE', 'FARGATE_SPOT']);

/**
 * Recreates the shape; one line per thing made, for the report. `iamPropagationMs`: how long the
 * emulator's IAM takes to make a new role usable (a service started sooner fails its task launches).
 */
export async function recreateShape(
  clients: AccountClients,
  shape: AccountShape,
  iamPropagationMs: number,
): Promise<string[]> {
  const made: string[] = [];
  const network = await defaultNetwork(clients);
  const account = (await clients.sts.send(new GetCallerIdentityCommand({}))).Account!;

  await clients.ecs.send(
    new CreateClusterCommand({
      clusterName: shape.cluster.name,
      capacityProviders: shape.cluster.capacityProviders.filter((p) => creatableProviders.has(p)),
    }),
  );
  made.push(`ECS cluster ${shape.cluster.name}`);
  await seedRoleBoundary(clients);

  const lb = (
    await clients.elbv2.send(
      new CreateLoadBalancerCommand({
        Name: shape.loadBalancer.name,
        Type: 'application',
        Scheme: 'internet-facing',
        Subnets: network.subnetIds.slice(0, 2),
        SecurityGroups: network.securityGroupIds,
      }),
    )
  ).LoadBalancers![0];
  made.push(`load balancer ${shape.loadBalancer.name}`);

  const groupArns = new Map<string, string>();
  for (const { arn, group, tags } of shape.targetGroups) {
    const created = await clients.elbv2.send(
      new CreateTargetGroupCommand({
        Name: group.TargetGroupName,
        Protocol: group.Protocol,
        Port: group.Port,
        VpcId: lb.VpcId,
        TargetType: group.TargetType,
        HealthCheckPath: group.HealthCheckPath,
        HealthCheckIntervalSeconds: group.HealthCheckIntervalSeconds,
        HealthyThresholdCount: group.HealthyThresholdCount,
        UnhealthyThresholdCount: group.UnhealthyThresholdCount,
        Matcher: group.Matcher,
        ...(tags.length ? { Tags: tags } : {}),
      }),
    );
    groupArns.set(arn, created.TargetGroups![0].TargetGroupArn!);
  }
  if (shape.targetGroups.length) made.push(`${shape.targetGroups.length} target group(s) with their tags`);

  const mapActions = (actions: Action[]): Action[] =>
    actions.map((a) => ({
      ...a,
      ...(a.TargetGroupArn ? { TargetGroupArn: groupArns.get(a.TargetGroupArn) } : {}),
      ...(a.ForwardConfig
        ? {
            ForwardConfig: {
              ...a.ForwardConfig,
              TargetGroups: (a.ForwardConfig.TargetGroups ?? []).map((t) => ({
                ...t,
                TargetGroupArn: groupArns.get(t.TargetGroupArn!),
              })),
            },
          }
        : {}),
    }));

  const listener = (
    await clients.elbv2.send(
      new CreateListenerCommand({
        LoadBalancerArn: lb.LoadBalancerArn,
        Protocol: 'HTTP',
        Port: shape.listener.port,
        DefaultActions: mapActions(shape.listener.defaultActions),
      }),
    )
  ).Listeners![0];
  made.push(`HTTP listener on port ${shape.listener.port}`);
  for (const rule of shape.rules) {
    await clients.elbv2.send(
      new CreateRuleCommand({
        ListenerArn: listener.ListenerArn,
        Priority: Number(rule.priority),
        Conditions: rule.conditions.map(creatableCondition),
        Actions: mapActions(rule.actions),
      }),
    );
  }
  if (shape.rules.length) made.push(`${shape.rules.length} listener rule(s) at their priorities`);

  for (const service of shape.services) {
    const revision = withAccount(service.taskDefinition, account) as unknown as RegisterTaskDefinitionCommandInput;
    let createdRole = false;
    for (const roleArn of [revision.executionRoleArn, revision.taskRoleArn]) {
      if (roleArn) createdRole = (await ensureRole(clients, roleArn.split('/').pop()!)) || createdRole;
    }
    if (createdRole) await new Promise((r) => setTimeout(r, iamPropagationMs));
    const registered = await clients.ecs.send(new RegisterTaskDefinitionCommand(revision));
    const awsvpc = revision.networkMode === 'awsvpc';
    await clients.ecs.send(
      new CreateServiceCommand({
        cluster: shape.cluster.name,
        serviceName: service.name,
        taskDefinition: registered.taskDefinition!.taskDefinitionArn,
        desiredCount: service.desiredCount,
        ...(service.capacityProviderStrategy
          ? { capacityProviderStrategy: service.capacityProviderStrategy }
          : service.launchType
            ? { launchType: service.launchType as 'FARGATE' | 'EC2' }
            : {}),
        loadBalancers: [
          {
            targetGroupArn: groupArns.get(service.targetGroupArn),
            containerName: service.containerName,
            containerPort: service.containerPort,
          },
        ],
        ...(awsvpc
          ? {
              networkConfiguration: {
                awsvpcConfiguration: {
                  subnets: network.subnetIds.slice(0, 2),
                  securityGroups: network.securityGroupIds,
                },
              },
            }
          : {}),
      }),
    );
    made.push(`ECS service ${service.name} on its revision (${revision.family})`);
    if (service.scaling) {
      const { minCapacity, maxCapacity, policies } = service.scaling;
      await createActivities(clients).applyServiceScaling({
        cluster: shape.cluster.name,
        service: service.name,
        scaling: service.scaling,
        resourceLabel: albResourceLabel(lb.LoadBalancerArn!, groupArns.get(service.targetGroupArn)!) ?? '',
        suspended: false,
      });
      made.push(
        `auto scaling of ${service.name}: ${minCapacity}-${maxCapacity} tasks, ${policies.map((p) => p.name).join(', ') || 'no policies'}`,
      );
    }
  }

  const zone = await clients.route53.send(
    new CreateHostedZoneCommand({ Name: shape.zone.name, CallerReference: `switchyard-rehearsal-${Date.now()}` }),
  );
  if (shape.records.length) {
    await clients.route53.send(
      new ChangeResourceRecordSetsCommand({
        HostedZoneId: zone.HostedZone!.Id,
        ChangeBatch: {
          Changes: shape.records.map((r) => ({
            Action: 'UPSERT' as const,
            ResourceRecordSet: r.AliasTarget
              ? {
                  ...r,
                  AliasTarget: {
                    DNSName: lb.DNSName!,
                    HostedZoneId: lb.CanonicalHostedZoneId!,
                    EvaluateTargetHealth: r.AliasTarget.EvaluateTargetHealth ?? false,
                  },
                }
              : r,
          })),
        },
      }),
    );
  }
  made.push(`hosted zone ${shape.zone.name} with ${shape.records.length} record(s) of the spec's hosts`);

  for (const alarm of shape.alarms) {
    await clients.cloudwatch.send(
      new PutMetricAlarmCommand({
        AlarmName: alarm.AlarmName,
        MetricName: alarm.MetricName,
        Namespace: alarm.Namespace,
        Statistic: alarm.Statistic,
        Dimensions: alarm.Dimensions,
        Period: alarm.Period,
        EvaluationPeriods: alarm.EvaluationPeriods,
        Threshold: alarm.Threshold,
        ComparisonOperator: alarm.ComparisonOperator,
        ...(alarm.Metrics ? { Metrics: alarm.Metrics } : {}),
      }),
    );
    await clients.cloudwatch.send(
      new SetAlarmStateCommand({
        AlarmName: alarm.AlarmName,
        StateValue: (alarm.StateValue ?? 'INSUFFICIENT_DATA') as StateValue,
        StateReason: 'as in the account when the rehearsal read it',
      }),
    );
  }
  if (shape.alarms.length) made.push(`${shape.alarms.length} alarm(s) in their current state`);
  return made;
}

/** A condition as CreateRule takes it: the typed config where there is one, not also its legacy Values. */
function creatableCondition(c: RuleCondition): RuleCondition {
  const typed = c.HostHeaderConfig || c.PathPatternConfig || c.HttpHeaderConfig || c.QueryStringConfig;
  const { Values, ...rest } = c;
  return typed || c.HttpRequestMethodConfig || c.SourceIpConfig ? rest : { ...rest, Values };
}

/** The revision with the account's id in its role ARNs replaced by the emulator's. */
function withAccount<T>(revision: T, account: string): T {
  return JSON.parse(JSON.stringify(revision).replace(/(arn:aws[a-z-]*:iam::)\d{12}:/g, `$1${account}:`)) as T;
}

/** Whether it had to create the role. */
async function ensureRole(clients: AccountClients, name: string): Promise<boolean> {
  try {
    await clients.iam.send(new GetRoleCommand({ RoleName: name }));
    return false;
  } catch {
    await clients.iam.send(new CreateRoleCommand({ RoleName: name, AssumeRolePolicyDocument: ecsTasksTrust }));
    return true;
  }
}
