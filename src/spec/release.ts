// Loads a release file: its name, mode, services (each an existing blue/green spec file and an optional
// image), the one tests gate and approval, and in lockstep the shared plan. Validated as a whole before
// anything starts: every spec valid, no service or host twice, the plans compatible with the mode.
// Every problem is reported at once, each naming its field.
import path from 'node:path';
import { z } from 'zod';
import { isBlueGreen, type DeploymentSpec } from '../shared/deployment';
import { UserError } from '../shared/errors';
import { releaseModes, type ReleaseMode } from '../shared/release';
import type { AnalysisChecks, ApprovalGate, Bake, PlanStep, TrafficPlan } from '../shared/traffic';
import { duration, imageReference } from './fields';
import { describeIssues, loadSpec, parseDocument, readText, SpecError } from './load';
import { analysisSchema, buildTrafficPlan, onApprovalTimeout, trafficSchema } from './traffic';

/** At most this many services in one release. */
export const maxReleaseServices = 10;

export const releaseFileSchema = z.strictObject({
  name: z
    .string({ error: 'expected the release name' })
    .regex(/^[a-z0-9]([a-z0-9-]{0,38}[a-z0-9])?$/, 'expected 1-40 lowercase letters, digits or inner hyphens'),
  mode: z.enum(releaseModes, { error: 'expected "lockstep" or "ordered"' }),
  services: z
    .array(
      z.strictObject({
        spec: z.string({ error: "expected the path of the service's spec file" }).min(1),
        image: imageReference.optional(),
      }),
      { error: 'expected a list of services, each {spec, image?}' },
    )
    .min(2, 'expected at least two services (one is a deployment: switchyard deploy)')
    .max(maxReleaseServices, `expected at most ${maxReleaseServices} services`),
  tests: z.strictObject({ timeout: duration('1h', '7d') }).prefault({}),
  approval: z
    .strictObject({ required: z.boolean().default(false), timeout: duration('24h'), onTimeout: onApprovalTimeout })
    .prefault({}),
  traffic: z.unknown().optional(),
  analysis: z.unknown().optional(),
});

export interface LoadedRelease {
  name: string;
  mode: ReleaseMode;
  /** Each service's spec, its image overridden as the release says, in lockstep on the shared plan. */
  specs: DeploymentSpec[];
  testsTimeoutMs: number;
  approval: ApprovalGate & { required: boolean };
  plan?: TrafficPlan;
}

export function loadRelease(file: string): LoadedRelease {
  const doc = parseDocument(file, readText(file, 'release file'));
  const result = releaseFileSchema.safeParse(doc);
  if (!result.success) throw new SpecError(file, describeIssues(result.error.issues));
  const parsed = result.data;
  const problems: string[] = [];
  const specs: DeploymentSpec[] = [];
  parsed.services.forEach((s, i) => {
    const specFile = path.resolve(path.dirname(file), s.spec);
    try {
      const spec = loadSpec(specFile, { image: s.image });
      if (isBlueGreen(spec)) specs.push(spec);
      else
        problems.push(
          `services[${i}]: ${s.spec} is a ${spec.strategy} spec: a release deploys blue/green services only`,
        );
    } catch (err) {
      if (err instanceof SpecError) problems.push(...err.problems.map((p) => `services[${i}] (${s.spec}): ${p}`));
      else if (err instanceof UserError) problems.push(`services[${i}]: ${err.message}`);
      else throw err;
    }
  });
  problems.push(...twice(specs, (s) => [`${s.service}/${s.environment}`], 'service'));
  // One service's stage host may not be another's production host either (hosts are lowercased by loadSpec).
  problems.push(...twice(specs, (s) => [s.hosts.production, s.hosts.stage], 'host'));
  const plan = parsed.mode === 'lockstep' ? sharedPlan(parsed, problems) : orderedPlans(parsed, specs, problems);
  if (problems.length) throw new SpecError(file, problems);
  return {
    name: parsed.name,
    mode: parsed.mode,
    specs: plan ? specs.map((s) => onSharedPlan(s, plan, parsed.analysis !== undefined)) : specs,
    testsTimeoutMs: parsed.tests.timeout,
    approval: {
      required: parsed.approval.required,
      timeoutMs: parsed.approval.timeout,
      onTimeout: parsed.approval.onTimeout,
    },
    ...(plan ? { plan } : {}),
  };
}

type ParsedRelease = z.output<typeof releaseFileSchema>;

function twice(specs: DeploymentSpec[], keys: (s: DeploymentSpec) => string[], what: string): string[] {
  const seen = new Set<string>();
  const problems: string[] = [];
  for (const k of specs.flatMap(keys)) {
    if (seen.has(k)) problems.push(`services: ${what} ${k} is in the release twice`);
    seen.add(k);
  }
  return problems;
}

/** lockstep: the release's plan, of weights and bakes only (the approval and pauses are the release's). */
function sharedPlan(parsed: ParsedRelease, problems: string[]): TrafficPlan | undefined {
  if (parsed.traffic === undefined) {
    problems.push('traffic: a lockstep release gives the plan every service takes together');
    return undefined;
  }
  const traffic = trafficSchema.safeParse(parsed.traffic);
  const analysis = analysisSchema.safeParse(parsed.analysis);
  if (!traffic.success) problems.push(...describeIssues(traffic.error.issues, 'traffic'));
  if (!analysis.success) problems.push(...describeIssues(analysis.error.issues, 'analysis'));
  if (!traffic.success || !analysis.success) return undefined;
  if (analysis.data.http)
    problems.push(
      "analysis.http: each service is probed by its own spec's analysis.http (its own host); the release's analysis gives alarms, interval and failureLimit",
    );
  const built = buildTrafficPlan(traffic.data, analysis.data);
  problems.push(...built.problems);
  built.plan.steps.forEach((step, i) => {
    if (step.kind === 'approval')
      problems.push(
        `traffic.steps[${i}]: a lockstep release has one approval, before the switch (approval.required); its steps are weights and bakes`,
      );
    if (step.kind === 'pause')
      problems.push(
        `traffic.steps[${i}]: an indefinite pause holds one service; pause the whole release with \`switchyard pause <release>\``,
      );
  });
  return built.plan;
}

/**
 * ordered: each service keeps its own plan, without approval steps (the release has one approval) or
 * indefinite pauses (the release is paused and resumed as a whole).
 */
function orderedPlans(parsed: ParsedRelease, specs: DeploymentSpec[], problems: string[]): undefined {
  for (const field of ['traffic', 'analysis'] as const)
    if (parsed[field] !== undefined)
      problems.push(
        `${field}: only a lockstep release has a shared plan; in an ordered one each service keeps its own`,
      );
  for (const spec of specs) {
    const label = `services: ${spec.service}/${spec.environment}'s plan has`;
    if (spec.traffic?.steps.some((s) => s.kind === 'approval'))
      problems.push(`${label} an approval step: a release has one approval, before the switch (approval.required)`);
    if (spec.traffic?.steps.some((s) => s.kind === 'pause'))
      problems.push(`${label} an indefinite pause: pause the whole release with \`switchyard pause <release>\``);
  }
  return undefined;
}

/**
 * A service on the shared plan: the plan's steps and timings, each bake checking the service with its
 * own checks (its target health, its http probe) and the alarms of both the release and the service.
 */
function onSharedPlan(spec: DeploymentSpec, plan: TrafficPlan, releaseAnalysis: boolean): DeploymentSpec {
  const own = spec.traffic?.finalBake.checks;
  const checks = (shared: AnalysisChecks, http: AnalysisChecks['http']): AnalysisChecks => ({
    alarms: [...new Set([...(releaseAnalysis ? shared.alarms : []), ...(own?.alarms ?? [])])],
    maxUnhealthyTargets: own?.maxUnhealthyTargets ?? shared.maxUnhealthyTargets,
    ...(http ? { http } : {}),
  });
  // The spec's bake at 100% probes the production host where the spec said the stage host (loadSpec's
  // probingWhatExists): bakes below 100% probe the stage host, which serves the new deployment only.
  const stepHttp = own?.http && probing(own.http, spec.hosts.production, spec.hosts.stage);
  const bake = (b: Bake, http: AnalysisChecks['http']): Bake => ({ ...b, checks: checks(b.checks, http) });
  const steps = plan.steps.map((s): PlanStep => (s.kind === 'bake' ? { ...s, bake: bake(s.bake, stepHttp) } : s));
  return { ...spec, traffic: { ...plan, steps, finalBake: bake(plan.finalBake, own?.http) } };
}

/** The HTTP check with `from` as its host changed to `to` (any other host left as it is). */
function probing(http: NonNullable<AnalysisChecks['http']>, from: string, to: string): AnalysisChecks['http'] {
  const url = new URL(http.url);
  if (url.hostname.toLowerCase() !== from) return http;
  url.hostname = to;
  return { ...http, url: url.toString() };
}
