// Traffic plans and analysis gates as the workflow runs them: normalized at the edge (src/spec/traffic.ts)
// from what users write, every duration in milliseconds. Pure: workflows import it.

/** What one analysis check looks at; every check is optional, an empty set checks nothing. */
export interface AnalysisChecks {
  /** CloudWatch alarms: any of them in ALARM fails the check. */
  alarms: string[];
  /** More unhealthy targets than this in the new target group fails the check. */
  maxUnhealthyTargets?: number;
  http?: HttpCheckSpec;
}

export interface HttpCheckSpec {
  url: string;
  /** Accepted status codes, e.g. "200-399" or "200,204". */
  expectStatus: string;
  maxLatencyMs: number;
  timeoutMs: number;
}

/** A timed wait at the current weight, with the checks run every interval (none: a plain timer). */
export interface Bake {
  durationMs: number;
  intervalMs: number;
  /** Failed checks tolerated in this bake; one more rolls back. */
  failureLimit: number;
  checks: AnalysisChecks;
}

export type PlanStep =
  | { kind: 'setWeight'; percent: number }
  | { kind: 'bake'; bake: Bake }
  /** Waits until resume or promote. */
  | { kind: 'pause' }
  /** A gate like the approval before the switch: waits for `approve` (who approved is recorded). */
  | { kind: 'approval'; approval: ApprovalGate };

/** How long an approval gate waits, and what its timeout does. */
export interface ApprovalGate {
  timeoutMs: number;
  onTimeout: 'rollback' | 'continue';
}

export interface TrafficPlan {
  /** How the plan was written, for status and the web UI: "allAtOnce", "canary10Percent5Minutes", "steps"... */
  name: string;
  steps: PlanStep[];
  /** After 100%: the previous deployment stays up, rollback is instant, checks keep running. */
  finalBake: Bake;
}

export const maxPlanSteps = 100;

/** Specs from before traffic plans: everything at once, no bake. */
const allAtOnce: TrafficPlan = {
  name: 'allAtOnce',
  steps: [{ kind: 'setWeight', percent: 100 }],
  finalBake: { durationMs: 0, intervalMs: 30_000, failureLimit: 0, checks: { alarms: [] } },
};

/** The plan a blue/green spec runs: its own, or everything at once. */
export function trafficPlanOf(spec: { traffic?: TrafficPlan }): TrafficPlan {
  return spec.traffic ?? allAtOnce;
}

export function hasChecks(checks: AnalysisChecks): boolean {
  return checks.alarms.length > 0 || checks.maxUnhealthyTargets !== undefined || checks.http !== undefined;
}

/**
 * The intervals a bake waits, in order: `durationMs / intervalMs` rounded up, each `intervalMs` long but
 * the last (the remainder). A bake with no checks is one interval. The workflow counts the intervals its
 * timers complete; it never measures elapsed time with the clock.
 */
export function bakeIntervals(bake: Bake): number[] {
  if (bake.durationMs <= 0) return [];
  const every =
    hasChecks(bake.checks) && bake.intervalMs > 0 ? Math.min(bake.intervalMs, bake.durationMs) : bake.durationMs;
  const count = Math.ceil(bake.durationMs / every);
  return Array.from({ length: count }, (_, i) => (i < count - 1 ? every : bake.durationMs - every * (count - 1)));
}

/** Weighted targets for `percent` of production on the new target group (ALB weights, 0-999; we use 0-100). */
export function splitTraffic(newTargetGroupArn: string, previousTargetGroupArn: string | undefined, percent: number) {
  if (!previousTargetGroupArn || percent >= 100) return [{ targetGroupArn: newTargetGroupArn, weight: 100 }];
  if (percent <= 0) return [{ targetGroupArn: previousTargetGroupArn, weight: 100 }];
  return [
    { targetGroupArn: newTargetGroupArn, weight: percent },
    { targetGroupArn: previousTargetGroupArn, weight: 100 - percent },
  ];
}

/** The percent of traffic the new target group gets from a rule's weighted targets (undefined: not on the rule). */
export function percentOn(targetGroupArn: string, targets: { targetGroupArn: string; weight: number }[]): number {
  const total = targets.reduce((sum, t) => sum + t.weight, 0);
  const mine = targets.filter((t) => t.targetGroupArn === targetGroupArn).reduce((sum, t) => sum + t.weight, 0);
  return total === 0 ? 0 : Math.round((mine * 100) / total);
}

/** One round of analysis as the activity reports it. */
export interface AnalysisResult {
  at: string;
  /** One line per failed check, naming the check and its values; empty when all passed. */
  failures: string[];
  /** One line per check that ran, with its values. */
  observations: string[];
  /** The checks that failed (absent in results recorded before it was added). */
  failedChecks?: AnalysisCheck[];
}

/** An analysis gate's kinds of check, as metrics count their failures. */
export type AnalysisCheck = 'alarms' | 'targets' | 'http' | 'unavailable';

/** Every alarm the plan's analysis gates watch: they must exist before anything is created. */
export function alarmsOf(plan: TrafficPlan): string[] {
  const bakes = [...plan.steps.flatMap((s) => (s.kind === 'bake' ? [s.bake] : [])), plan.finalBake];
  return [...new Set(bakes.flatMap((b) => (b.durationMs > 0 ? b.checks.alarms : [])))].sort();
}
