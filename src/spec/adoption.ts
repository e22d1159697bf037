// Spec sections for a service that already runs: which listener rule is production's (its full condition
// set), what becomes of a service Switchyard did not create once production has left it, and the
// Application Auto Scaling the new service gets (production's, copied at deploy time, or the spec's own).
import { z } from 'zod';
import { duration } from './fields';

// ALB rule conditions: path patterns and header values up to 128 characters, a header name up to 40, and
// at most 5 condition values in a rule (the host counts as one).
// https://docs.aws.amazon.com/elasticloadbalancing/latest/application/rule-condition-types.html
// https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-limits.html
const conditionValue = z
  .string()
  .min(1, 'expected a value')
  .max(128, 'expected at most 128 characters')
  .regex(/^[\x20-\x7e]+$/, 'expected printable ASCII characters');
export const maxConditionValues = 5;
// At most 3 values in one condition and 5 wildcards in a rule; path patterns in ALB's characters.
const maxValuesPerCondition = 3;
const maxWildcards = 5;
const pathPattern = conditionValue.regex(
  /^[A-Za-z0-9_\-.$/~"'@:+&*?]+$/,
  'expected a path pattern of letters, digits and _ - . $ / ~ " \' @ : + &, with * or ? as wildcards',
);

export const productionRuleSchema = z
  .strictObject({
    pathPatterns: z
      .array(pathPattern, { error: 'expected a list of path patterns, e.g. ["/app/*"]' })
      .min(1)
      .max(maxValuesPerCondition, 'an ALB condition takes at most 3 values: put the others in another rule')
      .optional(),
    httpHeaders: z
      .array(
        z.strictObject({
          name: z
            .string({ error: 'expected the header name' })
            .max(40, 'expected at most 40 characters')
            .regex(/^[A-Za-z0-9!#$%&'+.^_`|~-]+$/, 'expected an HTTP header name such as X-Canary (no wildcards)'),
          values: z
            .array(conditionValue)
            .min(1, 'expected at least one value')
            .max(maxValuesPerCondition, 'an ALB condition takes at most 3 values'),
        }),
      )
      .min(1)
      .optional(),
    // Where a rule Switchyard creates goes. Unpinned: just above any rule that would shadow it.
    priority: z
      .number()
      .int('expected a whole number')
      .min(1, 'expected 1-50000')
      .max(50_000, 'expected 1-50000')
      .optional(),
  })
  .superRefine((rule, ctx) => {
    const values =
      1 + (rule.pathPatterns?.length ?? 0) + (rule.httpHeaders ?? []).reduce((n, h) => n + h.values.length, 0);
    if (values > maxConditionValues)
      ctx.addIssue({
        code: 'custom',
        message: `an ALB rule takes at most ${maxConditionValues} condition values (the host is one), got ${values}`,
      });
    const wildcards = [...(rule.pathPatterns ?? []), ...(rule.httpHeaders ?? []).flatMap((h) => h.values)]
      .join('')
      .replace(/[^*?]/g, '').length;
    if (wildcards > maxWildcards)
      ctx.addIssue({
        code: 'custom',
        message: `an ALB rule takes at most ${maxWildcards} wildcards (* and ?), got ${wildcards}`,
      });
    const names = (rule.httpHeaders ?? []).map((h) => h.name.toLowerCase());
    if (new Set(names).size < names.length)
      ctx.addIssue({ code: 'custom', path: ['httpHeaders'], message: 'each header can be named once' });
  });

export const adoptSchema = z.strictObject({
  // The ECS service production runs on now (in the spec's cluster). Absent: the one behind production's
  // target group, found in the cluster.
  service: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,254}$/, 'expected an ECS service name')
    .optional(),
  // Once production is all on the new deployment and drained: left running as it is, or scaled to 0 tasks
  // (its Application Auto Scaling suspended, so it stays there). Never deleted: Switchyard did not create it.
  retire: z.enum(['leave', 'scaleToZero'], { error: 'expected "leave" or "scaleToZero"' }).default('leave'),
});

// Target tracking, the policy kind Switchyard carries over (a step policy's CloudWatch alarms are not its
// own). https://docs.aws.amazon.com/autoscaling/application/APIReference/API_TargetTrackingScalingPolicyConfiguration.html
export const ecsScalingMetrics = [
  'ECSServiceAverageCPUUtilization',
  'ECSServiceAverageMemoryUtilization',
  'ALBRequestCountPerTarget',
] as const;
const capacity = z.number().int('expected a whole number').min(0, 'expected 0-1000').max(1000, 'expected 0-1000');
const policy = z.strictObject({
  name: z
    .string()
    .min(1)
    .max(256, 'expected at most 256 characters')
    .regex(/^[\x20-\x7e]+$/, 'expected printable ASCII characters'),
  targetTracking: z.strictObject({
    metric: z.enum(ecsScalingMetrics, { error: `expected one of ${ecsScalingMetrics.join(', ')}` }),
    targetValue: z.number({ error: 'expected a number' }).positive('expected a value above 0'),
    scaleInCooldown: duration('300s', '1d'),
    scaleOutCooldown: duration('300s', '1d'),
    disableScaleIn: z.boolean().default(false),
  }),
});

// Either `from: production` (production's scalable target and target-tracking policies, read at deploy
// time) or the spec's own bounds and policies.
export const autoScalingSchema = z
  .strictObject({
    from: z.literal('production', { error: 'expected "production"' }).optional(),
    minCapacity: capacity.optional(),
    maxCapacity: capacity.optional(),
    policies: z.array(policy).max(50, 'Application Auto Scaling takes at most 50 policies a target').optional(),
  })
  .superRefine((a, ctx) => {
    const own = a.minCapacity !== undefined || a.maxCapacity !== undefined || a.policies !== undefined;
    if (a.from && own) {
      ctx.addIssue({
        code: 'custom',
        message: 'give either from: production or minCapacity, maxCapacity and policies',
      });
      return;
    }
    if (a.from) return;
    if (a.minCapacity === undefined || a.maxCapacity === undefined) {
      ctx.addIssue({ code: 'custom', message: 'expected from: production, or minCapacity and maxCapacity' });
      return;
    }
    if (a.minCapacity > a.maxCapacity)
      ctx.addIssue({ code: 'custom', path: ['maxCapacity'], message: 'must be at least minCapacity' });
    const names = (a.policies ?? []).map((p) => p.name);
    if (new Set(names).size < names.length)
      ctx.addIssue({ code: 'custom', path: ['policies'], message: 'each policy name can be used once' });
  });
