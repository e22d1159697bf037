// `switchyard deploy -f spec.yaml [--image REF] [--wait]`: validates the spec before anything else,
// refuses when what it names does not exist (preflight), starts the deployment, and with --wait follows
// it; the exit code says how it ended.
import type { Command } from 'commander';
import { SwitchyardClient } from '../../client/switchyard-client';
import { loadConfig } from '../../config';
import { loadSpec } from '../../spec/load';
import { isRolling, type AnySpec, type DeploymentResult } from '../../shared/deployment';
import { ExitCode, UserError } from '../../shared/errors';
import { alarmsOf } from '../../shared/traffic';
import type { Cli, Reply } from '../command';
import { defaultActor } from '../options';
import { formatResult, formatSteps } from '../output';

export interface DeployOptions {
  file: string;
  image?: string;
  wait: boolean;
  by: string;
  json: boolean;
}

export interface DeployOutcome {
  deploymentId: string;
  workflowId: string;
  result?: DeploymentResult;
}

export function registerDeploy(program: Command, cli: Cli): void {
  program
    .command('deploy')
    .description(
      'start a deployment from a spec (blue/green, or rolling when the spec says so); prints its id (with --wait: follows it to the end)',
    )
    .requiredOption('-f, --file <spec>', 'deployment spec (YAML or JSON)')
    .option('--image <ref>', 'container image, overriding the spec')
    .option('--wait', 'follow the deployment until it is active, rolled back or failed', false)
    .option('--by <name>', 'who asks (recorded in the deployment)', defaultActor())
    .option('--json', 'print JSON', false)
    .action(cli.action((opts: DeployOptions) => deploy(opts, cli)));
}

/** Prints the deployment's id once started (unless --json), and with --wait its steps as progress. */
export async function deploy(opts: DeployOptions, cli: Pick<Cli, 'print' | 'progress'>): Promise<Reply<DeployOutcome>> {
  const config = loadConfig();
  const spec = loadSpec(opts.file, { image: opts.image });
  const outcome = await SwitchyardClient.using(config.temporal, async (client): Promise<DeployOutcome> => {
    await client.assertReady();
    await refuseMissingPrerequisites(client, spec);
    const { deploymentId, handle } = await client.start(spec, opts.by);
    if (!opts.json) cli.print(deploymentId);
    if (!opts.wait) return { deploymentId, workflowId: handle.workflowId };
    const result = await client.follow(handle, (_status, steps) => cli.progress(formatSteps(steps)));
    return { deploymentId, workflowId: handle.workflowId, result };
  });
  const { result } = outcome;
  return {
    data: outcome,
    json: opts.json,
    text: () => (result ? formatResult(result) : undefined),
    exitCode: result && exitCodeOf(result),
  };
}

function exitCodeOf(result: DeploymentResult): number {
  if (result.phase === 'active') return ExitCode.ok;
  return result.phase === 'rolled_back' ? ExitCode.rolledBack : ExitCode.failed;
}

/**
 * What a blue/green deployment needs and cannot create (cluster, load balancer, hosted zone, the alarms
 * its gates watch, its capacity providers), checked through the preflight workflow before the deployment
 * starts: a miss is invalid input (exit 1), and nothing is started. The deployment checks again, as
 * things change meanwhile.
 */
async function refuseMissingPrerequisites(client: SwitchyardClient, spec: AnySpec): Promise<void> {
  if (isRolling(spec)) return;
  const { report } = await client.preflight({
    cluster: spec.cluster,
    loadBalancer: spec.loadBalancer.name,
    hostedZone: spec.hostedZone,
    alarms: spec.traffic ? alarmsOf(spec.traffic) : [],
    capacityProviders: (spec.capacityProviderStrategy ?? []).map((p) => p.capacityProvider),
  });
  const missing = report.checks.filter((c) => !c.ok);
  if (missing.length === 0) return;
  throw new UserError(
    `refusing to start ${spec.service}/${spec.environment}, missing: ${missing.map((c) => `${c.resource} ${c.name} (${c.detail})`).join('; ')}`,
  );
}
