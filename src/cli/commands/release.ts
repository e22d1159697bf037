// `switchyard release -f release.yaml [--wait]`: validates the release file and every service's spec
// before anything else, refuses when a service is busy or what a service names does not exist
// (preflight), starts the release, and with --wait follows it; the exit code says how it ended (0 every
// service active, 2 rolled back, 1 failed). The release's id is taken by status, wait and the messages.
import type { Command } from 'commander';
import { SwitchyardClient } from '../../client/switchyard-client';
import { loadConfig } from '../../config';
import type { DeploymentResult } from '../../shared/deployment';
import { loadRelease } from '../../spec/release';
import { exitCodeOf, type Cli, type Reply } from '../command';
import { defaultActor, withOutput, type OutputFormat } from '../options';
import { formatResult, printSteps } from '../output';
import { refuseMissingPrerequisites } from './deploy';

interface ReleaseOptions {
  file: string;
  wait: boolean;
  by: string;
  output: OutputFormat;
}

export interface ReleaseOutcome {
  releaseId: string;
  workflowId: string;
  /** Each service's deployment id, in the release file's order. */
  deployments: { service: string; environment: string; deploymentId: string }[];
  result?: DeploymentResult;
}

export function registerRelease(program: Command, cli: Cli): void {
  withOutput(program.command('release'))
    .description(
      'start a release: several blue/green services staged side by side, one tests gate and approval, traffic moved lockstep or in order, all rolled back together; prints its id (with --wait: follows it to the end)',
    )
    .requiredOption('-f, --file <release>', 'release file (YAML or JSON)')
    .option('--wait', 'follow the release until every service is active, or it rolled back or failed', false)
    .option('--by <name>', 'who asks (recorded in the release and each deployment)', defaultActor())
    .action(cli.action((opts: ReleaseOptions) => release(opts, cli)));
}

export async function release(
  opts: ReleaseOptions,
  cli: Pick<Cli, 'print' | 'progress'>,
): Promise<Reply<ReleaseOutcome>> {
  const loaded = loadRelease(opts.file);
  const outcome = await SwitchyardClient.using(loadConfig().temporal, async (client): Promise<ReleaseOutcome> => {
    await client.assertReady();
    for (const spec of loaded.specs) await refuseMissingPrerequisites(client, spec);
    const { releaseId, handle, input } = await client.release(loaded, opts.by);
    const deployments = input.services.map((s) => ({
      service: s.spec.service,
      environment: s.spec.environment,
      deploymentId: s.deploymentId,
    }));
    if (opts.output === 'text') cli.print(releaseId);
    if (!opts.wait) return { releaseId, workflowId: handle.workflowId, deployments };
    const result = await client.follow(handle, (_status, steps) => printSteps(cli, opts.output, releaseId, steps));
    return { releaseId, workflowId: handle.workflowId, deployments, result };
  });
  const { result } = outcome;
  return {
    data: outcome,
    format: opts.output,
    text: () => (result ? formatResult(result) : undefined),
    exitCode: result && exitCodeOf(result),
  };
}
