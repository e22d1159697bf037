// `switchyard plan -f spec.yaml [--image REF] [-o json]`: a dry run (ecspresso's `deploy --dry-run`, a
// Terraform plan): what is live now, and every change a deployment of the spec would make, in order, with
// names, rule priorities and weights, through the teardown. Reads AWS (through the plan workflow on a
// worker) and Temporal; writes nothing. Exit 0 when the deployment would go ahead, 1 when it would be refused.
import type { Command } from 'commander';
import { SwitchyardClient } from '../../client/switchyard-client';
import { loadConfig } from '../../config';
import { isCodeDeploy, isRolling } from '../../shared/deployment';
import { ExitCode, UserError } from '../../shared/errors';
import type { DeploymentPlan } from '../../shared/plan';
import { loadSpec } from '../../spec/load';
import type { Cli, Reply } from '../command';
import { withOutput, type OutputFormat } from '../options';
import { formatPlan } from '../output';

interface PlanOptions {
  file: string;
  image?: string;
  output: OutputFormat;
}

export function registerPlan(program: Command, cli: Cli): void {
  withOutput(program.command('plan'))
    .description(
      'dry run: what is live, and every change a deployment of the spec would make, in order (reads only; exit 1 if it would be refused)',
    )
    .requiredOption('-f, --file <spec>', 'deployment spec (YAML or JSON)')
    .option('--image <ref>', 'container image, overriding the spec (as deploy takes it)')
    .action(cli.action(async (opts: PlanOptions) => plan(opts)));
}

export async function plan(opts: PlanOptions): Promise<Reply<DeploymentPlan & { running?: string }>> {
  const spec = loadSpec(opts.file, { image: opts.image });
  if (isRolling(spec))
    throw new UserError(
      `${opts.file}: plan previews blue/green deployments; a rolling update registers one revision and updates ${spec.ecsService} to it`,
    );
  if (isCodeDeploy(spec))
    throw new UserError(
      `${opts.file}: plan previews blue/green deployments; in CodeDeploy mode, deployment group ${spec.codeDeploy.deploymentGroup} plans the traffic (switchyard validate checks the spec)`,
    );
  const planned = await SwitchyardClient.using(loadConfig().temporal, async (client) => {
    await client.assertWorkerPolling();
    return client.plan(spec);
  });
  return {
    data: planned,
    format: opts.output,
    text: formatPlan,
    exitCode: planned.refused ? ExitCode.failed : ExitCode.ok,
  };
}
