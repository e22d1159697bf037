// Listener rules as ALB reads them, without calls: which rule is a host's (by its full condition set),
// what a rule Switchyard creates says and where it goes (never below a rule that would shadow it), and a
// rule's fingerprint (to notice a rule someone else changed).
// https://docs.aws.amazon.com/elasticloadbalancing/latest/application/rule-condition-types.html
// https://docs.aws.amazon.com/elasticloadbalancing/latest/application/listener-rules.html
import type { Rule, RuleCondition } from '@aws-sdk/client-elastic-load-balancing-v2';
import type { ProductionRuleSpec } from '../shared/adoption';
import { wildcardMatches } from '../shared/wildcards';

/** A rule's conditions: the host, plus exactly these path patterns and headers (none when absent). */
export interface RuleMatch {
  host: string;
  pathPatterns?: string[];
  httpHeaders?: { name: string; values: string[] }[];
}

export function ruleMatch(host: string, rule?: ProductionRuleSpec): RuleMatch {
  return { host, pathPatterns: rule?.pathPatterns, httpHeaders: rule?.httpHeaders };
}

const fieldsWeMatch = new Set(['host-header', 'path-pattern', 'http-header']);

function valuesOf(c: RuleCondition): string[] {
  return c.HostHeaderConfig?.Values ?? c.PathPatternConfig?.Values ?? c.HttpHeaderConfig?.Values ?? c.Values ?? [];
}

export function ruleHosts(rule: Rule): string[] {
  return (rule.Conditions ?? [])
    .filter((c) => c.Field === 'host-header')
    .flatMap(valuesOf)
    .map((h) => h.toLowerCase());
}

function rulePaths(rule: Rule): string[] {
  return (rule.Conditions ?? []).filter((c) => c.Field === 'path-pattern').flatMap(valuesOf);
}

/** Header name (lower case) → its values, sorted. */
function headerKey(headers: { name: string; values: string[] }[]): string {
  return JSON.stringify(
    headers
      .map((h) => [h.name.toLowerCase(), [...h.values].sort()])
      .sort((a, b) => String(a[0]).localeCompare(String(b[0]))),
  );
}

function ruleHeaders(rule: Rule): { name: string; values: string[] }[] {
  return (rule.Conditions ?? [])
    .filter((c) => c.Field === 'http-header')
    .map((c) => ({ name: c.HttpHeaderConfig?.HttpHeaderName ?? '', values: valuesOf(c) }));
}

const sameSet = (a: string[], b: string[]) => JSON.stringify([...a].sort()) === JSON.stringify([...b].sort());

/**
 * Whether the rule is this host's with exactly these conditions: the host among its host values, the
 * same path patterns and headers, and no other condition (a method, source IP or query string makes it
 * some other rule).
 */
export function ruleMatches(rule: Rule, match: RuleMatch): boolean {
  if (!rule.RuleArn || rule.IsDefault) return false;
  if ((rule.Conditions ?? []).some((c) => !fieldsWeMatch.has(c.Field ?? ''))) return false;
  return (
    ruleHosts(rule).includes(match.host.toLowerCase()) &&
    sameSet(rulePaths(rule), match.pathPatterns ?? []) &&
    headerKey(ruleHeaders(rule)) === headerKey(match.httpHeaders ?? [])
  );
}

/** A rule's conditions as a person reads them: `host-header web.example.com, path-pattern /app/*`. */
export function describeConditions(rule: Rule): string {
  return (rule.Conditions ?? [])
    .map((c) =>
      c.Field === 'http-header'
        ? `http-header ${c.HttpHeaderConfig?.HttpHeaderName}=${valuesOf(c).join('|')}`
        : `${c.Field} ${valuesOf(c).join('|') || JSON.stringify(c)}`,
    )
    .join(', ');
}

/** The conditions of a rule Switchyard creates for this match. */
export function conditionsOf(match: RuleMatch): RuleCondition[] {
  return [
    { Field: 'host-header', HostHeaderConfig: { Values: [match.host] } },
    ...(match.pathPatterns?.length
      ? [{ Field: 'path-pattern', PathPatternConfig: { Values: match.pathPatterns } }]
      : []),
    ...(match.httpHeaders ?? []).map((h) => ({
      Field: 'http-header',
      HttpHeaderConfig: { HttpHeaderName: h.name, Values: h.values },
    })),
  ];
}

/**
 * Whether `rule` takes every request a rule with `match`'s conditions would: no host condition or one of
 * its host patterns matches the host, no path condition or one of its patterns covers each of ours (all
 * paths when we have none), and nothing else that narrows it.
 */
export function shadows(rule: Rule, match: RuleMatch): boolean {
  if (rule.IsDefault || !rule.RuleArn) return false;
  const conditions = rule.Conditions ?? [];
  if (conditions.some((c) => c.Field !== 'host-header' && c.Field !== 'path-pattern')) return false;
  const hosts = conditions.filter((c) => c.Field === 'host-header').flatMap(valuesOf);
  const paths = rulePaths(rule);
  // Host names compare without case.
  const hostCovered = hosts.length === 0 || hosts.some((h) => wildcardMatches(h, match.host, true));
  const ours = match.pathPatterns?.length ? match.pathPatterns : ['/*'];
  const pathCovered =
    paths.length === 0 || ours.every((p) => paths.some((q) => q === '*' || wildcardMatches(q, p, false)));
  return hostCovered && pathCovered;
}

export type PriorityChoice = { priority: number } | { problem: string };

/**
 * Where a new rule goes: the spec's pinned priority if it is free; otherwise the free priority nearest
 * above the first rule that would shadow it (so rules placed before it keep their precedence), or after
 * every rule when none would.
 */
export function choosePriority(rules: Rule[], match: RuleMatch, maxPriority: number, pinned?: number): PriorityChoice {
  const numbered = rules.filter((r) => !r.IsDefault && Number.isFinite(Number(r.Priority)));
  const used = new Set(numbered.map((r) => Number(r.Priority)));
  if (pinned !== undefined) {
    const holder = numbered.find((r) => Number(r.Priority) === pinned);
    return holder
      ? { problem: `priority ${pinned} (productionRule.priority) is taken by rule ${holder.RuleArn}: pin a free one` }
      : { priority: pinned };
  }
  const shadowing = numbered.filter((r) => shadows(r, match)).sort((a, b) => Number(a.Priority) - Number(b.Priority));
  if (shadowing.length === 0) {
    const next = Math.max(0, ...used) + 1;
    return next <= maxPriority
      ? { priority: next }
      : { problem: `no rule priority is left after ${maxPriority}: pin productionRule.priority to a free one` };
  }
  const limit = Number(shadowing[0].Priority);
  for (let p = limit - 1; p >= 1; p -= 1) if (!used.has(p)) return { priority: p };
  return {
    problem: `every priority before rule ${shadowing[0].RuleArn} (priority ${limit}), which would take ${match.host}'s requests first, is taken: pin productionRule.priority or free one`,
  };
}

/** JSON with object keys sorted, so two reads of the same rule give the same string. */
function stable(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stable).join(',')}]`;
  if (value && typeof value === 'object')
    return `{${Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([k, v]) => `${JSON.stringify(k)}:${stable(v)}`)
      .join(',')}}`;
  return JSON.stringify(value);
}

/** The rule's conditions and actions as one string: it changes when anyone changes the rule. */
export function ruleFingerprint(rule: Rule): string {
  const actions = [...(rule.Actions ?? [])].sort((a, b) => (a.Order ?? 0) - (b.Order ?? 0));
  return stable({ conditions: rule.Conditions ?? [], actions });
}

/**
 * The fingerprint of everything but the forward action's weights: what a weight change leaves as it was.
 * A retried weight change whose first attempt wrote before it failed finds the same frame and its own
 * weights: done, not changed by someone else.
 */
export function ruleFrame(rule: Rule): string {
  const actions = [...(rule.Actions ?? [])]
    .sort((a, b) => (a.Order ?? 0) - (b.Order ?? 0))
    .map((a) =>
      a.Type === 'forward'
        ? { Type: a.Type, Order: a.Order, Stickiness: a.ForwardConfig?.TargetGroupStickinessConfig }
        : a,
    );
  return stable({ conditions: rule.Conditions ?? [], actions });
}
