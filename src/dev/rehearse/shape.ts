// The shape of the real account that a blue/green spec touches, read and only read: the cluster, the load
// balancer and the spec's listener with all its rules and the target groups they forward to, the services
// behind those target groups (the live deployment) with their revisions and auto scaling, the hosted zone
// and the records of the spec's hosts, the alarms its analysis watches, and the image's digest. Every call
// goes through a guard that refuses anything but Describe/List/Get before it is sent, and counts the reads.
import { DescribeAlarmsCommand, type MetricAlarm } from '@aws-sdk/client-cloudwatch';
import { DescribeServicesCommand, ListServicesCommand } from '@aws-sdk/client-ecs';
import {
  DescribeListenersCommand,
  DescribeRulesCommand,
  DescribeTagsCommand,
  DescribeTargetGroupsCommand,
  type Action,
  type RuleCondition,
  type TargetGroup,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import {
  ListHostedZonesByNameCommand,
  ListResourceRecordSetsCommand,
  type ResourceRecordSet,
} from '@aws-sdk/client-route-53';
import { createActivities } from '../../activities';
import { sdkClientsOf, type AwsClients } from '../../aws/clients';
import type { ServiceScaling } from '../../shared/adoption';
import type { DeploymentSpec, TaskDefinitionSpec } from '../../shared/deployment';
import { ecrImageOf, isPinned } from '../../shared/images';
import { alarmsOf } from '../../shared/traffic';

export interface ShapeTargetGroup {
  arn: string;
  group: TargetGroup;
  tags: { Key: string; Value: string }[];
}

export interface ShapeService {
  name: string;
  taskDefinition: TaskDefinitionSpec;
  desiredCount: number;
  targetGroupArn: string;
  containerName: string;
  containerPort: number;
  launchType?: string;
  capacityProviderStrategy?: { capacityProvider: string; weight?: number; base?: number }[];
  /** Its scalable target and target-tracking policies (Application Auto Scaling), when it has them. */
  scaling?: ServiceScaling;
}

export interface AccountShape {
  cluster: { name: string; capacityProviders: string[] };
  /** Recreated as an internet-facing ALB in the emulator's default subnets. */
  loadBalancer: { name: string };
  listener: { port: number; protocol: string; defaultActions: Action[] };
  /** The listener's rules but the default, by priority. */
  rules: { priority: string; conditions: RuleCondition[]; actions: Action[] }[];
  targetGroups: ShapeTargetGroup[];
  services: ShapeService[];
  zone: { name: string };
  records: ResourceRecordSet[];
  alarms: MetricAlarm[];
  /** The image the deployment would register: by digest when the spec pins it and ECR holds it. */
  image: string;
  /** What the account has that the rehearsal does not recreate, one line each. */
  notRehearsed: string[];
}

/** What stops the rehearsal before the emulator starts: the deployment would be refused as well. */
export class ShapeProblem extends Error {}

const readOnly = /^(Describe|List|Get|BatchGet)/;

/** Refuses any call but a read before it is sent; the number of reads made. */
export function guardReadOnly(clients: AwsClients): { reads(): number } {
  let reads = 0;
  for (const client of sdkClientsOf(clients)) {
    (client.middlewareStack as { add: (m: unknown, o: unknown) => void }).add(
      (next: (args: unknown) => Promise<unknown>, context: { commandName?: string }) => async (args: unknown) => {
        const name = context.commandName ?? 'an unnamed command';
        if (!readOnly.test(name)) throw new Error(`rehearse only reads the account: it refused to send ${name}`);
        reads++;
        return next(args);
      },
      { step: 'initialize', name: 'switchyardReadOnly' },
    );
  }
  return { reads: () => reads };
}

export async function readAccountShape(clients: AwsClients, spec: DeploymentSpec): Promise<AccountShape> {
  const aws = createActivities(clients);
  const notRehearsed: string[] = [];

  const cluster = await aws.findCluster({ cluster: spec.cluster });
  if (!cluster || cluster.status !== 'ACTIVE') throw new ShapeProblem(`ECS cluster ${spec.cluster} does not exist`);
  const lb = await aws.findLoadBalancer({ loadBalancer: spec.loadBalancer.name });
  if (!lb) throw new ShapeProblem(`load balancer ${spec.loadBalancer.name} does not exist`);
  const described = await clients.elbv2.send(new DescribeListenersCommand({ LoadBalancerArn: lb.arn }));
  const listener = described.Listeners?.find((l) => l.Port === spec.loadBalancer.listenerPort);
  if (!listener?.ListenerArn) {
    throw new ShapeProblem(`load balancer ${lb.name} has no listener on port ${spec.loadBalancer.listenerPort}`);
  }
  if (listener.Protocol === 'HTTPS')
    notRehearsed.push('the listener is HTTPS: rehearsed as HTTP, without its certificates');

  const rules = (await clients.elbv2.send(new DescribeRulesCommand({ ListenerArn: listener.ListenerArn }))).Rules ?? [];
  const forwarded = new Set(
    rules.flatMap((r) =>
      (r.Actions ?? []).flatMap((a) => [
        ...(a.TargetGroupArn ? [a.TargetGroupArn] : []),
        ...(a.ForwardConfig?.TargetGroups ?? []).map((t) => t.TargetGroupArn!).filter(Boolean),
      ]),
    ),
  );
  const groups = forwarded.size
    ? ((await clients.elbv2.send(new DescribeTargetGroupsCommand({ TargetGroupArns: [...forwarded] }))).TargetGroups ??
      [])
    : [];
  const tagged = groups.length
    ? ((await clients.elbv2.send(new DescribeTagsCommand({ ResourceArns: groups.map((g) => g.TargetGroupArn!) })))
        .TagDescriptions ?? [])
    : [];
  const targetGroups = groups.map((group) => ({
    arn: group.TargetGroupArn!,
    group,
    tags: (tagged.find((t) => t.ResourceArn === group.TargetGroupArn)?.Tags ?? []).map((t) => ({
      Key: t.Key!,
      Value: t.Value ?? '',
    })),
  }));

  const services = await servicesBehind(clients, aws, spec.cluster, new Set(targetGroups.map((g) => g.arn)));
  if (services.some((s) => s.launchType === 'EC2')) {
    notRehearsed.push("the EC2 container instances: the emulator's tasks are placed without them");
  }

  const zones = await clients.route53.send(new ListHostedZonesByNameCommand({ DNSName: spec.hostedZone, MaxItems: 1 }));
  const zone = zones.HostedZones?.find((z) => z.Name?.replace(/\.$/, '') === spec.hostedZone.replace(/\.$/, ''));
  if (!zone?.Id) throw new ShapeProblem(`hosted zone ${spec.hostedZone} does not exist`);
  const records: ResourceRecordSet[] = [];
  for (const host of [spec.hosts.production, spec.hosts.stage]) {
    const out = await clients.route53.send(
      new ListResourceRecordSetsCommand({ HostedZoneId: zone.Id, StartRecordName: host, MaxItems: 4 }),
    );
    records.push(...(out.ResourceRecordSets ?? []).filter((r) => r.Name?.replace(/\.$/, '') === host));
  }

  const alarmNames = spec.traffic ? alarmsOf(spec.traffic) : [];
  const alarms = alarmNames.length
    ? ((await clients.cloudwatch.send(new DescribeAlarmsCommand({ AlarmNames: alarmNames }))).MetricAlarms ?? [])
    : [];

  let image = spec.image;
  if (spec.pinImageDigest && ecrImageOf(image) && !isPinned(image)) {
    image = (await aws.resolveImageDigest({ image })).pinned;
  }
  for (const service of services) {
    const found = await aws.describeServiceScaling({ cluster: spec.cluster, service: service.name });
    if (found.scaling) service.scaling = found.scaling;
    if (found.notCarried.length)
      notRehearsed.push(`${service.name}'s scaling ${found.notCarried.join(', ')}: not recreated`);
  }
  if (JSON.stringify(spec.taskDefinition).includes('"secrets"')) {
    notRehearsed.push("the secrets' values (Secrets Manager, SSM): the rehearsal's tasks start without reading them");
  }

  return {
    cluster: { name: cluster.name, capacityProviders: cluster.capacityProviders },
    loadBalancer: { name: lb.name },
    listener: {
      port: listener.Port!,
      protocol: listener.Protocol ?? 'HTTP',
      defaultActions: listener.DefaultActions ?? [],
    },
    rules: rules
      .filter((r) => !r.IsDefault)
      .map((r) => ({ priority: r.Priority!, conditions: r.Conditions ?? [], actions: r.Actions ?? [] })),
    targetGroups,
    services,
    zone: { name: spec.hostedZone },
    records,
    alarms,
    image,
    notRehearsed,
  };
}

/** The cluster's services that register in these target groups, with the revision each runs. */
async function servicesBehind(
  clients: AwsClients,
  aws: ReturnType<typeof createActivities>,
  cluster: string,
  targetGroupArns: Set<string>,
): Promise<ShapeService[]> {
  if (!targetGroupArns.size) return [];
  const arns: string[] = [];
  let nextToken: string | undefined;
  do {
    const page = await clients.ecs.send(new ListServicesCommand({ cluster, nextToken }));
    arns.push(...(page.serviceArns ?? []));
    nextToken = page.nextToken;
  } while (nextToken);
  const found: ShapeService[] = [];
  for (let i = 0; i < arns.length; i += 10) {
    const out = await clients.ecs.send(new DescribeServicesCommand({ cluster, services: arns.slice(i, i + 10) }));
    for (const service of out.services ?? []) {
      const lb = service.loadBalancers?.find((l) => l.targetGroupArn && targetGroupArns.has(l.targetGroupArn));
      if (!lb || service.status !== 'ACTIVE' || !service.taskDefinition) continue;
      const revision = await aws.describeRevision({ taskDefinition: service.taskDefinition });
      found.push({
        name: service.serviceName!,
        taskDefinition: revision.taskDefinition,
        desiredCount: service.desiredCount ?? 1,
        targetGroupArn: lb.targetGroupArn!,
        containerName: lb.containerName!,
        containerPort: lb.containerPort!,
        launchType: service.launchType,
        ...(service.capacityProviderStrategy?.length
          ? {
              capacityProviderStrategy: service.capacityProviderStrategy.map((c) => ({
                capacityProvider: c.capacityProvider!,
                weight: c.weight,
                base: c.base,
              })),
            }
          : {}),
      });
    }
  }
  return found;
}
