// A blue/green spec for a service that already runs (what `switchyard init CLUSTER/SERVICE` prints): what
// was read of it (./live-service), in the spec's fields, as YAML with a comment where a value was chosen
// rather than read. Pure: the command validates the result with loadSpec before writing it.
import { Document, isScalar, type Node } from 'yaml';
import type { LiveScaling, LiveService } from './live-service';
import { ecrImageOf, isPinned } from '../shared/images';

export interface SpecOptions {
  /** The spec's `service` and `environment`; absent: derived from the ECS service's name. */
  name?: string;
  environment?: string;
  stageHost?: string;
  retire: 'leave' | 'scaleToZero';
  /** The scaling bounds and policies written out, instead of `from: production` (read at each deploy). */
  scalingFromSpec: boolean;
}

// Environment words as ECS service names carry them (web-prod, prod-web, api_staging).
const environmentWords: Record<string, string> = {
  production: 'prod',
  prod: 'prod',
  prd: 'prod',
  live: 'live',
  staging: 'staging',
  stage: 'stage',
  stg: 'stg',
  preprod: 'preprod',
  development: 'dev',
  dev: 'dev',
  test: 'test',
  qa: 'qa',
  uat: 'uat',
  sandbox: 'sandbox',
};

/** `service` and `environment` from an ECS service name: its environment word out, the rest the service. */
export function namesFrom(ecsName: string): { service: string; environment?: string } {
  const words = ecsName
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter(Boolean);
  const at = [words.length - 1, 0].find((i) => words[i] in environmentWords && words.length > 1);
  const environment = at === undefined ? undefined : environmentWords[words[at]];
  const rest = at === undefined ? words : words.filter((_, i) => i !== at);
  return { service: rest.join('-').slice(0, 20).replace(/-+$/, ''), environment };
}

/** The stage host: beside production in its zone (`stage-web.example.com`), or under it for the apex. */
export function stageHostFor(production: string, zone: string): string {
  const [first, ...rest] = production.split('.');
  return production === zone || first.length > 57 ? `stage.${production}` : `stage-${first}.${rest.join('.')}`;
}

const seconds = (s: number | undefined) => (s === undefined ? undefined : `${s}s`);

function autoScalingOf(scaling: LiveScaling, fromSpec: boolean): Record<string, unknown> {
  if (!fromSpec) return { from: 'production' };
  return {
    minCapacity: scaling.minCapacity,
    maxCapacity: scaling.maxCapacity,
    policies: scaling.policies.map((p) => ({
      name: p.name,
      targetTracking: defined({
        metric: p.metric,
        targetValue: p.targetValue,
        scaleInCooldown: seconds(p.scaleInCooldownSeconds),
        scaleOutCooldown: seconds(p.scaleOutCooldownSeconds),
        disableScaleIn: p.disableScaleIn || undefined,
      }),
    })),
  };
}

function defined<T extends object>(fields: T): Partial<T> {
  return Object.fromEntries(
    Object.entries(fields).filter(([, v]) => v !== undefined && !(Array.isArray(v) && v.length === 0)),
  ) as Partial<T>;
}

/** The service's desired count, inside its scaling bounds (the spec's floor for the new service), at least 1. */
function desiredCountOf(live: LiveService): number {
  const current = live.service.desiredCount ?? 1;
  const bounded = live.scaling
    ? Math.min(Math.max(current, live.scaling.minCapacity), live.scaling.maxCapacity)
    : current;
  return Math.max(1, bounded);
}

/**
 * A task definition ECS runs on Fargate because the service says so, without requiring it: the spec reads
 * Fargate from `requiresCompatibilities` (src/shared/launch.ts), so it is written there.
 */
function taskDefinitionOf(live: LiveService): Record<string, unknown> {
  const td = live.taskDefinition;
  if (live.service.launchType !== 'FARGATE' || Array.isArray(td.requiresCompatibilities)) return td;
  return { ...td, requiresCompatibilities: ['FARGATE'] };
}

export function specFromService(live: LiveService, options: SpecOptions): string {
  const s = live.service;
  const derived = namesFrom(s.serviceName);
  const service = options.name ?? derived.service;
  const environment = options.environment ?? derived.environment ?? 'prod';
  const container = (live.taskDefinition.containerDefinitions as { name: string; image?: string }[]).find(
    (c) => c.name === live.loadBalancer.containerName,
  );
  const vpc = s.networkConfiguration?.awsvpcConfiguration;
  const spec = defined({
    service,
    environment,
    cluster: live.clusterName,
    adopt: { service: s.serviceName, retire: options.retire },
    image: container?.image,
    // Pinning reads the tag's digest from ECR: an image elsewhere, by tag, is deployed as it is.
    pinImageDigest: container?.image && !pinnable(container.image) ? false : undefined,
    container: { name: live.loadBalancer.containerName, port: live.loadBalancer.containerPort },
    desiredCount: desiredCountOf(live),
    autoScaling: live.scaling && autoScalingOf(live.scaling, options.scalingFromSpec),
    network: vpc && {
      subnets: vpc.subnets ?? [],
      securityGroups: vpc.securityGroups ?? [],
      assignPublicIp: vpc.assignPublicIp === 'ENABLED',
    },
    capacityProviderStrategy: s.capacityProviderStrategy?.map((p) =>
      defined({ capacityProvider: p.capacityProvider, weight: p.weight, base: p.base || undefined }),
    ),
    loadBalancer: { name: live.targetGroup.loadBalancer.name, listenerPort: live.rule.listenerPort },
    hosts: {
      production: live.rule.host,
      stage: options.stageHost ?? stageHostFor(live.rule.host, live.zone.name),
      productionRecord: live.productionRecord.manage ? 'manage' : 'leave',
    },
    hostedZone: live.zone.name,
    productionRule: (live.rule.pathPatterns || live.rule.httpHeaders) && {
      ...(live.rule.pathPatterns ? { pathPatterns: live.rule.pathPatterns } : {}),
      ...(live.rule.httpHeaders ? { httpHeaders: live.rule.httpHeaders } : {}),
    },
    healthCheck: live.targetGroup.healthCheck,
    healthCheckGracePeriod: seconds(s.healthCheckGracePeriodSeconds),
    placementConstraints: s.placementConstraints?.map((c) => defined({ type: c.type, expression: c.expression })),
    placementStrategy: s.placementStrategy?.map((p) => defined({ type: p.type, field: p.field })),
    serviceRegistries: s.serviceRegistries?.map((r) => defined({ ...r })),
    enableExecuteCommand: s.enableExecuteCommand || undefined,
    propagateTags: s.propagateTags,
    // The team's drain: Switchyard's `drain` is also the new target groups' deregistration delay.
    drain: seconds(live.targetGroup.deregistrationDelaySeconds),
    // A canary: a tenth of production, then half, each baked, then all of it.
    traffic: {
      type: 'steps',
      steps: [{ setWeight: 10 }, { pause: '5m' }, { setWeight: 50 }, { pause: '5m' }, { setWeight: 100 }],
    },
    taskDefinition: taskDefinitionOf(live),
  });
  return annotated(new Document(spec), live, { ...options, derived });
}

function pinnable(image: string): boolean {
  return isPinned(image) || ecrImageOf(image) !== undefined;
}

function annotated(
  doc: Document,
  live: LiveService,
  notes: SpecOptions & { derived: { environment?: string } },
): string {
  const s = live.service;
  const comment = (path: string[], text: string) => {
    const node = doc.getIn(path, true) as Node | undefined;
    if (isScalar(node)) node.comment = ` ${text}`;
  };
  doc.commentBefore =
    ` Blue/green spec generated by \`switchyard init\` from ECS service ${s.serviceName} in cluster ${live.clusterName}.\n` +
    ' Review it, then: switchyard deploy -f <this file>';
  comment(
    ['pinImageDigest'],
    'not in ECR: Switchyard cannot pin its tag to a digest; push it to ECR or give it by digest, and remove this line',
  );
  if (!notes.name) comment(['service'], "from the ECS service's name (--name)");
  if (!notes.environment)
    comment(
      ['environment'],
      notes.derived.environment
        ? "from the ECS service's name (--environment)"
        : "the ECS service's name has no environment word (--environment)",
    );
  if (live.targetGroup.deregistrationDelaySeconds !== undefined)
    comment(['drain'], "the target group's deregistration delay");
  comment(['adopt', 'retire'], 'what becomes of the adopted service once production has left it (--retire)');
  if (live.scaling && s.desiredCount !== desiredCountOf(live))
    comment(['desiredCount'], `the service wants ${s.desiredCount}; kept inside its scaling bounds`);
  if (live.scaling && !notes.scalingFromSpec)
    comment(
      ['autoScaling', 'from'],
      "production's scalable target and policies, read at each deploy (--scaling-from-spec writes them out)",
    );
  comment(
    ['hosts', 'productionRecord'],
    live.productionRecord.manage
      ? 'the record is an alias to this load balancer'
      : `left alone: ${live.productionRecord.why}`,
  );
  // The stage rule Switchyard creates forwards only: a stage host of a service behind sign-in is open.
  const signIn = live.rule.authenticate.length
    ? `; production signs users in (${live.rule.authenticate.join(', ')}), the stage rule does not: keep the stage host private`
    : '';
  if (!notes.stageHost || signIn)
    comment(
      ['hosts', 'stage'],
      `${notes.stageHost ? '' : 'chosen by switchyard init (--stage-host)'}${signIn}`.replace(/^; /, ''),
    );
  return doc.toString({ lineWidth: 120 });
}
