// After a scenario: everything Switchyard tagged for a service that does not belong to its live deployment
// is a leak (services, target groups, rules, stage DNS records, ACTIVE task definition revisions).
import {
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  ListServicesCommand,
  ListTaskDefinitionsCommand,
} from '@aws-sdk/client-ecs';
import {
  DescribeRulesCommand,
  DescribeTagsCommand,
  DescribeTargetGroupsCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { ListResourceRecordSetsCommand } from '@aws-sdk/client-route-53';
import type { AwsClients } from '../../src/aws/clients';
import { resourceNames, tagKeys } from '../../src/shared/naming';

export interface LeakScope {
  service: string;
  environment: string;
  cluster: string;
  listenerArn: string;
  zoneId: string;
  hosts: { production: string; stage: string };
  /** The deployment production should be on (undefined: none, e.g. a first deployment rolled back). */
  live?: string;
}

const tagOf = (tags: { Key?: string; Value?: string; key?: string; value?: string }[] | undefined, key: string) =>
  tags?.find((t) => (t.Key ?? t.key) === key)?.Value ?? tags?.find((t) => (t.Key ?? t.key) === key)?.value;

/** One line per leak; empty when the account holds exactly the live deployment. */
export async function findLeaks(clients: AwsClients, scope: LeakScope): Promise<string[]> {
  const leaks: string[] = [];
  const mine = (tags: Parameters<typeof tagOf>[0]) =>
    tagOf(tags, tagKeys.service) === scope.service && tagOf(tags, tagKeys.environment) === scope.environment;

  const groups = (await clients.elbv2.send(new DescribeTargetGroupsCommand({}))).TargetGroups ?? [];
  const groupTags = new Map<string, Parameters<typeof tagOf>[0]>();
  for (let i = 0; i < groups.length; i += 20) {
    const out = await clients.elbv2.send(
      new DescribeTagsCommand({ ResourceArns: groups.slice(i, i + 20).map((g) => g.TargetGroupArn!) }),
    );
    for (const d of out.TagDescriptions ?? []) groupTags.set(d.ResourceArn!, d.Tags);
  }
  const liveGroupArn = groups.find(
    (g) => scope.live && g.TargetGroupName === resourceNames(scope, scope.live).targetGroup,
  )?.TargetGroupArn;
  for (const g of groups) {
    const tags = groupTags.get(g.TargetGroupArn!);
    if (mine(tags) && tagOf(tags, tagKeys.deployment) !== scope.live) leaks.push(`target group ${g.TargetGroupName}`);
  }
  if (scope.live && !liveGroupArn)
    leaks.push(`missing: the live deployment's target group ${resourceNames(scope, scope.live).targetGroup}`);

  const serviceArns = (await clients.ecs.send(new ListServicesCommand({ cluster: scope.cluster }))).serviceArns ?? [];
  for (let i = 0; i < serviceArns.length; i += 10) {
    const out = await clients.ecs.send(
      new DescribeServicesCommand({
        cluster: scope.cluster,
        services: serviceArns.slice(i, i + 10),
        include: ['TAGS'],
      }),
    );
    for (const s of out.services ?? []) {
      if (s.status === 'ACTIVE' && mine(s.tags) && tagOf(s.tags, tagKeys.deployment) !== scope.live)
        leaks.push(`ECS service ${s.serviceName}`);
    }
  }

  const rules = (
    (await clients.elbv2.send(new DescribeRulesCommand({ ListenerArn: scope.listenerArn }))).Rules ?? []
  ).filter((r) => !r.IsDefault);
  const hostOf = (r: (typeof rules)[number]) => r.Conditions?.flatMap((c) => c.HostHeaderConfig?.Values ?? []) ?? [];
  for (const r of rules) {
    const hosts = hostOf(r);
    if (hosts.includes(scope.hosts.stage)) leaks.push(`stage rule ${scope.hosts.stage}`);
    if (hosts.includes(scope.hosts.production)) {
      const targets = r.Actions?.[0]?.ForwardConfig?.TargetGroups ?? [];
      const elsewhere = targets.filter((t) => t.TargetGroupArn !== liveGroupArn);
      if (!scope.live) leaks.push(`production rule ${scope.hosts.production} with no live deployment`);
      else if (elsewhere.length)
        leaks.push(
          `production rule still references ${elsewhere.map((t) => `${t.TargetGroupArn}=${t.Weight}`).join(', ')}`,
        );
    }
  }

  const records =
    (await clients.route53.send(new ListResourceRecordSetsCommand({ HostedZoneId: scope.zoneId })))
      .ResourceRecordSets ?? [];
  if (records.some((r) => r.Name?.replace(/\.$/, '') === scope.hosts.stage))
    leaks.push(`stage DNS record ${scope.hosts.stage}`);

  const family = resourceNames(scope, 'x').family;
  const revisions =
    (await clients.ecs.send(new ListTaskDefinitionsCommand({ familyPrefix: family, status: 'ACTIVE' })))
      .taskDefinitionArns ?? [];
  for (const arn of revisions) {
    const def = await clients.ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: arn, include: ['TAGS'] }));
    if (def.taskDefinition?.status === 'ACTIVE' && tagOf(def.tags, tagKeys.deployment) !== scope.live)
      leaks.push(`task definition ${arn.split('/').pop()}`);
  }
  return leaks;
}
