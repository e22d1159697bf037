// `switchyard recover <deployment>`: the way out for a deployment that can no longer make progress
// (src/client/recover.ts). Exit 1 when production was left as it was or something was left behind.
import type { Command } from 'commander';
import type { RecoverOptions } from '../../client/recover';
import { SwitchyardClient } from '../../client/switchyard-client';
import { loadConfig } from '../../config';
import { ExitCode } from '../../shared/errors';
import type { RecoveryReport } from '../../shared/recovery';
import type { Cli, Reply } from '../command';
import { defaultActor, deploymentRef, withOutput, type OutputFormat } from '../options';
import { formatRecovery } from '../output';

export function registerRecover(program: Command, cli: Cli): void {
  withOutput(program.command('recover'))
    .description(
      'get a stuck deployment out (its workflow task keeps failing, so rollback cannot run): end its workflow, ' +
        'put production back on the last known-good deployment, remove what it created',
    )
    .argument('<deployment>', 'deployment id, or service[/environment] for its latest deployment', deploymentRef)
    .option('--by <name>', 'who recovers it (recorded)', defaultActor())
    .option('--reason <text>', 'why (recorded in the ended workflow)')
    .option('--force', 'recover a deployment that is not stuck (prefer rollback)', false)
    .action(
      cli.action((ref: string, opts: RecoverOptions & { output: OutputFormat }) => recover(ref, opts, cli.progress)),
    );
}

export async function recover(
  ref: string,
  opts: RecoverOptions & { output: OutputFormat },
  progress: (line: string) => void,
): Promise<Reply<RecoveryReport>> {
  const { by, reason, force } = opts;
  const report = await SwitchyardClient.using(loadConfig().temporal, (client) =>
    client.recover(ref, { by, reason, force }, progress),
  );
  const failed = report.production === 'left' || report.leftovers.length > 0;
  return { data: report, format: opts.output, text: formatRecovery, exitCode: failed ? ExitCode.failed : undefined };
}
