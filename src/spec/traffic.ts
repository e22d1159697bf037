// The `traffic` and `analysis` sections of a blue/green spec: what users write (a preset, allAtOnce,
// linear, or a list of steps) and its normalization into the plan the workflow runs (src/shared/traffic.ts).
import { z } from 'zod';
import { maxPlanSteps, type AnalysisChecks, type Bake, type PlanStep, type TrafficPlan } from '../shared/traffic';
import { duration, httpCodes, requiredDuration } from './fields';

const percent = z
  .number({ error: 'expected a percent, 0-100' })
  .int('expected a whole percent')
  .min(0, 'expected 0-100')
  .max(100, 'expected 0-100');
const alarmName = z
  .string({ error: 'expected a CloudWatch alarm name' })
  .min(1, 'expected a CloudWatch alarm name')
  .max(255, 'expected at most 255 characters');

const httpCheck = z.strictObject({
  url: z
    .url({ protocol: /^https?$/, error: 'expected an http(s) URL such as https://stage.web.example.com/health' })
    .meta({ pattern: '^https?://' }),
  expectStatus: httpCodes.default('200-399'),
  maxLatency: duration('2s', '1m'),
  timeout: duration('5s', '1m'),
});

// The checks, as written both at the top level (`analysis`) and in an `analysis` step.
const checkFields = {
  alarms: z
    .array(alarmName, { error: 'expected a list of CloudWatch alarm names' })
    .max(100, 'expected at most 100 alarms')
    .optional(),
  maxUnhealthyTargets: z
    .number({ error: 'expected a number of targets' })
    .int('expected a whole number')
    .min(0, 'expected 0 or more')
    .optional(),
  http: httpCheck.optional(),
};
const failureLimit = z
  .number({ error: 'expected a number of failed checks' })
  .int('expected a whole number')
  .min(0, 'expected 0 or more')
  .max(100, 'expected at most 100');

/** Top-level `analysis`: the checks every bake runs, how often, and how many failures a bake tolerates. */
export const analysisSchema = z
  .strictObject({ ...checkFields, interval: duration('30s', '1h', '1s'), failureLimit: failureLimit.default(0) })
  .prefault({});

const analysisStep = z.strictObject({
  ...checkFields,
  duration: requiredDuration('1d', '1s'),
  interval: duration('30s', '1h', '1s'),
  failureLimit: failureLimit.default(0),
});

/**
 * One key of several, each with its own schema: clearer messages than a union (which can only say that
 * nothing matched). Issues of the chosen schema keep their path under the key.
 */
function oneKeyOf<T extends Record<string, z.ZodType>>(options: T, what: string) {
  return z.unknown().transform((value, ctx) => {
    const keys = value && typeof value === 'object' && !Array.isArray(value) ? Object.keys(value) : [];
    const key = keys[0];
    if (keys.length !== 1 || !(key in options)) {
      ctx.addIssue({ code: 'custom', message: `expected ${what}, got ${JSON.stringify(value)}` });
      return z.NEVER;
    }
    const parsed = options[key].safeParse((value as Record<string, unknown>)[key]);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) {
        const message =
          issue.code === 'unrecognized_keys' ? `unknown field(s) ${issue.keys.join(', ')}` : issue.message;
        ctx.addIssue({ code: 'custom', message, path: [key, ...issue.path] });
      }
      return z.NEVER;
    }
    return { [key]: parsed.data } as { [K in keyof T]: { [P in K]: z.output<T[K]> } }[keyof T];
  });
}

/** What an approval gate's timeout does: roll back (the default) or go on without an approval. */
export const onApprovalTimeout = z
  .enum(['rollback', 'continue'], { error: 'expected "rollback" or "continue"' })
  .default('rollback');

/** An `approval` step: a gate in the plan, as the approval before the switch is. */
const approvalStep = z
  .strictObject({ timeout: duration('24h', '30d', '1s'), onTimeout: onApprovalTimeout })
  .prefault({});

const stepForms = {
  setWeight: percent,
  pause: z.union([z.literal('indefinite'), requiredDuration('7d', '1s')], {
    error: 'expected a duration such as "5m", or "indefinite"',
  }),
  analysis: analysisStep,
  approval: approvalStep,
};
const step = oneKeyOf(
  stepForms,
  '{setWeight: percent}, {pause: duration | indefinite}, {analysis: {duration, ...}} or {approval: {timeout, onTimeout}}',
);

export const trafficPresets = {
  allAtOnce: { type: 'allAtOnce' },
  canary10Percent5Minutes: { type: 'canary', percent: 10, bake: 5 * 60_000 },
  canary10Percent15Minutes: { type: 'canary', percent: 10, bake: 15 * 60_000 },
  linear10PercentEvery1Minute: { type: 'linear', stepPercent: 10, bake: 60_000 },
  linear10PercentEvery3Minutes: { type: 'linear', stepPercent: 10, bake: 3 * 60_000 },
} as const;
type PresetName = keyof typeof trafficPresets;
const presetNames = Object.keys(trafficPresets) as PresetName[];

const finalBake = duration('0s', '1d');
const trafficForms = {
  preset: z.strictObject({
    preset: z.enum(presetNames, { error: `expected one of ${presetNames.join(', ')}` }),
    finalBake,
  }),
  allAtOnce: z.strictObject({ type: z.literal('allAtOnce'), finalBake }),
  canary: z.strictObject({
    type: z.literal('canary'),
    percent: percent.refine((p) => p > 0 && p < 100, 'expected 1-99'),
    bake: requiredDuration('1d'),
    finalBake,
  }),
  linear: z.strictObject({
    type: z.literal('linear'),
    stepPercent: percent.refine((p) => p > 0 && p < 100, 'expected 1-99'),
    bake: requiredDuration('1d'),
    finalBake,
  }),
  steps: z.strictObject({
    type: z.literal('steps'),
    steps: z.array(step, { error: 'expected a list of steps' }).min(1, 'expected at least one step'),
    finalBake,
  }),
};

/**
 * `traffic` as users write it, for the JSON Schema only (src/spec/json-schema.ts): trafficSchema reads
 * these forms by hand, for messages a union cannot give.
 */
export const trafficInputForms = z.union([
  z.enum(presetNames),
  ...Object.values(trafficForms).filter((f) => f !== trafficForms.steps),
  trafficForms.steps.extend({
    steps: z.array(z.union(Object.entries(stepForms).map(([key, form]) => z.strictObject({ [key]: form })))).min(1),
  }),
]);

/** `traffic`: a preset name, `{preset}`, or `{type: allAtOnce | canary | linear | steps, ...}`. */
export const trafficSchema = z
  .unknown()
  .default('allAtOnce')
  .transform((value, ctx) => {
    const form = typeof value === 'string' ? { preset: value } : value;
    const type =
      form && typeof form === 'object' ? ('preset' in form ? 'preset' : (form as { type?: unknown }).type) : undefined;
    const schema = typeof type === 'string' ? trafficForms[type as keyof typeof trafficForms] : undefined;
    if (!schema) {
      ctx.addIssue({
        code: 'custom',
        message: `expected a preset (${presetNames.join(', ')}) or {type: allAtOnce | canary | linear | steps}`,
      });
      return z.NEVER;
    }
    const parsed = schema.safeParse(form);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) {
        const message =
          issue.code === 'unrecognized_keys' ? `unknown field(s) ${issue.keys.join(', ')}` : issue.message;
        // A bare preset name was written as `traffic: name`: its problems belong to `traffic`.
        ctx.addIssue({ code: 'custom', message, path: typeof value === 'string' ? [] : issue.path });
      }
      return z.NEVER;
    }
    return parsed.data as z.output<(typeof trafficForms)[keyof typeof trafficForms]>;
  });

type ParsedTraffic = z.output<typeof trafficSchema>;
type ParsedAnalysis = z.output<typeof analysisSchema>;
type ParsedChecks = { alarms?: string[]; maxUnhealthyTargets?: number; http?: z.output<typeof httpCheck> };

function checksOf(parsed: ParsedChecks, defaults?: AnalysisChecks): AnalysisChecks {
  const http = parsed.http && {
    url: parsed.http.url,
    expectStatus: parsed.http.expectStatus,
    maxLatencyMs: parsed.http.maxLatency,
    timeoutMs: parsed.http.timeout,
  };
  return {
    alarms: parsed.alarms ?? defaults?.alarms ?? [],
    // Unhealthy targets in the new target group always matter: none tolerated unless the spec says so.
    maxUnhealthyTargets: parsed.maxUnhealthyTargets ?? defaults?.maxUnhealthyTargets ?? 0,
    http: http ?? defaults?.http,
  };
}

/** The plan the workflow runs, and the problems (field path: message) that make it unusable. */
export function buildTrafficPlan(
  traffic: ParsedTraffic,
  analysis: ParsedAnalysis,
): { plan: TrafficPlan; problems: string[] } {
  const checks = checksOf(analysis);
  const bake = (durationMs: number): Bake => ({
    durationMs,
    intervalMs: analysis.interval,
    failureLimit: analysis.failureLimit,
    checks,
  });
  const form = 'preset' in traffic ? { ...trafficPresets[traffic.preset], finalBake: traffic.finalBake } : traffic;
  const name = 'preset' in traffic ? traffic.preset : traffic.type;
  let steps: PlanStep[];
  switch (form.type) {
    case 'allAtOnce':
      steps = [{ kind: 'setWeight', percent: 100 }];
      break;
    case 'canary':
      steps = [
        { kind: 'setWeight', percent: form.percent },
        { kind: 'bake', bake: bake(form.bake) },
        { kind: 'setWeight', percent: 100 },
      ];
      break;
    case 'linear':
      steps = [];
      for (let p = form.stepPercent; p < 100; p += form.stepPercent)
        steps.push({ kind: 'setWeight', percent: p }, { kind: 'bake', bake: bake(form.bake) });
      steps.push({ kind: 'setWeight', percent: 100 });
      break;
    case 'steps':
      steps = form.steps.map((s): PlanStep => {
        if ('setWeight' in s) return { kind: 'setWeight', percent: s.setWeight };
        if ('pause' in s) return s.pause === 'indefinite' ? { kind: 'pause' } : { kind: 'bake', bake: bake(s.pause) };
        if ('approval' in s)
          return { kind: 'approval', approval: { timeoutMs: s.approval.timeout, onTimeout: s.approval.onTimeout } };
        const a = s.analysis;
        return {
          kind: 'bake',
          bake: {
            durationMs: a.duration,
            intervalMs: a.interval,
            failureLimit: a.failureLimit,
            checks: checksOf(a, checks),
          },
        };
      });
      break;
  }
  const problems: string[] = [];
  if (steps.length > maxPlanSteps)
    problems.push(`traffic: the plan has ${steps.length} steps; at most ${maxPlanSteps} are allowed`);
  if (form.type === 'steps') {
    let last = 0;
    form.steps.forEach((s, i) => {
      if (!('setWeight' in s)) return;
      if (s.setWeight < last)
        problems.push(
          `traffic.steps.${i}.setWeight: ${s.setWeight}% is below the previous step's ${last}%; weights only go up (use rollback to go back)`,
        );
      last = Math.max(last, s.setWeight);
    });
    if (!form.steps.some((s) => 'setWeight' in s)) problems.push('traffic.steps: expected at least one setWeight step');
    form.steps.forEach((s, i) => {
      if ('analysis' in s && s.analysis.interval > s.analysis.duration)
        problems.push(`traffic.steps.${i}.analysis.interval: longer than its duration`);
    });
  }
  return { plan: { name, steps, finalBake: bake(form.finalBake) }, problems };
}
