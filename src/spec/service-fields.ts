// ECS service fields of services in the wild, validated as CreateService and UpdateService validate them,
// and passed through as they are. https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_CreateService.html
import { z } from 'zod';
import { port } from './fields';

// PlacementConstraint: distinctInstance takes no expression; memberOf needs one (cluster query language,
// at most 2000 characters). At most 10 per task, the task definition's included.
const placementConstraint = z
  .strictObject({
    type: z.enum(['distinctInstance', 'memberOf'], { error: 'expected "distinctInstance" or "memberOf"' }),
    expression: z.string().min(1).max(2000, 'expected at most 2000 characters').optional(),
  })
  .superRefine((c, ctx) => {
    if (c.type === 'distinctInstance' && c.expression !== undefined)
      ctx.addIssue({ code: 'custom', path: ['expression'], message: 'distinctInstance takes no expression' });
    if (c.type === 'memberOf' && c.expression === undefined)
      ctx.addIssue({ code: 'custom', path: ['expression'], message: 'memberOf needs an expression' });
  });

// PlacementStrategy: random (no field), spread (instanceId, host or an attribute), binpack (cpu or memory).
// At most 5 per service.
const placementStrategyItem = z
  .strictObject({
    type: z.enum(['random', 'spread', 'binpack'], { error: 'expected "random", "spread" or "binpack"' }),
    field: z.string().min(1).max(255).optional(),
  })
  .superRefine((s, ctx) => {
    if (s.type === 'random' && s.field !== undefined)
      ctx.addIssue({ code: 'custom', path: ['field'], message: 'random takes no field' });
    if (s.type === 'spread' && s.field === undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['field'],
        message: 'spread needs a field, e.g. attribute:ecs.availability-zone',
      });
    if (s.type === 'binpack' && s.field !== 'cpu' && s.field !== 'memory')
      ctx.addIssue({ code: 'custom', path: ['field'], message: 'binpack takes field "cpu" or "memory"' });
  });

// ServiceRegistry: a Cloud Map service (not namespace) ARN; port, or containerName and containerPort, not both.
const serviceRegistry = z
  .strictObject({
    registryArn: z
      .string()
      .regex(
        /^arn:aws[a-z-]*:servicediscovery:[a-z0-9-]+:\d{12}:service\/srv-[a-z0-9]+$/,
        'expected a Cloud Map service ARN (arn:aws:servicediscovery:<region>:<account>:service/srv-...)',
      ),
    port: port.optional(),
    containerName: z.string().min(1).optional(),
    containerPort: port.optional(),
  })
  .superRefine((r, ctx) => {
    if (r.port !== undefined && (r.containerName !== undefined || r.containerPort !== undefined))
      ctx.addIssue({ code: 'custom', message: 'give either port or containerName and containerPort, not both' });
    if ((r.containerName === undefined) !== (r.containerPort === undefined))
      ctx.addIssue({ code: 'custom', message: 'containerName and containerPort go together' });
  });

/** Fields a blue/green deployment's new service gets as they are. */
export const serviceFields = {
  placementConstraints: z.array(placementConstraint).max(10, 'expected at most 10 placement constraints').optional(),
  placementStrategy: z.array(placementStrategyItem).max(5, 'expected at most 5 placement strategies').optional(),
  serviceRegistries: z.array(serviceRegistry).max(1, 'ECS takes one service registry per service').optional(),
  enableExecuteCommand: z.boolean({ error: 'expected true or false' }).optional(),
  propagateTags: z
    .enum(['SERVICE', 'TASK_DEFINITION', 'NONE'], { error: 'expected "SERVICE", "TASK_DEFINITION" or "NONE"' })
    .optional(),
};

/** The rolling strategy's circuit breaker: ECS stops (and with rollback, reverts) a deployment whose tasks keep failing. */
export const deploymentCircuitBreaker = z
  .strictObject({
    enable: z.boolean({ error: 'expected true or false' }),
    rollback: z.boolean({ error: 'expected true or false' }),
  })
  .optional();
