import { z } from 'zod';
import { SwitchyardClient } from '../../client/switchyard-client';
import type { Config } from '../../config';
import { UserError } from '../../shared/errors';
import type { PreflightInput, PreflightReport } from '../../shared/preflight';

const optionsSchema = z.object({
  cluster: z.string().min(1, '--cluster must name an ECS cluster'),
  loadBalancer: z.string().min(1, '--load-balancer must name an ALB (name or ARN)'),
  listenerPort: z.coerce
    .number({ error: '--listener-port must be a number' })
    .int('--listener-port must be a whole number')
    .min(1, '--listener-port must be 1-65535')
    .max(65535, '--listener-port must be 1-65535')
    .optional(),
  hostedZone: z.string().min(1, '--hosted-zone must name a Route 53 zone'),
});

export function parsePreflightOptions(raw: Record<string, unknown>): PreflightInput {
  const parsed = optionsSchema.safeParse(raw);
  if (!parsed.success) throw new UserError(parsed.error.issues.map((i) => i.message).join('; '));
  return parsed.data;
}

/** Runs the preflight workflow through Temporal and a worker; returns its report. */
export async function preflightCommand(config: Config, input: PreflightInput): Promise<PreflightReport> {
  return SwitchyardClient.using(config.temporal, async (client) => {
    await client.assertWorkerPolling();
    return (await client.preflight(input)).report;
  });
}
