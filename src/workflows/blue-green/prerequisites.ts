// What must exist before a blue/green deployment creates anything (the cluster and the capacity providers
// it names, the load balancer, the hosted zone, the plan's alarms), what production's record says, and
// what production forwards to now. A miss is invalid input ('Prerequisite'): nothing has been created.
import { ApplicationFailure, patched } from '@temporalio/workflow';
import type { HostRule, LoadBalancerSummary } from '../../activities/elbv2';
import type { DeploymentSpec, PreviousDeployment } from '../../shared/deployment';
import { resourceNames, tagKeys } from '../../shared/naming';
import { aliasesTo, describeRecords, type RecordSnapshot } from '../../shared/records';
import { alarmsOf } from '../../shared/traffic';
import { pinnedImage } from '../common/image';
import { aws } from '../common/activities';
import { describeMissing, lookUpPrerequisites } from '../common/prerequisites';
import { adoptLiveService, productionRecordKept } from '../patches';
import { readCapacity } from './capacity';
import type { BlueGreenContext, Found } from './context';
import { failureTypes } from '../../shared/failures';

export async function checkPrerequisites(ctx: BlueGreenContext): Promise<Found> {
  const { spec, status, tracker } = ctx;
  const found = await lookUpPrerequisites(aws, {
    cluster: spec.cluster,
    loadBalancer: spec.loadBalancer.name,
    hostedZone: spec.hostedZone,
    capacityProviders: (spec.capacityProviderStrategy ?? []).map((p) => p.capacityProvider),
    alarms: alarmsOf(ctx.plan),
  });
  const { loadBalancer: lb, zone } = found;
  const missing = describeMissing(found, spec.cluster);
  if (missing.length || !lb || !zone)
    throw ApplicationFailure.nonRetryable(`not found: ${missing.join(', ')}`, failureTypes.prerequisite);
  const image = await pinnedImage(tracker, spec.image, spec.pinImageDigest);
  const adopting = patched(adoptLiveService);
  // A record the spec leaves alone is not read either (since adopt-live-service).
  const readRecord = patched(productionRecordKept) && !(adopting && spec.hosts.productionRecord === 'leave');
  const productionRecords = readRecord ? await readProductionRecord(ctx, zone.id, lb) : undefined;
  status.resources.loadBalancerArn = lb.arn;
  const listenerArn = await aws.ensureListener({ loadBalancerArn: lb.arn, port: spec.loadBalancer.listenerPort });
  status.resources.listenerArn = listenerArn;
  const { previous, rule } = await findLiveDeployment(ctx, listenerArn);
  status.previous = previous;
  tracker.note(previous ? `live now: ${previous.deploymentId}` : 'no deployment is live yet');
  if (!adopting) return { image, lb, zoneId: zone.id, listenerArn, productionRecords, previous, adopting };
  if (!rule) await refuseUnmatchedRules(ctx, listenerArn);
  else if (spec.adopt && !previous)
    throw ApplicationFailure.nonRetryable(
      `adopt: the rule for ${spec.hosts.production} forwards nowhere, so there is no service to adopt`,
      failureTypes.prerequisite,
    );
  ctx.productionRuleFingerprint = rule?.fingerprint;
  ctx.productionRuleFrame = rule?.frame;
  const capacity = await readCapacity(ctx, previous);
  return {
    image,
    lb,
    zoneId: zone.id,
    listenerArn,
    productionRecords,
    previous,
    adopting,
    productionRule: rule,
    capacity,
  };
}

/**
 * No rule has exactly the spec's conditions: a first deployment would create one. Refused when a rule
 * for the host exists with other conditions (it would keep serving what it matches, beside the new one),
 * or when the spec adopts a service (there is none to adopt).
 */
async function refuseUnmatchedRules(ctx: BlueGreenContext, listenerArn: string): Promise<void> {
  const { spec } = ctx;
  const host = spec.hosts.production;
  const others = await aws.describeRulesForHost({ listenerArn, host });
  const wanted = ['host-header', ...(spec.productionRule?.pathPatterns ?? []).map((p) => `path-pattern ${p}`)];
  if (others.length)
    throw ApplicationFailure.nonRetryable(
      `no rule for ${host} has exactly the spec's conditions (${wanted.join(', ')}${spec.productionRule?.httpHeaders?.length ? ', http-header …' : ''}); ` +
        `the listener has ${others.join('; ')}: set productionRule's pathPatterns and httpHeaders to that rule's, or give this deployment another host`,
      failureTypes.prerequisite,
    );
  if (spec.adopt)
    throw ApplicationFailure.nonRetryable(
      `adopt: no rule forwards ${host} on listener ${listenerArn}, so there is no service to adopt: remove adopt for a first deployment`,
      failureTypes.prerequisite,
    );
}

/** The production host's records now; those pointing elsewhere are replaced only if the spec says so. */
async function readProductionRecord(
  ctx: BlueGreenContext,
  zoneId: string,
  lb: LoadBalancerSummary,
): Promise<RecordSnapshot[]> {
  const { spec } = ctx;
  const records = await aws.recordsAt({ zoneId, name: spec.hosts.production });
  const elsewhere = records.filter((r) => !aliasesTo(r, lb.dnsName));
  if (elsewhere.length && !spec.hosts.overwriteProductionRecord) {
    throw ApplicationFailure.nonRetryable(
      `${spec.hosts.production} points elsewhere (${describeRecords(elsewhere)}); refusing to replace it: ` +
        'set hosts.overwriteProductionRecord: true to replace it (a rollback puts it back)',
      failureTypes.prerequisite,
    );
  }
  return records;
}

/** What production forwards to now (see readLiveDeployment), kept in the context. */
async function findLiveDeployment(
  ctx: BlueGreenContext,
  listenerArn: string,
): Promise<{ previous?: PreviousDeployment; rule?: HostRule }> {
  const found = await readLiveDeployment(ctx.spec, listenerArn);
  if (found.previous && found.rule) {
    ctx.productionRuleArn = found.rule.ruleArn;
    ctx.status.resources.productionRuleArn = found.rule.ruleArn;
  }
  return found;
}

/**
 * What production forwards to now, read from AWS: the rule's target group and its Switchyard tags (a
 * deployment, and `switchyard plan`, read it alike). Refused when another Switchyard service serves the host.
 */
export async function readLiveDeployment(
  spec: DeploymentSpec,
  listenerArn: string,
): Promise<{ previous?: PreviousDeployment; rule?: HostRule }> {
  const rule = await aws.findHostRule({ listenerArn, host: spec.hosts.production, rule: spec.productionRule });
  const live = rule?.targets.filter((t) => t.weight > 0) ?? [];
  if (!rule || live.length === 0) return { rule };
  const allTags = await aws.describeTargetGroupTags({ targetGroupArns: live.map((t) => t.targetGroupArn) });
  const ours = Object.entries(allTags).find(
    ([, t]) => t[tagKeys.service] === spec.service && t[tagKeys.environment] === spec.environment,
  );
  const foreign = Object.values(allTags).find((t) => t[tagKeys.service]);
  if (!ours && foreign) {
    // Another Switchyard service serves this host: taking it over would cut that service's production.
    throw ApplicationFailure.nonRetryable(
      `${spec.hosts.production} is served by ${foreign[tagKeys.service]}/${foreign[tagKeys.environment]} (deployment ${foreign[tagKeys.deployment]}); ` +
        'refusing to take it over: choose another hosts.production',
      failureTypes.prerequisite,
    );
  }
  const [targetGroupArn, groupTags] = ours ?? [live[0].targetGroupArn, {}];
  const previousId = groupTags[tagKeys.deployment];
  if (!previousId) return { previous: { deploymentId: 'unmanaged', targetGroupArn }, rule };
  const serviceName = resourceNames(spec, previousId).ecsService;
  const service = await aws.findService({ cluster: spec.cluster, name: serviceName });
  const previous: PreviousDeployment = {
    deploymentId: previousId,
    targetGroupArn,
    serviceName,
    taskDefinitionArn: service?.taskDefinition,
    ...(service ? { tasks: Math.max(service.desiredCount, service.runningCount) } : {}),
  };
  return { previous, rule };
}
