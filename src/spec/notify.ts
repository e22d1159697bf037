// `notify:` in a spec: the webhooks a deployment tells of its events. URLs and signing keys that are
// secrets stay on the worker (urlEnv, secretEnv name its environment variables): a spec and a workflow
// history hold no token.
import { z } from 'zod';
import { notifyEvents } from '../shared/notify';

const envName = z
  .string()
  .regex(/^[A-Z_][A-Z0-9_]*$/, 'expected an environment variable name such as SLACK_WEBHOOK_URL');

const webhook = z
  .strictObject({
    name: z
      .string()
      .regex(/^[\w.-]{1,64}$/, 'expected a short name (letters, digits, . _ -)')
      .optional(),
    url: z.url({ protocol: /^https?$/, error: 'expected an http(s) URL' }).optional(),
    urlEnv: envName.optional(),
    format: z.enum(['slack', 'json'], { error: 'expected "slack" or "json"' }).default('json'),
    secretEnv: envName.optional(),
    events: z
      .array(z.enum(notifyEvents, { error: `expected one of ${notifyEvents.join(', ')}` }))
      .min(1, 'expected at least one event (or leave events out for all)')
      .optional(),
  })
  .superRefine((w, ctx) => {
    if (!w.url === !w.urlEnv)
      ctx.addIssue({
        code: 'custom',
        message: 'expected exactly one of url and urlEnv (the worker variable holding the URL)',
      });
    if (w.secretEnv && w.format === 'slack')
      ctx.addIssue({
        code: 'custom',
        path: ['secretEnv'],
        message: 'signing is for format: json (Slack checks its own URL)',
      });
  });

export const notifySchema = z
  .array(webhook, { error: 'expected a list of webhooks' })
  .max(10, 'expected at most 10 webhooks')
  .default([])
  .transform((hooks, ctx) => {
    const named = hooks.map((w, i) => ({ ...w, name: w.name ?? `webhook-${i + 1}` }));
    const names = named.map((w) => w.name);
    names.forEach((name, i) => {
      if (names.indexOf(name) !== i)
        ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `"${name}" is used twice` });
    });
    return named;
  });
