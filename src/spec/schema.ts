// The deployment spec as users write it (YAML or JSON), validated with zod before any AWS change.
// Every message names the field and what is expected; src/spec/load.ts prefixes the field path.
import { z } from 'zod';
import { parseDuration } from '../shared/duration';

// Names become parts of AWS names (ECS service, target group ≤ 32 chars, task definition family).
const serviceName = z
  .string({ error: 'expected a service name' })
  .regex(/^[a-z0-9]([a-z0-9-]{0,18}[a-z0-9])?$/, 'expected 1-20 lowercase letters, digits or inner hyphens, e.g. "web"');
const environmentName = z
  .string({ error: 'expected an environment name' })
  .regex(/^[a-z0-9]([a-z0-9-]{0,8}[a-z0-9])?$/, 'expected 1-10 lowercase letters, digits or inner hyphens, e.g. "prod"');
const hostname = z
  .string({ error: 'expected a host name' })
  .regex(/^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/i, 'expected a DNS host name such as web.example.com');
const port = z.number({ error: 'expected a port number' }).int('expected a whole number').min(1, 'expected 1-65535').max(65535, 'expected 1-65535');

function duration(defaultValue: string, max = '30d') {
  const maxMs = parseDuration(max)!;
  return z
    .union([z.string(), z.number()], { error: 'expected a duration such as "90s", "5m" or "1h"' })
    .default(defaultValue)
    .transform((value, ctx) => {
      const ms = parseDuration(value);
      if (ms === undefined) {
        ctx.addIssue({ code: 'custom', message: `expected a duration such as "90s", "5m" or "1h", got ${JSON.stringify(value)}` });
        return z.NEVER;
      }
      if (ms > maxMs) {
        ctx.addIssue({ code: 'custom', message: `must be at most ${max}` });
        return z.NEVER;
      }
      return ms;
    });
}

const containerDefinition = z.looseObject({
  name: z.string({ error: 'expected the container name' }).min(1),
  image: z.string().optional(),
});

export const taskDefinitionSchema = z.looseObject({
  containerDefinitions: z.array(containerDefinition, { error: 'expected a list of container definitions' }).min(1, 'expected at least one container'),
});

const healthCheck = z
  .strictObject({
    path: z.string().startsWith('/', 'expected a path starting with "/"').default('/'),
    intervalSeconds: z.number().int().min(5, 'expected 5-300').max(300, 'expected 5-300').default(15),
    timeoutSeconds: z.number().int().min(2, 'expected 2-120').max(120, 'expected 2-120').default(5),
    healthyThreshold: z.number().int().min(2, 'expected 2-10').max(10, 'expected 2-10').default(2),
    unhealthyThreshold: z.number().int().min(2, 'expected 2-10').max(10, 'expected 2-10').default(3),
    matcher: z.string().regex(/^\d{3}(-\d{3})?(,\d{3}(-\d{3})?)*$/, 'expected HTTP codes such as "200" or "200-399"').default('200-399'),
  })
  .prefault({});

export const specSchema = z
  .strictObject({
    service: serviceName,
    environment: environmentName,
    cluster: z.string({ error: 'expected the ECS cluster name or ARN' }).min(1, 'expected the ECS cluster name or ARN'),
    taskDefinition: z.union([z.string().min(1), taskDefinitionSchema], {
      error: 'expected a path to an ECS task-definition JSON file, or the task definition inline',
    }),
    image: z.string({ error: 'expected the container image, e.g. "registry/web:1.4.2" (or pass --image)' }).min(1).optional(),
    container: z.strictObject({
      name: z.string({ error: 'expected the name of the container that serves traffic' }).min(1),
      port,
    }),
    desiredCount: z.number({ error: 'expected a number of tasks' }).int('expected a whole number').min(1, 'expected at least 1').max(1000, 'expected at most 1000'),
    network: z
      .strictObject({
        subnets: z.array(z.string().regex(/^subnet-[0-9a-f]+$/, 'expected subnet ids like subnet-0abc')).min(1, 'expected at least one subnet'),
        securityGroups: z.array(z.string().regex(/^sg-[0-9a-f]+$/, 'expected security group ids like sg-0abc')).default([]),
        assignPublicIp: z.boolean().default(false),
      })
      .optional(),
    loadBalancer: z.strictObject({
      name: z.string({ error: 'expected the ALB name or ARN' }).min(1),
      listenerPort: port.default(80),
    }),
    hosts: z.strictObject({ production: hostname, stage: hostname }),
    hostedZone: hostname,
    healthCheck,
    timeouts: z.strictObject({ steady: duration('15m', '2h'), tests: duration('1h', '7d') }).prefault({}),
    approval: z
      .strictObject({
        required: z.boolean().default(false),
        timeout: duration('24h'),
        onTimeout: z.enum(['rollback', 'continue'], { error: 'expected "rollback" or "continue"' }).default('rollback'),
      })
      .prefault({}),
    drain: duration('5m', '1d'),
  })
  .superRefine((spec, ctx) => {
    const zone = spec.hostedZone.toLowerCase().replace(/\.$/, '');
    for (const key of ['production', 'stage'] as const) {
      const host = spec.hosts[key].toLowerCase();
      if (host !== zone && !host.endsWith(`.${zone}`)) {
        ctx.addIssue({ code: 'custom', path: ['hosts', key], message: `expected a name inside the hosted zone ${zone}` });
      }
    }
    if (spec.hosts.production.toLowerCase() === spec.hosts.stage.toLowerCase()) {
      ctx.addIssue({ code: 'custom', path: ['hosts', 'stage'], message: 'must differ from hosts.production' });
    }
  });

export type SpecInput = z.input<typeof specSchema>;
export type ParsedSpec = z.output<typeof specSchema>;
