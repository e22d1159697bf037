// Field schemas shared by the spec's sections: names that become parts of AWS names, durations, ports.
import { z } from 'zod';
import { parseDuration } from '../shared/duration';

// Names become parts of AWS names (ECS service, target group ≤ 32 chars, task definition family).
export const serviceName = z
  .string({ error: 'expected a service name' })
  .regex(
    /^[a-z0-9]([a-z0-9-]{0,18}[a-z0-9])?$/,
    'expected 1-20 lowercase letters, digits or inner hyphens, e.g. "web"',
  );
export const environmentName = z
  .string({ error: 'expected an environment name' })
  .regex(
    /^[a-z0-9]([a-z0-9-]{0,8}[a-z0-9])?$/,
    'expected 1-10 lowercase letters, digits or inner hyphens, e.g. "prod"',
  );
export const hostname = z
  .string({ error: 'expected a host name' })
  .regex(
    /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/i,
    'expected a DNS host name such as web.example.com',
  );
export const port = z
  .number({ error: 'expected a port number' })
  .int('expected a whole number')
  .min(1, 'expected 1-65535')
  .max(65535, 'expected 1-65535');
export const httpCodes = z
  .string()
  .regex(/^\d{3}(-\d{3})?(,\d{3}(-\d{3})?)*$/, 'expected HTTP codes such as "200" or "200-399"');

// The JSON Schema's pattern and minimum apply to the string and the number alike (each to its own type).
const durationInput = z
  .union([z.string(), z.number()], { error: 'expected a duration such as "90s", "5m" or "1h"' })
  .meta({
    description: 'a duration: "500ms", "90s", "5m", "1h30m", "1d", or a number of seconds',
    pattern: '^\\s*(\\d+(\\.\\d+)?(ms|s|m|h|d))+\\s*$',
    minimum: 0,
  });

function toMs(max: string, min: string) {
  const maxMs = parseDuration(max)!;
  const minMs = parseDuration(min)!;
  return (value: string | number, ctx: z.core.$RefinementCtx<string | number>): number => {
    const ms = parseDuration(value);
    if (ms === undefined) {
      ctx.addIssue({
        code: 'custom',
        message: `expected a duration such as "90s", "5m" or "1h", got ${JSON.stringify(value)}`,
      });
      return z.NEVER;
    }
    if (ms > maxMs || ms < minMs) {
      ctx.addIssue({ code: 'custom', message: minMs > 0 ? `must be ${min} to ${max}` : `must be at most ${max}` });
      return z.NEVER;
    }
    return ms;
  };
}

// A container image reference as Docker and ECS read it: [registry[:port]/]name[/name...][:tag][@sha256:digest].
const domain =
  '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])(?:\\.(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]))*(?::[0-9]+)?';
const pathComponent = '[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*';
export const imageReferencePattern = new RegExp(
  `^(?:${domain}/)?${pathComponent}(?:/${pathComponent})*(?::[\\w][\\w.-]{0,127})?(?:@sha256:[a-f0-9]{64})?$`,
);
export const imageReferenceMessage =
  'expected a container image reference such as "registry.example.com/web:1.4.2" or "nginx@sha256:<64 hex digits>"';
export const imageReference = z
  .string({ error: 'expected the container image, e.g. "registry/web:1.4.2" (or pass --image)' })
  .max(255, 'expected at most 255 characters')
  .regex(imageReferencePattern, imageReferenceMessage);

/** An optional duration ("90s", "5m", "1h", or seconds) in milliseconds. */
export function duration(defaultValue: string, max = '30d', min = '0s') {
  return durationInput.default(defaultValue).transform(toMs(max, min)).meta(bounds(max, min));
}

/** A duration that must be given. */
export function requiredDuration(max = '30d', min = '0s') {
  return durationInput.transform(toMs(max, min)).meta(bounds(max, min));
}

/** The JSON Schema's bounds of a duration given in seconds (a string's are the description's to say). */
function bounds(max: string, min: string) {
  return {
    description: `a duration from ${min} to ${max}: "500ms", "90s", "5m", "1h30m", "1d", or a number of seconds`,
    minimum: parseDuration(min)! / 1000,
    maximum: parseDuration(max)! / 1000,
  };
}
