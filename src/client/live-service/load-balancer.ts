// The load balancer side of a live service: its target group's health check, the application load
// balancer in front, and the one listener rule that sends production to it (its host and the conditions
// Switchyard matches production's rule by).
import {
  DescribeListenersCommand,
  DescribeLoadBalancersCommand,
  DescribeRulesCommand,
  DescribeTargetGroupAttributesCommand,
  DescribeTargetGroupsCommand,
  type Action,
  type ElasticLoadBalancingV2Client,
  type Listener,
  type Rule,
  type RuleCondition,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { reading, refuse } from './aws-call';

export interface LiveHealthCheck {
  path: string;
  intervalSeconds: number;
  timeoutSeconds: number;
  healthyThreshold: number;
  unhealthyThreshold: number;
  matcher: string;
}

export interface LiveTargetGroup {
  name: string;
  healthCheck: LiveHealthCheck;
  /** How long the load balancer lets requests finish on a target leaving it (deregistration_delay). */
  deregistrationDelaySeconds?: number;
  loadBalancer: { arn: string; name: string; dnsName: string; canonicalHostedZoneId?: string };
}

export interface LiveRule {
  ruleArn: string;
  listenerPort: number;
  host: string;
  pathPatterns?: string[];
  httpHeaders?: { name: string; values: string[] }[];
  /** The rule's authenticate actions (authenticate-oidc, authenticate-cognito), which Switchyard keeps. */
  authenticate: string[];
}

export async function readTargetGroup(elbv2: ElasticLoadBalancingV2Client, arn: string): Promise<LiveTargetGroup> {
  const out = await reading(`describe target group ${arn}`, () =>
    elbv2.send(new DescribeTargetGroupsCommand({ TargetGroupArns: [arn] })),
  );
  const tg = out.TargetGroups?.[0];
  if (!tg) refuse(`the service's target group ${arn} does not exist`, 'fix the service');
  const name = tg.TargetGroupName!;
  if (!tg.Matcher?.HttpCode)
    refuse(`target group ${name} matches gRPC codes`, 'Switchyard checks HTTP health: adopt an HTTP service');
  const lbArns = tg.LoadBalancerArns ?? [];
  if (lbArns.length !== 1)
    refuse(
      `target group ${name} is attached to ${lbArns.length} load balancers`,
      'Switchyard shifts traffic on one application load balancer: attach it to one',
    );
  const lbs = await reading(`describe load balancer ${lbArns[0]}`, () =>
    elbv2.send(new DescribeLoadBalancersCommand({ LoadBalancerArns: lbArns })),
  );
  const lb = lbs.LoadBalancers?.[0];
  if (!lb) refuse(`load balancer ${lbArns[0]} of target group ${name} does not exist`, 'fix the service');
  if (lb.Type !== 'application')
    refuse(
      `load balancer ${lb.LoadBalancerName} in front of target group ${name} is a ${lb.Type} load balancer`,
      'Switchyard shifts traffic with weighted listener rules, which only application load balancers have',
    );
  const attributes = await reading(`read the attributes of target group ${name}`, () =>
    elbv2.send(new DescribeTargetGroupAttributesCommand({ TargetGroupArn: arn })),
  );
  const delay = attributes.Attributes?.find((a) => a.Key === 'deregistration_delay.timeout_seconds')?.Value;
  return {
    name,
    deregistrationDelaySeconds: delay === undefined ? undefined : Number(delay),
    healthCheck: {
      path: tg.HealthCheckPath ?? '/',
      intervalSeconds: tg.HealthCheckIntervalSeconds ?? 30,
      timeoutSeconds: tg.HealthCheckTimeoutSeconds ?? 5,
      healthyThreshold: tg.HealthyThresholdCount ?? 5,
      unhealthyThreshold: tg.UnhealthyThresholdCount ?? 2,
      matcher: tg.Matcher.HttpCode,
    },
    loadBalancer: {
      arn: lb.LoadBalancerArn!,
      name: lb.LoadBalancerName!,
      dnsName: lb.DNSName!,
      canonicalHostedZoneId: lb.CanonicalHostedZoneId,
    },
  };
}

function forwardsTo(action: Action, targetGroupArn: string): boolean {
  if (action.Type !== 'forward') return false;
  return (
    action.TargetGroupArn === targetGroupArn ||
    (action.ForwardConfig?.TargetGroups ?? []).some((g) => g.TargetGroupArn === targetGroupArn)
  );
}

/** The one non-default rule, on any listener of the load balancer, that forwards to the target group. */
export async function readProductionRule(
  elbv2: ElasticLoadBalancingV2Client,
  targetGroup: LiveTargetGroup,
  targetGroupArn: string,
): Promise<LiveRule> {
  const lb = targetGroup.loadBalancer;
  const listeners = await reading(`list the listeners of load balancer ${lb.name}`, () =>
    elbv2.send(new DescribeListenersCommand({ LoadBalancerArn: lb.arn })),
  );
  const found: { listener: Listener; rule: Rule }[] = [];
  for (const listener of listeners.Listeners ?? []) {
    // DescribeRules pages by Marker (up to 100 rules a listener).
    for (let marker: string | undefined, first = true; first || marker; first = false) {
      const out = await reading(`list the rules of listener ${listener.Port} on ${lb.name}`, () =>
        elbv2.send(new DescribeRulesCommand({ ListenerArn: listener.ListenerArn, Marker: marker })),
      );
      for (const rule of out.Rules ?? [])
        if ((rule.Actions ?? []).some((a) => forwardsTo(a, targetGroupArn))) found.push({ listener, rule });
      marker = out.NextMarker;
    }
  }
  const rules = found.filter((f) => !f.rule.IsDefault);
  if (rules.length !== 1) {
    const defaults = found
      .filter((f) => f.rule.IsDefault)
      .map((f) => `the default action of listener ${f.listener.Port}`);
    const where = [...rules.map((f) => `rule ${f.rule.Priority} of listener ${f.listener.Port}`), ...defaults];
    refuse(
      `${rules.length} listener rules of ${lb.name} forward to target group ${targetGroup.name}${where.length ? ` (${where.join(', ')})` : ''}`,
      'Switchyard moves production on one rule with a host-header condition: route the service through exactly one such rule',
    );
  }
  const [{ listener, rule }] = rules;
  return {
    ruleArn: rule.RuleArn!,
    listenerPort: listener.Port!,
    authenticate: (rule.Actions ?? []).map((a) => a.Type!).filter((t) => t.startsWith('authenticate-')),
    ...conditionsOf(rule, listener.Port!),
  };
}

function conditionsOf(rule: Rule, port: number): Pick<LiveRule, 'host' | 'pathPatterns' | 'httpHeaders'> {
  const what = `rule ${rule.Priority} of listener ${port}`;
  const hosts: string[] = [];
  const pathPatterns: string[] = [];
  const httpHeaders: { name: string; values: string[] }[] = [];
  for (const c of rule.Conditions ?? []) {
    switch (c.Field) {
      case 'host-header':
        hosts.push(...valuesOf(c, c.HostHeaderConfig?.Values));
        break;
      case 'path-pattern':
        pathPatterns.push(...valuesOf(c, c.PathPatternConfig?.Values));
        break;
      case 'http-header':
        httpHeaders.push({ name: c.HttpHeaderConfig!.HttpHeaderName!, values: c.HttpHeaderConfig!.Values ?? [] });
        break;
      default:
        refuse(
          `${what} has a ${c.Field} condition`,
          `Switchyard matches production's rule by host, path patterns and HTTP headers only: move the ${c.Field} check elsewhere (a security group or AWS WAF for source-ip) and remove the condition, then run switchyard init again`,
        );
    }
  }
  if (hosts.length !== 1)
    refuse(
      `${what} has ${hosts.length ? `host values ${hosts.join(', ')}` : 'no host-header condition'}`,
      'Switchyard needs a production rule for one host: give the rule a host-header condition of exactly one host',
    );
  if (/[*?]/.test(hosts[0]))
    refuse(
      `${what} matches the wildcard host ${hosts[0]}`,
      'Switchyard stages and shifts one production host: give the service a rule for its own host',
    );
  return {
    host: hosts[0].toLowerCase(),
    ...(pathPatterns.length ? { pathPatterns } : {}),
    ...(httpHeaders.length ? { httpHeaders } : {}),
  };
}

/** A condition's values: the typed config's, or the legacy `Values` (host-header and path-pattern only). */
function valuesOf(c: RuleCondition, typed: string[] | undefined): string[] {
  return typed?.length ? typed : (c.Values ?? []);
}
