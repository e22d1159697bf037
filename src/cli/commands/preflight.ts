// `switchyard preflight --cluster C --load-balancer L [--listener-port P] --hosted-zone Z`: runs the
// preflight workflow through Temporal and a worker; exit 1 when something is missing.
import type { Command } from 'commander';
import { z } from 'zod';
import { SwitchyardClient } from '../../client/switchyard-client';
import { loadConfig } from '../../config';
import { ExitCode, UserError } from '../../shared/errors';
import type { PreflightInput, PreflightReport } from '../../shared/preflight';
import type { Cli, Reply } from '../command';
import { withOutput, type OutputFormat } from '../options';
import { formatPreflight } from '../output';

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

export function registerPreflight(program: Command, cli: Cli): void {
  withOutput(program.command('preflight'))
    .description('check that the cluster, load balancer (and listener) and hosted zone exist')
    .requiredOption('--cluster <name>', 'ECS cluster name or ARN')
    .requiredOption('--load-balancer <name>', 'ALB name or ARN')
    .option('--listener-port <port>', 'listener port that must exist')
    .requiredOption('--hosted-zone <name>', 'Route 53 hosted zone name')
    .action(cli.action(preflight));
}

export function parsePreflightOptions(raw: Record<string, unknown>): PreflightInput {
  const parsed = optionsSchema.safeParse(raw);
  if (!parsed.success) throw new UserError(parsed.error.issues.map((i) => i.message).join('; '));
  return parsed.data;
}

export async function preflight(
  opts: Record<string, unknown> & { output: OutputFormat },
): Promise<Reply<PreflightReport>> {
  const config = loadConfig();
  const input = parsePreflightOptions(opts);
  const report = await SwitchyardClient.using(config.temporal, async (client) => {
    await client.assertWorkerPolling();
    return (await client.preflight(input)).report;
  });
  return {
    data: report,
    format: opts.output,
    text: formatPreflight,
    exitCode: report.ok ? undefined : ExitCode.failed,
  };
}
