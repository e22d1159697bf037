// Loads a deployment spec file: read (bounded, UTF-8), parse YAML or JSON, validate, resolve the task
// definition file and the image. Every problem is reported at once, each naming its field.
import fs from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import type { AutoScalingSpec } from '../shared/adoption';
import type { AnySpec, CodeDeploySpec, DeploymentSpec, RollingSpec, TaskDefinitionSpec } from '../shared/deployment';
import type { Webhook } from '../shared/notify';
import { UserError } from '../shared/errors';
import { capacityProblems, launchOf } from '../shared/launch';
import type { TrafficPlan } from '../shared/traffic';
import {
  blueGreenSpecSchema,
  codeDeploySpecSchema,
  rollingSpecSchema,
  strategies,
  taskDefinitionSchema,
  type ParsedBlueGreenSpec,
  type ParsedCodeDeploySpec,
  type ParsedRollingSpec,
} from './schema';
import { imageReferenceMessage, imageReferencePattern } from './fields';
import { ecrImageOf, isPinned } from '../shared/images';
import { buildTrafficPlan } from './traffic';

const maxFileBytes = 1024 * 1024;

export class SpecError extends UserError {
  constructor(
    readonly file: string,
    readonly problems: string[],
  ) {
    super(`${file} is not a valid deployment spec:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'SpecError';
  }
}

export function readText(file: string, what: string): string {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
  } catch {
    throw new UserError(`${what} ${file} does not exist`);
  }
  if (!stat.isFile()) throw new UserError(`${what} ${file} is not a file`);
  if (stat.size > maxFileBytes)
    throw new UserError(`${what} ${file} is ${stat.size} bytes; at most ${maxFileBytes} are accepted`);
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(fs.readFileSync(file));
  } catch {
    throw new UserError(`${what} ${file} is not UTF-8 text`);
  }
}

export function parseDocument(file: string, text: string): unknown {
  try {
    // The yaml package caps alias expansion (maxAliasCount), which stops "billion laughs" documents.
    return file.endsWith('.json') ? JSON.parse(text) : parseYaml(text, { maxAliasCount: 50, uniqueKeys: true });
  } catch (err) {
    throw new SpecError(file, [`cannot be parsed: ${(err as Error).message.split('\n')[0]}`]);
  }
}

export function describeIssues(issues: z.core.$ZodIssue[], prefix = ''): string[] {
  return issues.map((issue) => {
    const field = [prefix, ...issue.path.map(String)].filter(Boolean).join('.');
    const message = issue.code === 'unrecognized_keys' ? `unknown field(s) ${issue.keys.join(', ')}` : issue.message;
    return field ? `${field}: ${message}` : message;
  });
}

function resolveTaskDefinition(
  specFile: string,
  given: ParsedBlueGreenSpec['taskDefinition'],
  problems: string[],
): TaskDefinitionSpec | undefined {
  if (typeof given !== 'string') return given as TaskDefinitionSpec;
  const file = path.resolve(path.dirname(specFile), given);
  let doc: unknown;
  try {
    doc = JSON.parse(readText(file, 'task definition file'));
  } catch (err) {
    problems.push(`taskDefinition: ${err instanceof UserError ? err.message : `${file} is not valid JSON`}`);
    return undefined;
  }
  const result = taskDefinitionSchema.safeParse(doc);
  if (!result.success) {
    problems.push(...describeIssues(result.error.issues, `taskDefinition (${given})`));
    return undefined;
  }
  return result.data as TaskDefinitionSpec;
}

/** Where the image came from, and how its pinning is switched off, as a user would say it. */
export interface ImageSource {
  override: string;
  optOut: string;
}
const fromSpecFile: ImageSource = { override: '--image', optOut: 'set pinImageDigest: false' };

/**
 * The image as a reference Docker and ECS read, and pinnable when the spec pins: by digest already, or
 * in a private ECR registry whose tag Switchyard resolves at stage time.
 */
function imageProblem(image: string, from: string, pin: boolean, source: ImageSource): string | undefined {
  if (!imageReferencePattern.test(image)) return `${from}: ${imageReferenceMessage}, got ${JSON.stringify(image)}`;
  if (!pin || isPinned(image) || ecrImageOf(image)) return undefined;
  return (
    `${from}: ${image} is not in a private ECR registry, so Switchyard cannot pin its tag to a digest ` +
    `(a re-run or a rollback could start another image under the same tag): push it to ECR, give it by digest ` +
    `(${image.replace(/:[\w][\w.-]*$/, '')}@sha256:<64 hex digits>), or ${source.optOut}`
  );
}

/** The task definition and the image to deploy, resolved; problems are added to `problems`. */
function resolveImage(
  file: string,
  parsed: ParsedBlueGreenSpec | ParsedRollingSpec | ParsedCodeDeploySpec,
  overrides: { image?: string },
  problems: string[],
  source = fromSpecFile,
) {
  const taskDefinition =
    parsed.taskDefinition === undefined ? undefined : resolveTaskDefinition(file, parsed.taskDefinition, problems);
  const containers = taskDefinition?.containerDefinitions ?? [];
  const names = containers.map((c) => c.name).join(', ');
  const containerName = parsed.container.name ?? (containers.length === 1 ? containers[0].name : undefined);
  const container = containers.find((c) => c.name === containerName);
  if (taskDefinition && !containerName)
    problems.push(`container.name: expected the container whose image to deploy (the task definition has ${names})`);
  else if (taskDefinition && !container)
    problems.push(`container.name: "${containerName}" is not a container of the task definition (it has ${names})`);
  const image = overrides.image ?? parsed.image ?? container?.image;
  const from =
    overrides.image !== undefined
      ? source.override
      : parsed.image !== undefined
        ? 'image'
        : `taskDefinition container ${containerName} image`;
  // Without the container, the image problem is a consequence: report only the cause.
  if (!image && container)
    problems.push(`image: expected the container image in the spec, the task definition or ${source.override}`);
  else if (image) {
    const problem = imageProblem(image, from, parsed.pinImageDigest, source);
    if (problem) problems.push(problem);
  }
  return { taskDefinition, image, containerName };
}

/** Reads and validates a spec of either strategy (`strategy`, default blueGreen). */
export function loadSpec(file: string, overrides: { image?: string } = {}): AnySpec {
  const doc = parseDocument(file, readText(file, 'spec file'));
  const strategy =
    doc && typeof doc === 'object' && 'strategy' in doc ? (doc as { strategy: unknown }).strategy : 'blueGreen';
  if (strategy === 'rolling') return loadRolling(file, doc, overrides);
  if (strategy === 'codeDeploy') return loadCodeDeploy(file, doc, overrides);
  if (strategy !== 'blueGreen')
    throw new SpecError(file, [`strategy: expected one of ${strategies.join(', ')}, got ${JSON.stringify(strategy)}`]);
  return loadBlueGreen(file, doc, overrides);
}

function loadBlueGreen(file: string, doc: unknown, overrides: { image?: string }): DeploymentSpec {
  const result = blueGreenSpecSchema.safeParse(doc);
  if (!result.success) throw new SpecError(file, describeIssues(result.error.issues));
  const parsed = result.data;
  const { plan, problems } = buildTrafficPlan(parsed.traffic, parsed.analysis);
  const { taskDefinition, image } = resolveImage(file, parsed, overrides, problems);
  if (taskDefinition && parsed.capacityProviderStrategy)
    problems.push(...capacityProblems(taskDefinition, parsed.capacityProviderStrategy));
  if (taskDefinition && launchOf(taskDefinition, parsed.capacityProviderStrategy).launchType === 'FARGATE') {
    // "Placement constraints/strategies are not supported with FARGATE launch type" (CreateService).
    for (const field of ['placementConstraints', 'placementStrategy'] as const)
      if (parsed[field]?.length) problems.push(`${field}: ECS does not support placement on Fargate; remove it`);
  }
  if (problems.length || !taskDefinition || !image) throw new SpecError(file, problems);

  return {
    strategy: 'blueGreen',
    service: parsed.service,
    environment: parsed.environment,
    cluster: parsed.cluster,
    taskDefinition,
    image,
    container: parsed.container,
    desiredCount: parsed.desiredCount,
    network: parsed.network,
    loadBalancer: parsed.loadBalancer,
    hosts: {
      production: parsed.hosts.production.toLowerCase(),
      stage: parsed.hosts.stage.toLowerCase(),
      overwriteProductionRecord: parsed.hosts.overwriteProductionRecord,
      productionRecord: parsed.hosts.productionRecord,
    },
    hostedZone: parsed.hostedZone.toLowerCase().replace(/\.$/, ''),
    healthCheck: parsed.healthCheck,
    timeouts: { steadyMs: parsed.timeouts.steady, testsMs: parsed.timeouts.tests },
    approval: {
      required: parsed.approval.required,
      timeoutMs: parsed.approval.timeout,
      onTimeout: parsed.approval.onTimeout,
    },
    traffic: probingWhatExists(plan, parsed.hosts),
    drainMs: parsed.drain,
    healthCheckGracePeriodMs: parsed.healthCheckGracePeriod,
    iamPropagationMs: parsed.iamPropagation,
    pinImageDigest: parsed.pinImageDigest,
    ...notifyOf(parsed.notify),
    ...(parsed.capacityProviderStrategy ? { capacityProviderStrategy: parsed.capacityProviderStrategy } : {}),
    ...definedOnly({
      productionRule: parsed.productionRule,
      adopt: parsed.adopt,
      autoScaling: autoScalingOf(parsed.autoScaling),
      placementConstraints: parsed.placementConstraints,
      placementStrategy: parsed.placementStrategy,
      serviceRegistries: parsed.serviceRegistries,
      enableExecuteCommand: parsed.enableExecuteCommand,
      propagateTags: parsed.propagateTags,
    }),
  };
}

function loadCodeDeploy(file: string, doc: unknown, overrides: { image?: string }): CodeDeploySpec {
  const result = codeDeploySpecSchema.safeParse(doc);
  if (!result.success) throw new SpecError(file, describeIssues(result.error.issues));
  const parsed = result.data;
  const problems: string[] = [];
  const { taskDefinition, image } = resolveImage(file, parsed, overrides, problems);
  if (problems.length || !taskDefinition || !image) throw new SpecError(file, problems);
  return {
    strategy: 'codeDeploy',
    service: parsed.service,
    environment: parsed.environment,
    cluster: parsed.cluster,
    ecsService: parsed.ecsService ?? `${parsed.service}-${parsed.environment}`,
    taskDefinition,
    image,
    container: parsed.container,
    codeDeploy: definedOnly(parsed.codeDeploy) as CodeDeploySpec['codeDeploy'],
    timeouts: { steadyMs: parsed.timeouts.steady, testsMs: parsed.timeouts.tests },
    approval: {
      required: parsed.approval.required,
      timeoutMs: parsed.approval.timeout,
      onTimeout: parsed.approval.onTimeout,
    },
    iamPropagationMs: parsed.iamPropagation,
    pinImageDigest: parsed.pinImageDigest,
    ...notifyOf(parsed.notify),
  };
}

/** The spec's webhooks, when it has any (a spec without keeps the input older workers saw). */
function notifyOf(notify: ParsedBlueGreenSpec['notify']): { notify?: Webhook[] } {
  return notify.length ? { notify: notify.map((w) => definedOnly(w) as Webhook) } : {};
}

/** The fields that are set (a deployment's input keeps no `undefined`s, which older workers never saw). */
function definedOnly<T extends object>(fields: T): Partial<T> {
  return Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function autoScalingOf(parsed: ParsedBlueGreenSpec['autoScaling']): AutoScalingSpec | undefined {
  if (!parsed) return undefined;
  if (parsed.from) return { from: parsed.from };
  return {
    minCapacity: parsed.minCapacity!,
    maxCapacity: parsed.maxCapacity!,
    policies: (parsed.policies ?? []).map((p) => ({
      name: p.name,
      targetTracking: {
        metric: p.targetTracking.metric,
        targetValue: p.targetTracking.targetValue,
        scaleInCooldownMs: p.targetTracking.scaleInCooldown,
        scaleOutCooldownMs: p.targetTracking.scaleOutCooldown,
        disableScaleIn: p.targetTracking.disableScaleIn,
      },
    })),
  };
}

/**
 * The stage host is gone during the bake at 100% (its rule and record go once production is all on the
 * new deployment): an HTTP check of the stage host probes the production host there instead, which then
 * serves the new deployment only. Bakes at lower weights keep probing the stage host.
 */
function probingWhatExists(plan: TrafficPlan, hosts: { production: string; stage: string }): TrafficPlan {
  const http = plan.finalBake.checks.http;
  if (!http) return plan;
  const url = new URL(http.url);
  if (url.hostname.toLowerCase() !== hosts.stage.toLowerCase()) return plan;
  url.hostname = hosts.production.toLowerCase();
  return {
    ...plan,
    finalBake: { ...plan.finalBake, checks: { ...plan.finalBake.checks, http: { ...http, url: url.toString() } } },
  };
}

function loadRolling(file: string, doc: unknown, overrides: { image?: string }): RollingSpec {
  const result = rollingSpecSchema.safeParse(doc);
  if (!result.success) throw new SpecError(file, describeIssues(result.error.issues));
  const { spec, problems } = rollingOf(file, result.data, overrides);
  if (!spec) throw new SpecError(file, problems);
  return spec;
}

/**
 * A rolling spec from the one-liner's flags (`deploy --cluster C --service S --image I`), checked by the
 * same schema as a file's: its problems name the flags.
 */
export function rollingSpecFromFlags(flags: {
  cluster: string;
  service: string;
  name?: string;
  environment?: string;
  image?: string;
  container?: string;
  forceNewDeployment: boolean;
  pinImageDigest: boolean;
  timeout?: string;
}): RollingSpec {
  const doc = {
    strategy: 'rolling',
    service: flags.name ?? nameFrom(flags.service, 20),
    environment: flags.environment ?? nameFrom(flags.cluster.split('/').pop()!, 10),
    cluster: flags.cluster,
    ecsService: flags.service,
    ...(flags.container ? { container: { name: flags.container } } : {}),
    ...(flags.timeout ? { timeouts: { steady: flags.timeout } } : {}),
    forceNewDeployment: flags.forceNewDeployment,
    pinImageDigest: flags.pinImageDigest,
  };
  const flagOf: Record<string, string> = {
    service: flags.name === undefined ? "--service (as the deployment's name; or pass --name)" : '--name',
    environment:
      flags.environment === undefined ? '--cluster (as the environment; or pass --environment)' : '--environment',
    cluster: '--cluster',
    ecsService: '--service',
    'container.name': '--container',
    'timeouts.steady': '--timeout',
  };
  const fail = (problems: string[]) =>
    new UserError(`switchyard deploy: invalid flags:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  const result = rollingSpecSchema.safeParse(doc);
  if (!result.success)
    throw fail(
      result.error.issues.map((issue) => {
        const field = issue.path.map(String).join('.');
        return `${flagOf[field] ?? field}: ${issue.message}`;
      }),
    );
  const { spec, problems } = rollingOf(
    'the command line',
    result.data,
    { image: flags.image },
    {
      override: '--image',
      optOut: 'pass --no-pin-image-digest',
    },
  );
  if (!spec) throw fail(problems);
  return spec;
}

/**
 * A deployment name from an AWS one (`Orders_API-prod` → `orders-api-prod`), within the spec's limits: it
 * names the deployment (one at a time per name) and, only where the revision names no roles of its own,
 * Switchyard's roles. Two services cut to the same name cannot deploy at once, and say so.
 */
function nameFrom(awsName: string, max: number): string {
  return awsName
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .slice(0, max)
    .replace(/^-+|-+$/g, '');
}

function rollingOf(
  file: string,
  parsed: ParsedRollingSpec,
  overrides: { image?: string },
  source = fromSpecFile,
): { spec?: RollingSpec; problems: string[] } {
  const problems: string[] = [];
  const { taskDefinition, image, containerName } = resolveImage(file, parsed, overrides, problems, source);
  const fromRunning = parsed.taskDefinition === undefined;
  if (parsed.forceNewDeployment && (image || !fromRunning))
    problems.push(
      `forceNewDeployment: starts new tasks of the revision the service runs, as it is: drop ${fromRunning ? `image (${source.override})` : 'taskDefinition'}, or forceNewDeployment to deploy a new revision`,
    );
  else if (fromRunning && !parsed.forceNewDeployment && !image)
    problems.push(
      `image: expected the image to deploy (${source.override}): without a taskDefinition, the service's running revision gets it`,
    );
  if (problems.length || (!fromRunning && !taskDefinition)) return { problems };
  return {
    problems,
    spec: {
      strategy: 'rolling',
      service: parsed.service,
      environment: parsed.environment,
      cluster: parsed.cluster,
      ...definedOnly({ taskDefinition, image }),
      container: definedOnly({ name: containerName }),
      ecsService: parsed.ecsService ?? `${parsed.service}-${parsed.environment}`,
      timeouts: { steadyMs: parsed.timeouts.steady },
      iamPropagationMs: parsed.iamPropagation,
      pinImageDigest: parsed.pinImageDigest,
      ...notifyOf(parsed.notify),
      ...(parsed.forceNewDeployment ? { forceNewDeployment: true } : {}),
      ...(parsed.deploymentCircuitBreaker ? { deploymentCircuitBreaker: parsed.deploymentCircuitBreaker } : {}),
    },
  };
}
