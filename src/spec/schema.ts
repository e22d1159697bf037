// The deployment spec as users write it (YAML or JSON), validated with zod before any AWS change.
// Every message names the field and what is expected; src/spec/load.ts prefixes the field path.
import { z } from 'zod';
import { duration, environmentName, hostname, httpCodes, imageReference, port, serviceName } from './fields';
import { codeDeployHooks } from '../shared/deployment';
import { launchProblems } from '../shared/launch';
import { analysisSchema, onApprovalTimeout, trafficSchema } from './traffic';
import { adoptSchema, autoScalingSchema, productionRuleSchema } from './adoption';
import { notifySchema } from './notify';
import { deploymentCircuitBreaker, serviceFields } from './service-fields';

// Plain environment values end up in the task definition and in the deployment's workflow history:
// secrets belong in `secrets` (valueFrom: a Secrets Manager or SSM parameter ARN), which ECS resolves.
export const secretLooking = /(PASSWORD|PASSWD|SECRET|TOKEN|API_?KEY|PRIVATE_?KEY|CREDENTIAL)/i;
const environmentVariable = z
  .looseObject({ name: z.string(), value: z.string().optional() })
  .superRefine((variable, ctx) => {
    if (variable.value && secretLooking.test(variable.name)) {
      ctx.addIssue({
        code: 'custom',
        message: `${variable.name} looks like a secret: a plaintext value would be kept in the task definition and the deployment history; move it to "secrets" with valueFrom: <Secrets Manager or SSM parameter ARN>`,
      });
    }
  });

const containerDefinition = z.looseObject({
  name: z.string({ error: 'expected the container name' }).min(1),
  image: z.string().optional(),
  environment: z.array(environmentVariable).optional(),
  secrets: z
    .array(
      z.looseObject({
        name: z.string(),
        valueFrom: z
          .string()
          .regex(/^arn:aws[a-z-]*:(secretsmanager|ssm):/, 'expected a Secrets Manager or SSM parameter ARN'),
      }),
    )
    .optional(),
});

// How it runs (Fargate or EC2, its network mode) is read from it, as ECS reads it: what ECS would refuse
// is refused here, before any AWS change (src/shared/launch.ts).
export const taskDefinitionSchema = z
  .looseObject({
    containerDefinitions: z
      .array(containerDefinition, { error: 'expected a list of container definitions' })
      .min(1, 'expected at least one container'),
  })
  .superRefine((taskDefinition, ctx) => {
    for (const problem of launchProblems(taskDefinition))
      ctx.addIssue({ code: 'custom', path: [problem.path], message: problem.message });
  });

const healthCheck = z
  .strictObject({
    path: z.string().startsWith('/', 'expected a path starting with "/"').default('/'),
    intervalSeconds: z.number().int().min(5, 'expected 5-300').max(300, 'expected 5-300').default(15),
    timeoutSeconds: z.number().int().min(2, 'expected 2-120').max(120, 'expected 2-120').default(5),
    healthyThreshold: z.number().int().min(2, 'expected 2-10').max(10, 'expected 2-10').default(2),
    unhealthyThreshold: z.number().int().min(2, 'expected 2-10').max(10, 'expected 2-10').default(3),
    matcher: httpCodes.default('200-399'),
  })
  .prefault({});

// Fields every strategy has: what to deploy, where.
const common = {
  service: serviceName,
  environment: environmentName,
  cluster: z.string({ error: 'expected the ECS cluster name or ARN' }).min(1, 'expected the ECS cluster name or ARN'),
  taskDefinition: z.union([z.string().min(1), taskDefinitionSchema], {
    error: 'expected a path to an ECS task-definition JSON file, or the task definition inline',
  }),
  image: imageReference.optional(),
  // A role Switchyard has just created is left this long to propagate in IAM before ECS starts tasks
  // with it: until then they fail to start, and each failure counts towards ECS's circuit breaker. Only
  // a service's first deployment creates its roles.
  iamPropagation: duration('10s', '5m'),
  // The image's tag is resolved to its digest in ECR before anything changes, and the revision names
  // the digest: a re-run, a retry or a rollback starts the same image even after the tag moved. Only
  // private ECR registries can be read: any other image is refused unless given by digest or this is false.
  pinImageDigest: z.boolean({ error: 'expected true or false' }).default(true),
  // Webhooks told of the deployment's events (Slack-compatible or signed JSON); see src/spec/notify.ts.
  notify: notifySchema,
};
const desiredCount = z
  .number({ error: 'expected a number of tasks' })
  .int('expected a whole number')
  .min(1, 'expected at least 1')
  .max(1000, 'expected at most 1000');
const containerName = z.string({ error: 'expected the name of the container that serves traffic' }).min(1);

// CapacityProviderStrategyItem: weight 0-1000, base 0-100000, at most 20 providers, one base.
// https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_CapacityProviderStrategyItem.html
const capacityProviderStrategy = z
  .array(
    z.strictObject({
      capacityProvider: z.string({ error: 'expected a capacity provider name, e.g. FARGATE_SPOT' }).min(1).max(255),
      weight: z
        .number()
        .int('expected a whole number')
        .min(0, 'expected 0-1000')
        .max(1000, 'expected 0-1000')
        .default(1),
      base: z
        .number()
        .int('expected a whole number')
        .min(0, 'expected 0-100000')
        .max(100_000, 'expected 0-100000')
        .optional(),
    }),
    { error: 'expected a list of { capacityProvider, weight, base }' },
  )
  .min(1, 'expected at least one capacity provider')
  .max(20, 'expected at most 20 capacity providers')
  .superRefine((strategy, ctx) => {
    if (strategy.filter((p) => p.base !== undefined).length > 1)
      ctx.addIssue({ code: 'custom', message: 'only one capacity provider can have a base' });
    if (!strategy.some((p) => p.weight > 0))
      ctx.addIssue({ code: 'custom', message: 'at least one capacity provider needs a weight above 0' });
    const names = strategy.map((p) => p.capacityProvider);
    if (new Set(names).size < names.length)
      ctx.addIssue({ code: 'custom', message: 'each capacity provider can be named once' });
  });

export const strategies = ['blueGreen', 'rolling', 'codeDeploy'] as const;

// The approval gate before production traffic moves.
const approvalSchema = z
  .strictObject({
    required: z.boolean().default(false),
    timeout: duration('24h'),
    onTimeout: onApprovalTimeout,
  })
  .prefault({});

const ecsServiceName = z
  .string({ error: 'expected the ECS service name' })
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9_-]{0,254}$/,
    'expected an ECS service name: up to 255 letters, digits, hyphens or underscores',
  );

export const blueGreenSpecSchema = z
  .strictObject({
    strategy: z.literal('blueGreen').optional(),
    ...common,
    container: z.strictObject({ name: containerName, port }),
    desiredCount,
    network: z
      .strictObject({
        subnets: z
          .array(z.string().regex(/^subnet-[0-9a-f]+$/, 'expected subnet ids like subnet-0abc'))
          .min(1, 'expected at least one subnet'),
        securityGroups: z
          .array(z.string().regex(/^sg-[0-9a-f]+$/, 'expected security group ids like sg-0abc'))
          .default([]),
        assignPublicIp: z.boolean().default(false),
      })
      .optional(),
    loadBalancer: z.strictObject({
      name: z.string({ error: 'expected the ALB name or ARN' }).min(1),
      listenerPort: port.default(80),
    }),
    hosts: z.strictObject({
      production: hostname,
      stage: hostname,
      // A production record that points elsewhere (an old server's CNAME, say) is replaced only when the
      // spec says so; a rollback puts it back.
      overwriteProductionRecord: z.boolean({ error: 'expected true or false' }).default(false),
      // Whether Switchyard writes the production host's DNS record at all: "leave" for a record someone
      // else owns (a CloudFront alias, Terraform's record). The load balancer's rule is what shifts traffic.
      productionRecord: z.enum(['manage', 'leave'], { error: 'expected "manage" or "leave"' }).default('manage'),
    }),
    // Production's listener rule: the host plus these conditions, exactly. Only its forward action changes.
    productionRule: productionRuleSchema.optional(),
    // A production Switchyard did not create (a service a team already runs).
    adopt: adoptSchema.optional(),
    // The new service's Application Auto Scaling; desiredCount is then the floor it starts from.
    autoScaling: autoScalingSchema.optional(),
    ...serviceFields,
    hostedZone: hostname,
    healthCheck,
    timeouts: z.strictObject({ steady: duration('15m', '2h'), tests: duration('1h', '7d') }).prefault({}),
    approval: approvalSchema,
    traffic: trafficSchema,
    analysis: analysisSchema,
    drain: duration('5m', '1d'),
    // ECS ignores the load balancer's health checks of a task this long after it starts. CDK's default
    // for a service behind a load balancer; ECS's own (0) marks a slow-starting task unhealthy at once.
    healthCheckGracePeriod: duration('60s', '2h'),
    capacityProviderStrategy: capacityProviderStrategy.optional(),
  })
  .superRefine((spec, ctx) => {
    const zone = spec.hostedZone.toLowerCase().replace(/\.$/, '');
    for (const key of ['production', 'stage'] as const) {
      const host = spec.hosts[key].toLowerCase();
      if (host !== zone && !host.endsWith(`.${zone}`)) {
        ctx.addIssue({
          code: 'custom',
          path: ['hosts', key],
          message: `expected a name inside the hosted zone ${zone}`,
        });
      }
    }
    const scaling = spec.autoScaling;
    if (scaling?.maxCapacity !== undefined && spec.desiredCount > scaling.maxCapacity)
      ctx.addIssue({
        code: 'custom',
        path: ['desiredCount'],
        message: `must be at most autoScaling.maxCapacity (${scaling.maxCapacity})`,
      });
    if (spec.hosts.production.toLowerCase() === spec.hosts.stage.toLowerCase()) {
      ctx.addIssue({ code: 'custom', path: ['hosts', 'stage'], message: 'must differ from hosts.production' });
    }
  });

/** Rolling update of a service that stays in place: new revision, update, wait, roll back to the last good one. */
export const rollingSpecSchema = z.strictObject({
  strategy: z.literal('rolling'),
  ...common,
  // Absent: the revision the service runs is the base, with the container's image swapped (ecs-deploy).
  taskDefinition: common.taskDefinition.optional(),
  // name absent: the base revision's only container.
  container: z.strictObject({ name: containerName.optional(), port: port.optional() }).prefault({}),
  // New tasks of the running revision, no new one (aws ecs update-service --force-new-deployment).
  forceNewDeployment: z.boolean({ error: 'expected true or false' }).default(false),
  /** The existing ECS service; default `<service>-<environment>`. */
  ecsService: ecsServiceName.optional(),
  timeouts: z.strictObject({ steady: duration('15m', '2h') }).prefault({}),
  deploymentCircuitBreaker,
});

// CodeDeploy's names: applications, deployment groups and configs, 1-100 characters.
const codeDeployName = (what: string) =>
  z
    .string({ error: `expected the CodeDeploy ${what} name` })
    .min(1, `expected the CodeDeploy ${what} name`)
    .max(100, `expected a CodeDeploy ${what} name of at most 100 characters`);
// A Lambda function's name or ARN (either with a version or alias), as the AppSpec's Hooks take it.
const lambdaFunction = z
  .string({ error: 'expected a Lambda function name or ARN' })
  .regex(
    /^(arn:aws[a-z-]*:lambda:[a-z0-9-]+:\d{12}:function:)?[A-Za-z0-9_-]{1,64}(:[A-Za-z0-9_$-]+)?$/,
    'expected a Lambda function name or ARN',
  );

/**
 * A deployment CodeDeploy runs, of an ECS service whose deployment controller is CODE_DEPLOY: Switchyard
 * registers the revision, starts the deployment and holds it at the ready wait for its gates.
 */
export const codeDeploySpecSchema = z
  .strictObject({
    strategy: z.literal('codeDeploy'),
    ...common,
    taskDefinition: common.taskDefinition,
    /** The existing ECS service; default `<service>-<environment>`. */
    ecsService: ecsServiceName.optional(),
    // The container and port CodeDeploy registers with the target groups (the AppSpec's LoadBalancerInfo).
    container: z.strictObject({ name: containerName, port }),
    codeDeploy: z.strictObject(
      {
        application: codeDeployName('application'),
        deploymentGroup: codeDeployName('deployment group'),
        // Absent: the deployment group's (CodeDeployDefault.ECSAllAtOnce when it has none).
        deploymentConfig: codeDeployName('deployment config').optional(),
        // AppSpec hooks, passed through: the Lambda functions CodeDeploy invokes at each lifecycle event.
        hooks: z.partialRecord(z.enum(codeDeployHooks), lambdaFunction).optional(),
        // A deployment group that shifts traffic as soon as the replacement is up (actionOnTimeout
        // CONTINUE_DEPLOYMENT) cannot be held for the gates: deployed without them only when this is true.
        acceptAutoContinue: z.boolean({ error: 'expected true or false' }).default(false),
      },
      { error: 'expected the CodeDeploy application and deploymentGroup that deploy the service' },
    ),
    timeouts: z.strictObject({ steady: duration('15m', '2h'), tests: duration('1h', '7d') }).prefault({}),
    approval: approvalSchema,
  })
  .superRefine((spec, ctx) => {
    if (spec.codeDeploy.acceptAutoContinue && spec.approval.required)
      ctx.addIssue({
        code: 'custom',
        path: ['approval', 'required'],
        message:
          'codeDeploy.acceptAutoContinue deploys without gates (the group shifts traffic on its own): drop one of them',
      });
  });

export type ParsedCodeDeploySpec = z.output<typeof codeDeploySpecSchema>;
export type ParsedBlueGreenSpec = z.output<typeof blueGreenSpecSchema>;
export type ParsedRollingSpec = z.output<typeof rollingSpecSchema>;
