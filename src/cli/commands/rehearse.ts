// `switchyard rehearse -f spec.yaml [--image REF] [--tests passed|failed] [--no-approve] [-o json]`: reads
// the shape of the account the spec touches (only reads: AWS_REGION / AWS_ENDPOINT_URL and the usual
// credentials), recreates it in a private embedded stack behind the conformance layer, runs the whole
// deployment there with the real workflow code, and reports how it ended and what AWS would have refused,
// before production is touched. Exit 1 when the conformance layer refused a call (or a task would not
// launch), else 0 when the rehearsal ended active, 2 rolled back, 1 failed or refused.
import { InvalidArgumentError, type Command } from 'commander';
import { createAwsClients, destroyAwsClients } from '../../aws/clients';
import { loadConfig, loadTelemetryConfig } from '../../config';
import { installRuntime } from '../../telemetry/runtime';
import { isBlueGreen } from '../../shared/deployment';
import { ExitCode, UserError } from '../../shared/errors';
import { loadSpec } from '../../spec/load';
import { rehearse, type RehearsalReport } from '../../dev/rehearse/rehearsal';
import type { Cli, Reply } from '../command';
import { withOutput, type OutputFormat } from '../options';

interface RehearseOptions {
  file: string;
  image?: string;
  tests: 'passed' | 'failed';
  approve: boolean;
  output: OutputFormat;
}

export function registerRehearse(program: Command, cli: Cli): void {
  withOutput(program.command('rehearse'))
    .description(
      "run the whole deployment against a copy of the account's shape in the embedded emulator (reads the account only): exit 0 active, 2 rolled back, 1 failed or refused",
    )
    .requiredOption('-f, --file <spec>', 'deployment spec (YAML or JSON)')
    .option('--image <ref>', 'container image, overriding the spec (as deploy takes it)')
    .option('--tests <verdict>', 'the tests gate answers passed or failed', verdict, 'passed')
    .option('--no-approve', 'leave approval gates unanswered (they time out as the spec says)')
    .action(cli.action(async (opts: RehearseOptions) => rehearseCommand(opts, cli)));
}

function verdict(value: string): 'passed' | 'failed' {
  if (value !== 'passed' && value !== 'failed') throw new InvalidArgumentError('expected passed or failed');
  return value;
}

export async function rehearseCommand(
  opts: RehearseOptions,
  cli: Pick<Cli, 'progress'>,
): Promise<Reply<RehearsalReport>> {
  const spec = loadSpec(opts.file, { image: opts.image });
  if (!isBlueGreen(spec))
    throw new UserError(
      `${opts.file}: rehearse runs blue/green deployments; ${spec.strategy} specs are not rehearsed yet`,
    );
  const account = createAwsClients(loadConfig().aws);
  // The rehearsal's worker logs warnings only, and stops when the rehearsal does (not on a signal of its own).
  installRuntime(loadTelemetryConfig(process.env, 'WARN'), { shutdownSignals: [] });
  // Interrupted: exit at once; the exit hook of src/dev/processes.ts kills the stack's servers.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      cli.progress(`${signal}: rehearsal stopped (nothing was written to the account)`);
      process.exit(130);
    });
  }
  let report: RehearsalReport;
  try {
    report = await rehearse(spec, account, { tests: opts.tests, approve: opts.approve, progress: cli.progress });
  } finally {
    destroyAwsClients(account);
  }
  const refusedByAws = report.conformance.refused + report.conformance.failedTaskLaunches;
  const phase = report.outcome.phase;
  return {
    data: report,
    format: opts.output,
    text: formatRehearsal,
    // What AWS would refuse fails the rehearsal however the deployment ended (it rolled back because of it).
    exitCode: refusedByAws
      ? ExitCode.failed
      : phase === 'active'
        ? ExitCode.ok
        : phase === 'rolled_back'
          ? ExitCode.rolledBack
          : ExitCode.failed,
  };
}

function formatRehearsal(r: RehearsalReport): string {
  const c = r.conformance;
  return [
    `rehearsal of ${r.service}/${r.environment} (${r.image}): ${r.outcome.phase}${r.outcome.reason ? ` (${r.outcome.reason})` : ''}`,
    `the account: ${r.account.reads} reads, ${r.account.writes} writes`,
    ...(r.recreated.length ? [`recreated in the emulator: ${r.recreated.join('; ')}`] : []),
    `AWS would have refused ${c.refused} call(s) and failed ${c.failedTaskLaunches} task launch(es)` +
      (c.recent.length ? `:\n${c.recent.map((v) => `  ${v.operation}: ${v.message}`).join('\n')}` : ''),
    ...(r.notRehearsed.length ? [`not rehearsed: ${r.notRehearsed.join('; ')}`] : []),
  ].join('\n');
}
