// Listener and rule rules of Application Load Balancers that moto 5.2.5 skips (moto/elbv2/models.py
// _validate_actions checks types and target groups only), and its SetRulePriorities bug bridged. From the
// ELBv2 API reference (the botocore model's documentation of Action, Action.Order, RuleCondition,
// AuthenticateOidcActionConfig, CreateListener and SetRulePriorities) and the guides
// https://docs.aws.amazon.com/elasticloadbalancing/latest/application/rule-action-types.html and
// https://docs.aws.amazon.com/elasticloadbalancing/latest/application/rule-condition-types.html.
import {
  DescribeListenersCommand,
  DescribeRulesCommand,
  SetRulePrioritiesCommand,
  type ElasticLoadBalancingV2Client,
  type Rule,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { broken, type RuleBreak } from './refusals';

interface WireAction {
  type: string;
  order?: number;
  clientSecret?: string;
  useExistingClientSecret: boolean;
}

const routing = ['forward', 'redirect', 'fixed-response'];
const authenticating = ['authenticate-oidc', 'authenticate-cognito'];
// "Each rule can optionally include up to one of each of the following conditions: host-header,
// http-request-method, path-pattern, and source-ip. Each rule can also optionally include one or more
// of each of the following conditions: http-header and query-string." (rule-condition-types.html)
const oncePerRule = ['host-header', 'path-pattern', 'http-request-method', 'source-ip'];

export class ListenerRules {
  constructor(private readonly elbv2: ElasticLoadBalancingV2Client) {}

  async refuse(action: string, params: URLSearchParams): Promise<RuleBreak | undefined> {
    if (action === 'SetRulePriorities') return this.priorities(params);
    if (action === 'CreateListener') {
      const certificate = certificateRule(params);
      if (certificate) return certificate;
    }
    const prefix = action.endsWith('Listener') ? 'DefaultActions' : 'Actions';
    const actions = actionsOf(params, prefix);
    const conditions = action.endsWith('Rule') ? conditionRule(params) : undefined;
    if (conditions) return conditions;
    if (!actions.length) return undefined;
    const order = orderRule(actions);
    if (order) return order;
    if (!actions.some((a) => authenticating.includes(a.type))) return undefined;
    // "Authenticate actions are supported only on HTTPS listeners" (rule-action-types.html: authenticate-
    // cognito and authenticate-oidc "[HTTPS listeners] Use ... to authenticate users").
    const protocol = await this.protocolOf(action, params);
    if (protocol !== undefined && protocol !== 'HTTPS')
      return broken(
        'elbv2-authenticate-https',
        'InvalidLoadBalancerAction',
        `Authenticate actions are supported only on HTTPS listeners; this listener's protocol is ${protocol}.`,
      );
    return this.clientSecret(action, params, actions);
  }

  /**
   * SetRulePriorities: "You can reorder the rules as long as there are no priority conflicts in the new
   * order" (the operation's documentation): a swap in one call is legal, which moto refuses (it checks each
   * new priority against the current ones, the moved rules' own included). Before moto sees the call, the
   * rules it moves go to free priorities, AWS's side of the same reordering; undefined: nothing to move.
   */
  async bridge(action: string, params: URLSearchParams): Promise<void> {
    if (action !== 'SetRulePriorities') return;
    const moves = priorityMoves(params);
    const listeners = new Set(moves.map((m) => listenerOfRule(m.rule)));
    const taken = new Set<number>(moves.map((m) => m.priority));
    for (const listener of listeners)
      for (const rule of await this.rulesOf(listener)) if (!rule.IsDefault) taken.add(Number(rule.Priority));
    let free = 50000;
    for (const move of moves) {
      while (taken.has(free)) free -= 1;
      taken.add(free);
      await this.elbv2.send(new SetRulePrioritiesCommand({ RulePriorities: [{ RuleArn: move.rule, Priority: free }] }));
    }
  }

  /**
   * DescribeRules and DescribeListeners never show an OIDC action's client secret: a ModifyRule that keeps
   * the action says UseExistingClientSecret instead (AuthenticateOidcActionConfig; ansible-collections/
   * amazon.aws#1956). moto echoes it; it is taken out of every answer that shows actions.
   */
  answered(action: string, response: string): string {
    if (!/^(Describe|Create|Modify)(Rules?|Listeners?)$/.test(action)) return response;
    return response.replace(/<ClientSecret>[^<]*<\/ClientSecret>/g, '');
  }

  private async priorities(params: URLSearchParams): Promise<RuleBreak | undefined> {
    const moves = priorityMoves(params);
    const moved = new Set(moves.map((m) => m.rule));
    const byListener = new Map<string, Rule[]>();
    for (const move of moves) {
      const listener = listenerOfRule(move.rule);
      if (!byListener.has(listener)) byListener.set(listener, await this.rulesOf(listener));
      const rules = byListener.get(listener)!;
      const rule = rules.find((r) => r.RuleArn === move.rule);
      if (!rule) return broken('elbv2-rule-not-found', 'RuleNotFound', 'One or more rules not found');
      // "You cannot change the priority of a default rule." (SetRulePriorities)
      if (rule.IsDefault)
        return broken(
          'elbv2-default-rule-priority',
          'OperationNotPermitted',
          'The default rule priority cannot be changed',
        );
      const clash =
        rules.some((r) => !r.IsDefault && !moved.has(r.RuleArn!) && Number(r.Priority) === move.priority) ||
        moves.filter((m) => listenerOfRule(m.rule) === listener && m.priority === move.priority).length > 1;
      if (clash)
        return broken('elbv2-priority-in-use', 'PriorityInUse', `Priority '${move.priority}' is currently in use`);
    }
    return undefined;
  }

  /**
   * AuthenticateOidcActionConfig.ClientSecret: "The OAuth 2.0 client secret. This parameter is required if
   * you are creating a rule. If you are modifying a rule, you can omit this parameter if you set
   * UseExistingClientSecret to true." An existing secret is the rule's OIDC action's.
   */
  private async clientSecret(
    action: string,
    params: URLSearchParams,
    actions: WireAction[],
  ): Promise<RuleBreak | undefined> {
    for (const a of actions.filter((x) => x.type === 'authenticate-oidc')) {
      if (a.clientSecret !== undefined) continue;
      if (!action.startsWith('Modify') || !a.useExistingClientSecret)
        return broken(
          'elbv2-oidc-client-secret',
          'ValidationError',
          action.startsWith('Modify')
            ? 'An authenticate-oidc action needs a ClientSecret, or UseExistingClientSecret set to true to keep the one the rule has.'
            : 'An authenticate-oidc action needs a ClientSecret when it is created.',
        );
      const existing = await this.existingActions(action, params);
      if (!existing.some((x) => x.Type === 'authenticate-oidc'))
        return broken(
          'elbv2-oidc-client-secret',
          'ValidationError',
          'UseExistingClientSecret is set, but there is no authenticate-oidc action with a client secret to keep.',
        );
    }
    return undefined;
  }

  private async existingActions(action: string, params: URLSearchParams) {
    if (action === 'ModifyRule') {
      const arn = params.get('RuleArn') ?? '';
      return (
        (await this.elbv2.send(new DescribeRulesCommand({ RuleArns: [arn] })).catch(() => undefined))?.Rules?.[0]
          ?.Actions ?? []
      );
    }
    const arn = params.get('ListenerArn') ?? '';
    return (
      (await this.elbv2.send(new DescribeListenersCommand({ ListenerArns: [arn] })).catch(() => undefined))
        ?.Listeners?.[0]?.DefaultActions ?? []
    );
  }

  /** The protocol of the listener the actions are for (undefined: it is not there; moto says so). */
  private async protocolOf(action: string, params: URLSearchParams): Promise<string | undefined> {
    const given = params.get('Protocol');
    if (given) return given;
    if (action === 'CreateListener') return undefined;
    const arn =
      action === 'ModifyRule' ? listenerOfRule(params.get('RuleArn') ?? '') : (params.get('ListenerArn') ?? '');
    return (await this.elbv2.send(new DescribeListenersCommand({ ListenerArns: [arn] })).catch(() => undefined))
      ?.Listeners?.[0]?.Protocol;
  }

  private async rulesOf(listenerArn: string): Promise<Rule[]> {
    const rules: Rule[] = [];
    let marker: string | undefined;
    do {
      const page = await this.elbv2
        .send(new DescribeRulesCommand({ ListenerArn: listenerArn, Marker: marker }))
        .catch(() => undefined);
      rules.push(...(page?.Rules ?? []));
      marker = page?.NextMarker;
    } while (marker);
    return rules;
  }
}

function actionsOf(params: URLSearchParams, prefix: string): WireAction[] {
  const out: WireAction[] = [];
  for (let i = 1; params.has(`${prefix}.member.${i}.Type`); i++) {
    const base = `${prefix}.member.${i}`;
    const order = params.get(`${base}.Order`);
    out.push({
      type: params.get(`${base}.Type`)!,
      order: order === null ? undefined : Number(order),
      clientSecret: params.get(`${base}.AuthenticateOidcConfig.ClientSecret`) ?? undefined,
      useExistingClientSecret: params.get(`${base}.AuthenticateOidcConfig.UseExistingClientSecret`) === 'true',
    });
  }
  return out;
}

/**
 * Action.Order: "This value is required for rules with multiple actions. The action with the lowest value
 * for order is performed first." Action: "Each rule must include exactly one of the following routing
 * actions: forward, fixed-response, or redirect, and it must be the last action to be performed";
 * authentication at most once, before it (rule-action-types.html).
 */
function orderRule(actions: WireAction[]): RuleBreak | undefined {
  const invalid = (message: string) => broken('elbv2-action-order', 'InvalidLoadBalancerAction', message);
  if (actions.length > 1 && actions.some((a) => a.order === undefined))
    return invalid('Order is required for each action of a rule with multiple actions.');
  const orders = actions.map((a) => a.order);
  if (new Set(orders).size !== orders.length) return invalid('The actions of a rule must have distinct orders.');
  const performed = [...actions].sort((a, b) => (a.order ?? 0) - (b.order ?? 0));
  const routes = performed.filter((a) => routing.includes(a.type)).length;
  if (routes !== 1)
    return invalid(`A rule must have exactly one forward, redirect or fixed-response action; ${routes} were given.`);
  if (!routing.includes(performed[performed.length - 1].type))
    return invalid('The forward, redirect or fixed-response action must be the last action to be performed.');
  if (performed.filter((a) => authenticating.includes(a.type)).length > 1)
    return broken('elbv2-action-order', 'TooManyActions', 'A rule can have at most one authenticate action.');
  return undefined;
}

function conditionRule(params: URLSearchParams): RuleBreak | undefined {
  const fields: string[] = [];
  const headers: string[] = [];
  for (let i = 1; params.has(`Conditions.member.${i}.Field`); i++) {
    const field = params.get(`Conditions.member.${i}.Field`)!;
    fields.push(field);
    const header = params.get(`Conditions.member.${i}.HttpHeaderConfig.HttpHeaderName`);
    if (field === 'http-header' && header) headers.push(header.toLowerCase());
  }
  const twice = oncePerRule.find((f) => fields.filter((x) => x === f).length > 1);
  if (twice)
    return broken(
      'elbv2-condition-once',
      'ValidationError',
      `A rule can include at most one ${twice} condition; combine its values in one condition.`,
    );
  const header = headers.find((h, i) => headers.indexOf(h) !== i);
  if (header)
    return broken(
      'elbv2-condition-once',
      'ValidationError',
      `A rule's http-header conditions must name distinct headers; ${header} is named twice.`,
    );
  return undefined;
}

/**
 * CreateListener, Certificates: "[HTTPS and TLS listeners] The default certificate for the listener. You
 * must provide exactly one certificate." moto creates an HTTPS listener without one.
 */
function certificateRule(params: URLSearchParams): RuleBreak | undefined {
  const protocol = params.get('Protocol');
  if (protocol !== 'HTTPS' && protocol !== 'TLS') return undefined;
  const certificates = [...params.keys()].filter((k) => /^Certificates\.member\.\d+\.CertificateArn$/.test(k)).length;
  if (certificates === 1) return undefined;
  return broken(
    'elbv2-listener-certificate',
    'ValidationError',
    certificates
      ? `A ${protocol} listener takes exactly one default certificate; ${certificates} were given.`
      : `A certificate must be specified for ${protocol} listeners`,
  );
}

function priorityMoves(params: URLSearchParams): { rule: string; priority: number }[] {
  const out: { rule: string; priority: number }[] = [];
  for (let i = 1; params.has(`RulePriorities.member.${i}.RuleArn`); i++)
    out.push({
      rule: params.get(`RulePriorities.member.${i}.RuleArn`)!,
      priority: Number(params.get(`RulePriorities.member.${i}.Priority`)),
    });
  return out;
}

/** arn:…:listener-rule/app/lb/id/listener-id/rule-id → arn:…:listener/app/lb/id/listener-id */
function listenerOfRule(ruleArn: string): string {
  return ruleArn.replace(':listener-rule/', ':listener/').replace(/\/[^/]+$/, '');
}
