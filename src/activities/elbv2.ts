import {
  CreateListenerCommand,
  CreateRuleCommand,
  CreateTargetGroupCommand,
  DeleteRuleCommand,
  DeleteTargetGroupCommand,
  DescribeListenersCommand,
  DescribeLoadBalancersCommand,
  DescribeRulesCommand,
  DescribeTagsCommand,
  DescribeTargetGroupsCommand,
  DescribeTargetHealthCommand,
  ModifyRuleCommand,
  ModifyTargetGroupAttributesCommand,
  type Action,
  type ElasticLoadBalancingV2Client,
  type Rule,
  type TagDescription,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import type { ProductionRuleSpec } from '../shared/adoption';
import type { HealthCheckSpec } from '../shared/deployment';
import {
  choosePriority,
  conditionsOf,
  describeConditions,
  ruleFingerprint,
  ruleFrame,
  ruleHosts,
  ruleMatch,
  ruleMatches,
  type RuleMatch,
} from './elbv2-rules';
import { tagKeys, type Tag } from '../shared/naming';
import { attempt, isAwsError, wrapAwsError } from './errors';
import { oneObject } from './inputs';
import { pollUntil, type PollOptions } from './polling';
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { failureTypes } from '../shared/failures';

export interface LoadBalancerSummary {
  name: string;
  arn: string;
  dnsName: string;
  canonicalHostedZoneId: string;
  vpcId: string;
  subnetIds: string[];
  securityGroupIds: string[];
  listenerPorts: number[];
}

export interface WeightedTarget {
  targetGroupArn: string;
  weight: number;
}

export interface HostRule {
  ruleArn: string;
  priority: number;
  host: string;
  targets: WeightedTarget[];
  /** The rule's conditions and actions as one string (absent in results recorded before it existed). */
  fingerprint?: string;
  /** The same without the forward's weights (absent as above). */
  frame?: string;
  /** The rule's actions as read (absent as above): what a restore writes back exactly. */
  actions?: Action[];
}

/** A target group Switchyard tagged for a service and environment, with the deployment it belongs to. */
export interface TaggedTargetGroup {
  arn: string;
  name: string;
  deploymentId: string;
}

export interface TargetHealthCounts {
  healthy: number;
  unhealthy: number;
  /** initial, draining, unused, unavailable. */
  other: number;
  /** Of `other`: registered, but no listener rule forwards to the group, so nothing checks them. */
  unused: number;
}

/** ALB limits our own code enforces (moto does not): rule priorities and forward weights. */
export const albLimits = { maxPriority: 50_000, maxWeight: 999, maxTargetGroupsPerForward: 5 } as const;

function ruleTargets(rule: Rule): WeightedTarget[] {
  const forward = rule.Actions?.find((a) => a.Type === 'forward');
  if (!forward) return [];
  const groups = forward.ForwardConfig?.TargetGroups;
  if (groups?.length) return groups.map((g) => ({ targetGroupArn: g.TargetGroupArn!, weight: g.Weight ?? 1 }));
  return forward.TargetGroupArn ? [{ targetGroupArn: forward.TargetGroupArn, weight: 1 }] : [];
}

/** Whether two forwards send the same weights to the same groups (weight 0 as absent). */
function sameTargets(a: WeightedTarget[], b: WeightedTarget[]): boolean {
  const key = (targets: WeightedTarget[]) =>
    JSON.stringify(
      targets
        .filter((t) => t.weight > 0)
        .map((t) => `${t.targetGroupArn}=${t.weight}`)
        .sort(),
    );
  return key(a) === key(b);
}

/** DescribeTags' answer as tags by resource ARN. */
function tagsByArn(descriptions: TagDescription[] | undefined): Record<string, Record<string, string>> {
  return Object.fromEntries(
    (descriptions ?? []).map((d) => [
      d.ResourceArn!,
      Object.fromEntries((d.Tags ?? []).map((t) => [t.Key!, t.Value ?? ''])),
    ]),
  );
}

function hostRule(rule: Rule, host: string): HostRule {
  return {
    ruleArn: rule.RuleArn!,
    priority: Number(rule.Priority),
    host,
    targets: ruleTargets(rule),
    fingerprint: ruleFingerprint(rule),
    frame: ruleFrame(rule),
    actions: rule.Actions ?? [],
  };
}

/** Actions as ModifyRule takes them back: an OIDC client secret is never read, so AWS keeps the one it has. */
function asWritten(action: Action): Action {
  if (action.Type !== 'authenticate-oidc' || !action.AuthenticateOidcConfig) return action;
  const config = { ...action.AuthenticateOidcConfig, UseExistingClientSecret: true };
  delete config.ClientSecret;
  return { ...action, AuthenticateOidcConfig: config };
}

/** The running activity's cancellation, to abort its AWS call; none outside an activity (scripts, tests). */
function activityCancellation(): AbortSignal | undefined {
  try {
    return Context.current().cancellationSignal;
  } catch {
    return undefined;
  }
}

function forwardAction(targets: WeightedTarget[]) {
  if (targets.length === 0 || targets.length > albLimits.maxTargetGroupsPerForward) {
    throw ApplicationFailure.nonRetryable(
      `a forward action takes 1-${albLimits.maxTargetGroupsPerForward} target groups, got ${targets.length}`,
      failureTypes.invalidForward,
    );
  }
  for (const t of targets) {
    if (!Number.isInteger(t.weight) || t.weight < 0 || t.weight > albLimits.maxWeight) {
      throw ApplicationFailure.nonRetryable(
        `forward weights are whole numbers 0-${albLimits.maxWeight}, got ${t.weight}`,
        failureTypes.invalidForward,
      );
    }
  }
  return [
    {
      Type: 'forward' as const,
      ForwardConfig: { TargetGroups: targets.map((t) => ({ TargetGroupArn: t.targetGroupArn, Weight: t.weight })) },
    },
  ];
}

/** Actions that end a rule; a rule has exactly one, last (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/listener-update-rules.html). */
const terminalActions = new Set(['forward', 'redirect', 'fixed-response']);

/**
 * A rule's actions with its terminal action replaced by this forward: ModifyRule replaces every action,
 * so the others (authenticate-oidc, authenticate-cognito) are sent back as they are, in their order.
 * DescribeRules never returns an OIDC client secret: the copy asks AWS to keep the one it has
 * (UseExistingClientSecret, https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_AuthenticateOidcActionConfig.html).
 */
export function actionsWithForward(current: Action[] | undefined, targets: WeightedTarget[]): Action[] {
  const [bare] = forwardAction(targets);
  // Target group stickiness belongs to the forward action: it stays as the rule had it.
  const stickiness = current?.find((a) => a.Type === 'forward')?.ForwardConfig?.TargetGroupStickinessConfig;
  const forward = stickiness
    ? { ...bare, ForwardConfig: { ...bare.ForwardConfig, TargetGroupStickinessConfig: stickiness } }
    : bare;
  const kept = (current ?? []).filter((a) => !terminalActions.has(a.Type ?? ''));
  if (kept.length === 0) return [forward];
  const copies = [...kept].sort((a, b) => (a.Order ?? 0) - (b.Order ?? 0)).map(asWritten);
  const last = Math.max(...copies.map((a) => a.Order ?? 0));
  return [...copies, { ...forward, Order: last + 1 }];
}

export function createElbv2Activities(elbv2: ElasticLoadBalancingV2Client) {
  async function listRules(listenerArn: string): Promise<Rule[]> {
    const rules: Rule[] = [];
    let marker: string | undefined;
    do {
      const page = await attempt(`describe rules of listener ${listenerArn}`, () =>
        elbv2.send(new DescribeRulesCommand({ ListenerArn: listenerArn, Marker: marker, PageSize: 100 })),
      );
      rules.push(...(page.Rules ?? []));
      marker = page.NextMarker;
    } while (marker);
    return rules;
  }

  /**
   * Tags of these resources (at most 20), leaving out any deleted meanwhile: DescribeTags fails the whole
   * call for one missing ARN, so then they are asked one by one.
   */
  async function tagsOfExisting(arns: string[]): Promise<Record<string, Record<string, string>>> {
    try {
      return tagsByArn((await elbv2.send(new DescribeTagsCommand({ ResourceArns: arns }))).TagDescriptions);
    } catch (err) {
      if (!isAwsError(err, 'TargetGroupNotFoundException') || arns.length === 1) {
        if (isAwsError(err, 'TargetGroupNotFoundException')) return {};
        throw wrapAwsError(`describe tags of ${arns.length} target groups`, err);
      }
      const each = await Promise.all(arns.map((arn) => tagsOfExisting([arn])));
      return Object.assign({}, ...each);
    }
  }

  async function listenerOn(loadBalancerArn: string, port: number): Promise<string | undefined> {
    const listeners = await attempt(`describe listeners of ${loadBalancerArn}`, () =>
      elbv2.send(new DescribeListenersCommand({ LoadBalancerArn: loadBalancerArn })),
    );
    return listeners.Listeners?.find((l) => l.Port === port)?.ListenerArn;
  }

  async function targetStates(targetGroupArn: string): Promise<string[]> {
    const out = await attempt(`describe target health of ${targetGroupArn}`, () =>
      elbv2.send(new DescribeTargetHealthCommand({ TargetGroupArn: targetGroupArn })),
    );
    return (out.TargetHealthDescriptions ?? []).map((d) => d.TargetHealth?.State ?? 'unknown');
  }

  /** The host's rule: the one with exactly the host's conditions (the spec's path patterns and headers too). */
  async function findRule(listenerArn: string, match: RuleMatch): Promise<Rule | undefined> {
    return (await listRules(listenerArn)).find((r) => ruleMatches(r, match));
  }

  async function findHostRule(listenerArn: string, match: RuleMatch): Promise<HostRule | undefined> {
    const rule = await findRule(listenerArn, match);
    return rule ? hostRule(rule, match.host.toLowerCase()) : undefined;
  }

  async function readRule(ruleArn: string): Promise<Rule | undefined> {
    try {
      const out = await elbv2.send(new DescribeRulesCommand({ RuleArns: [ruleArn] }), {
        abortSignal: activityCancellation(),
      });
      return out.Rules?.find((r) => r.RuleArn);
    } catch (err) {
      if (isAwsError(err, 'RuleNotFoundException')) return undefined;
      throw wrapAwsError(`describe rule ${ruleArn}`, err);
    }
  }

  /**
   * Points an existing rule at these targets: only its terminal action becomes this forward, its other
   * actions and its conditions (which ModifyRule leaves alone when not sent) stay. Aborted with the
   * activity (a timed-out attempt stops).
   */
  async function modifyRule(rule: Rule, what: string, targets: WeightedTarget[]): Promise<void> {
    const actions = actionsWithForward(rule.Actions, targets);
    await attempt(`point ${what} at ${targets.map((t) => `${t.targetGroupArn}=${t.weight}`).join(', ')}`, () =>
      elbv2.send(new ModifyRuleCommand({ RuleArn: rule.RuleArn, Actions: actions }), {
        abortSignal: activityCancellation(),
      }),
    );
  }

  /** The named target group: the one a previous attempt created, or a new one. */
  async function createdGroup(input: {
    name: string;
    vpcId: string;
    port: number;
    targetType: 'ip' | 'instance';
    healthCheck: HealthCheckSpec;
    tags: Tag[];
  }): Promise<string> {
    try {
      const found = await elbv2.send(new DescribeTargetGroupsCommand({ Names: [input.name] }));
      const arn = found.TargetGroups?.[0]?.TargetGroupArn;
      if (arn) return arn;
    } catch (err) {
      if (!isAwsError(err, 'TargetGroupNotFoundException'))
        throw wrapAwsError(`describe target group ${input.name}`, err);
    }
    const hc = input.healthCheck;
    const out = await attempt(`create target group ${input.name}`, () =>
      elbv2.send(
        new CreateTargetGroupCommand({
          Name: input.name,
          Protocol: 'HTTP',
          Port: input.port,
          VpcId: input.vpcId,
          TargetType: input.targetType,
          HealthCheckProtocol: 'HTTP',
          HealthCheckPath: hc.path,
          HealthCheckIntervalSeconds: hc.intervalSeconds,
          HealthCheckTimeoutSeconds: hc.timeoutSeconds,
          HealthyThresholdCount: hc.healthyThreshold,
          UnhealthyThresholdCount: hc.unhealthyThreshold,
          Matcher: { HttpCode: hc.matcher },
          // An empty list goes out as `Tags=`, which AWS refuses (at least one tag): none is left out.
          Tags: input.tags.length ? input.tags.map((t) => ({ Key: t.key, Value: t.value })) : undefined,
        }),
      ),
    );
    return out.TargetGroups![0].TargetGroupArn!;
  }

  return {
    /** The load balancer named or ARN'd, with its network and listener ports; undefined when it does not exist. */
    async findLoadBalancer(input: { loadBalancer: string }): Promise<LoadBalancerSummary | undefined> {
      const nameOrArn = oneObject(input, 'loadBalancer').loadBalancer;
      const byArn = nameOrArn.startsWith('arn:');
      let lbs;
      try {
        lbs = await elbv2.send(
          new DescribeLoadBalancersCommand(byArn ? { LoadBalancerArns: [nameOrArn] } : { Names: [nameOrArn] }),
        );
      } catch (err) {
        if (isAwsError(err, 'LoadBalancerNotFoundException')) return undefined;
        throw wrapAwsError(`describe load balancer ${nameOrArn}`, err);
      }
      const lb = lbs.LoadBalancers?.[0];
      if (!lb?.LoadBalancerArn) return undefined;
      const listeners = await attempt(`describe listeners of load balancer ${nameOrArn}`, () =>
        elbv2.send(new DescribeListenersCommand({ LoadBalancerArn: lb.LoadBalancerArn })),
      );
      return {
        name: lb.LoadBalancerName ?? nameOrArn,
        arn: lb.LoadBalancerArn,
        dnsName: lb.DNSName ?? '',
        canonicalHostedZoneId: lb.CanonicalHostedZoneId ?? '',
        vpcId: lb.VpcId ?? '',
        subnetIds: (lb.AvailabilityZones ?? []).map((z) => z.SubnetId!).filter(Boolean),
        securityGroupIds: lb.SecurityGroups ?? [],
        listenerPorts: (listeners.Listeners ?? []).map((l) => l.Port ?? 0).sort((a, b) => a - b),
      };
    },

    /**
     * Where the listener's default action forwards, as percent per target group (a CodeDeploy deployment
     * group's production and test listeners); its port, to tell people where to test.
     */
    async readListenerForward(input: {
      listenerArn: string;
    }): Promise<{ port: number; forward: { targetGroupArn: string; percent: number }[] }> {
      const out = await attempt(`describe listener ${input.listenerArn}`, () =>
        elbv2.send(new DescribeListenersCommand({ ListenerArns: [input.listenerArn] })),
      );
      const listener = out.Listeners?.[0];
      const action = listener?.DefaultActions?.find((a) => a.Type === 'forward');
      const groups =
        action?.ForwardConfig?.TargetGroups ??
        (action?.TargetGroupArn ? [{ TargetGroupArn: action.TargetGroupArn, Weight: 1 }] : []);
      const total = groups.reduce((n, g) => n + (g.Weight ?? 1), 0) || 1;
      return {
        port: listener?.Port ?? 0,
        forward: groups.map((g) => ({
          targetGroupArn: g.TargetGroupArn ?? '',
          percent: Math.round(((g.Weight ?? 1) * 100) / total),
        })),
      };
    },

    /** The listener on this port; an HTTP listener answering 404 is created when there is none. */
    async ensureListener(input: { loadBalancerArn: string; port: number }): Promise<string> {
      const existing = await listenerOn(input.loadBalancerArn, input.port);
      if (existing) return existing;
      const out = await attempt(`create HTTP listener on port ${input.port}`, () =>
        elbv2.send(
          new CreateListenerCommand({
            LoadBalancerArn: input.loadBalancerArn,
            Protocol: 'HTTP',
            Port: input.port,
            DefaultActions: [
              {
                Type: 'fixed-response',
                FixedResponseConfig: { StatusCode: '404', ContentType: 'text/plain', MessageBody: 'no route' },
              },
            ],
          }),
        ),
      );
      return out.Listeners![0].ListenerArn!;
    },

    /**
     * The priorities rules for these hosts would get if they were created one after another, as putHostRule
     * chooses them (a plan's preview; reads only). A host whose rule exists gets its rule's priority; one
     * that cannot get any, the reason.
     */
    async planRulePriorities(input: {
      listenerArn?: string;
      hosts: { host: string; rule?: ProductionRuleSpec }[];
    }): Promise<({ priority: number; exists: boolean } | { problem: string })[]> {
      const rules = input.listenerArn ? await listRules(input.listenerArn) : [];
      return input.hosts.map(({ host, rule }) => {
        const match = ruleMatch(host, rule);
        const existing = rules.find((r) => ruleMatches(r, match));
        if (existing) return { priority: Number(existing.Priority), exists: true };
        const choice = choosePriority(rules, match, albLimits.maxPriority, rule?.priority);
        if ('problem' in choice) return choice;
        rules.push({ Priority: String(choice.priority), Conditions: conditionsOf(match), IsDefault: false });
        return { priority: choice.priority, exists: false };
      });
    },

    /** The listener on this port, or undefined: never creates one. */
    findListener: (input: { loadBalancerArn: string; port: number }) => listenerOn(input.loadBalancerArn, input.port),

    /**
     * Every target group tagged for this service and environment, found by listing the account's target
     * groups (pages of 400) and reading their tags (DescribeTags takes at most 20 ARNs a call).
     */
    async findTaggedTargetGroups(input: { service: string; environment: string }): Promise<TaggedTargetGroup[]> {
      const groups: { arn: string; name: string }[] = [];
      let marker: string | undefined;
      do {
        const page = await attempt('list target groups', () =>
          elbv2.send(new DescribeTargetGroupsCommand({ Marker: marker, PageSize: 400 })),
        );
        groups.push(
          ...(page.TargetGroups ?? []).map((g) => ({ arn: g.TargetGroupArn!, name: g.TargetGroupName ?? '' })),
        );
        marker = page.NextMarker;
      } while (marker);
      const found: TaggedTargetGroup[] = [];
      for (let i = 0; i < groups.length; i += 20) {
        const batch = groups.slice(i, i + 20);
        for (const [arn, tags] of Object.entries(await tagsOfExisting(batch.map((g) => g.arn)))) {
          if (
            tags[tagKeys.service] !== input.service ||
            tags[tagKeys.environment] !== input.environment ||
            !tags[tagKeys.deployment]
          )
            continue;
          found.push({
            arn,
            name: batch.find((g) => g.arn === arn)?.name ?? '',
            deploymentId: tags[tagKeys.deployment],
          });
        }
      }
      return found;
    },

    /**
     * Creates the target group, or returns the one a previous attempt created; then sets its
     * deregistration delay (a separate call: CreateTargetGroup takes no attributes).
     * targetType: ip for awsvpc tasks, instance for bridge and host (src/shared/launch.ts).
     */
    async createTargetGroup(input: {
      name: string;
      vpcId: string;
      port: number;
      targetType: 'ip' | 'instance';
      healthCheck: HealthCheckSpec;
      /** How long the load balancer lets in-flight requests finish on a deregistered target; absent: AWS's 300. */
      deregistrationDelaySeconds?: number;
      tags: Tag[];
    }): Promise<string> {
      const arn = await createdGroup(input);
      if (input.deregistrationDelaySeconds !== undefined) {
        const seconds = input.deregistrationDelaySeconds;
        await attempt(`set the deregistration delay of ${input.name} to ${seconds} s`, () =>
          elbv2.send(
            new ModifyTargetGroupAttributesCommand({
              TargetGroupArn: arn,
              Attributes: [{ Key: 'deregistration_delay.timeout_seconds', Value: String(seconds) }],
            }),
          ),
        );
      }
      return arn;
    },

    /**
     * Deletes the target group, by ARN or by name (undos know only the name when the create may not have
     * returned); already gone is fine. Fails, retryably, while a rule still forwards to it.
     */
    async deleteTargetGroup(input: { arn: string } | { name: string }): Promise<void> {
      try {
        const arn =
          'arn' in input
            ? input.arn
            : (await elbv2.send(new DescribeTargetGroupsCommand({ Names: [input.name] }))).TargetGroups?.[0]
                ?.TargetGroupArn;
        if (arn) await elbv2.send(new DeleteTargetGroupCommand({ TargetGroupArn: arn }));
      } catch (err) {
        if (isAwsError(err, 'TargetGroupNotFoundException')) return;
        throw wrapAwsError(`delete target group ${'arn' in input ? input.arn : input.name}`, err);
      }
    },

    /** Tags of each target group, by ARN (missing groups are left out). */
    async describeTargetGroupTags(input: {
      targetGroupArns: string[];
    }): Promise<Record<string, Record<string, string>>> {
      const arns = oneObject(input, 'targetGroupArns').targetGroupArns;
      if (arns.length === 0) return {};
      const out = await attempt(`describe tags of target groups ${arns.join(', ')}`, () =>
        elbv2.send(new DescribeTagsCommand({ ResourceArns: arns })),
      );
      return tagsByArn(out.TagDescriptions);
    },

    /**
     * Every rule with this host among its host values, whatever its other conditions, as "priority N:
     * conditions" (to say why none matched a spec's exactly).
     */
    async describeRulesForHost(input: { listenerArn: string; host: string }): Promise<string[]> {
      const host = input.host.toLowerCase();
      return (await listRules(input.listenerArn))
        .filter((r) => !r.IsDefault && ruleHosts(r).includes(host))
        .map((r) => `priority ${r.Priority}: ${describeConditions(r)}`);
    },

    /** The host's rule, found by its full condition set (the host, and `rule`'s path patterns and headers). */
    findHostRule: (input: { listenerArn: string; host: string; rule?: ProductionRuleSpec }) =>
      findHostRule(input.listenerArn, ruleMatch(input.host, input.rule)),

    /**
     * Points the host's rule at these target groups (creating the rule with the next free priority when
     * there is none), then reads it back: the returned rule is what AWS now has.
     */
    async putHostRule(input: {
      listenerArn: string;
      host: string;
      targets: WeightedTarget[];
      tags: Tag[];
      /** Production's conditions beyond the host, and where its rule goes if it is created. */
      rule?: ProductionRuleSpec;
    }): Promise<HostRule> {
      const actions = forwardAction(input.targets);
      const match = ruleMatch(input.host, input.rule);
      const existing = await findRule(input.listenerArn, match);
      if (existing) {
        await modifyRule(existing, `the ${input.host} rule`, input.targets);
      } else {
        const choice = choosePriority(
          await listRules(input.listenerArn),
          match,
          albLimits.maxPriority,
          input.rule?.priority,
        );
        if ('problem' in choice) {
          throw ApplicationFailure.nonRetryable(
            `listener ${input.listenerArn}: ${choice.problem}`,
            failureTypes.noRulePriority,
          );
        }
        const { priority } = choice;
        // A concurrent writer taking the same priority makes this fail with PriorityInUse: retried.
        await attempt(`create the ${input.host} rule at priority ${priority}`, () =>
          elbv2.send(
            new CreateRuleCommand({
              ListenerArn: input.listenerArn,
              Priority: priority,
              Conditions: conditionsOf(match),
              Actions: actions,
              // An empty list goes out as `Tags=`, which AWS refuses (at least one tag): none is left out.
              Tags: input.tags.length ? input.tags.map((t) => ({ Key: t.key, Value: t.value })) : undefined,
            }),
          ),
        );
      }
      const after = await findHostRule(input.listenerArn, match);
      if (!after)
        throw ApplicationFailure.retryable(`the ${input.host} rule is not there after writing it`, 'RuleReadBack');
      return after;
    },

    /**
     * Points a rule known by its ARN at these targets and reads that one rule back: three calls and no
     * listing, which is what a rollback's restore of production wants.
     */
    async setRuleTargets(input: {
      ruleArn: string;
      targets: WeightedTarget[];
      /** The rule's fingerprint as last read: if it reads otherwise now, someone changed it, and it is left alone. */
      expectFingerprint?: string;
      /** Its frame as last read (elbv2-rules.ts ruleFrame): with these weights already written, it is this change's own. */
      expectFrame?: string;
    }): Promise<HostRule> {
      const current = await readRule(input.ruleArn);
      if (!current)
        throw ApplicationFailure.nonRetryable(`rule ${input.ruleArn} no longer exists`, failureTypes.ruleNotFound);
      if (input.expectFingerprint !== undefined && ruleFingerprint(current) !== input.expectFingerprint) {
        // An earlier attempt of this very change may have written before it failed: then the rule is
        // what Switchyard left plus these weights.
        if (input.expectFrame === ruleFrame(current) && sameTargets(ruleTargets(current), input.targets))
          return hostRule(current, ruleHosts(current)[0] ?? '');
        throw ApplicationFailure.create({
          message: `rule ${input.ruleArn} was changed since Switchyard wrote it: it now forwards to ${JSON.stringify(ruleTargets(current))} with actions ${(current.Actions ?? []).map((a) => a.Type).join(', ')}`,
          type: failureTypes.ruleChanged,
          nonRetryable: true,
          details: [hostRule(current, ruleHosts(current)[0] ?? '')],
        });
      }
      try {
        await modifyRule(current, `rule ${input.ruleArn}`, input.targets);
      } catch (err) {
        // Deleted (or recreated under another ARN): asking again will not bring it back.
        if (err instanceof ApplicationFailure && err.cause && isAwsError(err.cause, 'RuleNotFoundException')) {
          throw ApplicationFailure.nonRetryable(`rule ${input.ruleArn} no longer exists`, failureTypes.ruleNotFound);
        }
        throw err;
      }
      const rule = await readRule(input.ruleArn);
      if (!rule)
        throw ApplicationFailure.nonRetryable(
          `rule ${input.ruleArn} is gone right after writing it`,
          failureTypes.ruleNotFound,
        );
      return hostRule(rule, ruleHosts(rule)[0] ?? '');
    },

    /**
     * Writes these actions back to the rule as they were read (a rollback restoring a rule it adopted,
     * authentication included), then reads it back.
     */
    async restoreRuleActions(input: { ruleArn: string; actions: Action[] }): Promise<HostRule> {
      await attempt(`restore the actions of rule ${input.ruleArn}`, () =>
        elbv2.send(new ModifyRuleCommand({ RuleArn: input.ruleArn, Actions: input.actions.map(asWritten) }), {
          abortSignal: activityCancellation(),
        }),
      );
      const rule = await readRule(input.ruleArn);
      if (!rule)
        throw ApplicationFailure.nonRetryable(
          `rule ${input.ruleArn} is gone right after writing it`,
          failureTypes.ruleNotFound,
        );
      return hostRule(rule, ruleHosts(rule)[0] ?? '');
    },

    /** Removes the host's rule (found by its full condition set); none is fine. */
    async deleteHostRule(input: { listenerArn: string; host: string; rule?: ProductionRuleSpec }): Promise<void> {
      const rule = await findHostRule(input.listenerArn, ruleMatch(input.host, input.rule));
      if (!rule) return;
      try {
        await elbv2.send(new DeleteRuleCommand({ RuleArn: rule.ruleArn }));
      } catch (err) {
        if (isAwsError(err, 'RuleNotFoundException')) return;
        throw wrapAwsError(`delete the ${input.host} rule`, err);
      }
    },

    /** How many targets of the group are in each health state (healthy, unhealthy, initial, draining...). */
    async countTargetHealth(input: { targetGroupArn: string }): Promise<TargetHealthCounts> {
      const { targetGroupArn } = oneObject(input, 'targetGroupArn');
      const counts: TargetHealthCounts = { healthy: 0, unhealthy: 0, other: 0, unused: 0 };
      for (const state of await targetStates(targetGroupArn)) {
        if (state === 'healthy' || state === 'unhealthy') counts[state] += 1;
        else counts.other += 1;
        if (state === 'unused') counts.unused += 1;
      }
      return counts;
    },

    /** Heartbeats until at least `minHealthy` targets are healthy; fails at the deadline with the counts. */
    async waitForTargetsHealthy(
      input: { targetGroupArn: string; minHealthy: number } & PollOptions,
    ): Promise<{ healthy: number }> {
      return pollUntil(input, `targets of ${input.targetGroupArn} to be healthy`, async () => {
        const states = await targetStates(input.targetGroupArn);
        const healthy = states.filter((s) => s === 'healthy').length;
        const summary = `${healthy} of ${input.minHealthy} healthy (${states.join(', ') || 'no targets'})`;
        return { done: healthy >= input.minHealthy, summary, value: { healthy } };
      });
    },
  };
}
