#!/usr/bin/env node
// The CLI only declares commands; each lives in src/cli/commands. Errors are caught once, here,
// and mapped to exit codes CI can trust: 0 success, 1 failed or invalid input, 2 rolled back.
import { Command, InvalidArgumentError } from 'commander';
import { loadConfig } from '../config';
import { ExitCode, UserError } from '../shared/errors';
import { deployCommand } from './commands/deploy';
import { devCommand } from './commands/dev';
import { listCommand, statusCommand } from './commands/inspect';
import { messageCommand } from './commands/message';
import { recoverCommand } from './commands/recover';
import { deploymentQuery } from '../client/deployment-ref';
import type { MessageName } from '../client/steer';
import type { DeploymentResult } from '../shared/deployment';
import { initCommand } from './commands/init';
import { parsePreflightOptions, preflightCommand } from './commands/preflight';
import { workerCommand } from './commands/worker';
import { formatPreflight, formatRecovery, formatResult, formatStatus, formatSteps, formatTable } from './output';

// Our @aws-sdk/* versions are pinned and support Node 20; the SDK's notice about releases after
// January 2027 would otherwise precede every message this CLI prints.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const print = (line: string) => process.stdout.write(`${line}\n`);

function positiveInteger(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a whole number of 1 or more');
  return n;
}

/** A deployment id or service[/environment], checked before anything connects. */
function deploymentRef(value: string): string {
  try {
    deploymentQuery(value);
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message);
  }
  return value;
}

function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 65535) throw new InvalidArgumentError('expected a port number 1-65535');
  return n;
}

export function buildProgram(): Command {
  const program = new Command('switchyard')
    .description('Durable blue/green and canary deployments for Amazon ECS, run as Temporal workflows')
    .showHelpAfterError()
    .exitOverride();

  program
    .command('dev')
    .description('start the embedded stack: Temporal dev server + web UI, AWS emulator (moto) and a worker')
    .option('--temporal-port <port>', 'Temporal frontend port', port, 7233)
    .option('--ui-port <port>', 'Temporal web UI port', port, 8233)
    .option('--aws-port <port>', 'AWS emulator port', port, 5000)
    .option('--state-dir <dir>', 'where the Temporal SQLite file and logs live (default .switchyard/state)')
    .option('--demo', 'also run the demo against the seeded account', false)
    .action(async (opts) => {
      const env = loadConfig({ ...process.env, TEMPORAL_ADDRESS: undefined, AWS_ENDPOINT_URL: undefined });
      await devCommand({ ...opts, namespace: env.temporal.namespace, taskQueue: env.temporal.taskQueue }, print);
    });

  program
    .command('init')
    .description("register Switchyard's search attributes on TEMPORAL_ADDRESS / TEMPORAL_NAMESPACE (idempotent)")
    .action(async () => {
      const config = loadConfig();
      const { added, present } = await initCommand(config.temporal);
      const where = `${config.temporal.address} namespace ${config.temporal.namespace}`;
      if (added.length) print(`registered search attributes on ${where}: ${added.join(', ')}`);
      if (present.length) print(`already registered on ${where}: ${present.join(', ')}`);
    });

  program
    .command('worker')
    .description('run a worker for TEMPORAL_ADDRESS and AWS (AWS_REGION, AWS_ENDPOINT_URL)')
    .action(async () => workerCommand(loadConfig(), print));

  program
    .command('preflight')
    .description('check that the cluster, load balancer (and listener) and hosted zone exist')
    .requiredOption('--cluster <name>', 'ECS cluster name or ARN')
    .requiredOption('--load-balancer <name>', 'ALB name or ARN')
    .option('--listener-port <port>', 'listener port that must exist')
    .requiredOption('--hosted-zone <name>', 'Route 53 hosted zone name')
    .option('--json', 'print the report as JSON', false)
    .action(async (opts) => {
      const report = await preflightCommand(loadConfig(), parsePreflightOptions(opts));
      print(opts.json ? JSON.stringify(report, null, 2) : formatPreflight(report));
      if (!report.ok) process.exitCode = ExitCode.failed;
    });

  program
    .command('deploy')
    .description('start a deployment from a spec (blue/green, or rolling when the spec says so); prints its id (with --wait: follows it to the end)')
    .requiredOption('-f, --file <spec>', 'deployment spec (YAML or JSON)')
    .option('--image <ref>', 'container image, overriding the spec')
    .option('--wait', 'follow the deployment until it is active, rolled back or failed', false)
    .option('--by <name>', 'who asks (recorded in the deployment)', defaultActor())
    .option('--json', 'print JSON', false)
    .action(async (opts) => {
      const outcome = await deployCommand(
        loadConfig(),
        { file: opts.file, image: opts.image, wait: opts.wait, by: opts.by },
        (id) => (opts.json ? undefined : print(id)),
        (_status, steps) => process.stderr.write(`${formatSteps(steps)}\n`),
      );
      if (opts.json) print(JSON.stringify(outcome, null, 2));
      else if (outcome.result) print(formatResult(outcome.result));
      if (outcome.result) process.exitCode = exitCodeOf(outcome.result);
    });

  program
    .command('status')
    .description('phase, resources and steps of a deployment (by id) or of the latest deployment of a service (web or web/prod)')
    .argument('<deployment>', 'deployment id, or service[/environment]', deploymentRef)
    .option('--json', 'print JSON', false)
    .action(async (ref, opts) => {
      const status = await statusCommand(loadConfig(), ref);
      print(opts.json ? JSON.stringify(status, null, 2) : formatStatus(status));
    });

  program
    .command('list')
    .description('recent deployments, newest first')
    .option('--limit <n>', 'how many', positiveInteger, 20)
    .option('--json', 'print JSON', false)
    .action(async (opts) => {
      const rows = await listCommand(loadConfig(), opts.limit);
      print(opts.json ? JSON.stringify(rows, null, 2) : formatTable(rows.map((r) => ({ ...r }))));
    });

  for (const [name, what] of [
    ['tests-passed', 'tell a deployment its tests passed'],
    ['tests-failed', 'tell a deployment its tests failed (it rolls back)'],
    ['approve', 'approve a deployment waiting for approval'],
    ['rollback', 'roll a deployment back (production returns to the previous deployment first)'],
    ['pause', 'hold progressive traffic at its current weight (the bake interval in progress starts again after resume)'],
    ['resume', 'go on after a pause (also ends an indefinite pause step)'],
    ['promote', 'skip the remaining traffic steps and the bake: 100% now, then the drain (rollback stays instant during it)'],
  ] as const) {
    program
      .command(name)
      .description(what)
      .argument('<deployment>', 'deployment id, or service[/environment] for its latest deployment', deploymentRef)
      .option('--by <name>', 'who sends it (recorded)', defaultActor())
      .option('--reason <text>', 'why (recorded)')
      .action(async (ref, opts) => {
        await messageCommand(loadConfig(), name as MessageName, ref, { by: opts.by, reason: opts.reason });
        print(`${name} sent to ${ref}`);
      });
  }

  program
    .command('recover')
    .description(
      'get a stuck deployment out (its workflow task keeps failing, so rollback cannot run): end its workflow, ' +
        'put production back on the last known-good deployment, remove what it created',
    )
    .argument('<deployment>', 'deployment id, or service[/environment] for its latest deployment', deploymentRef)
    .option('--by <name>', 'who recovers it (recorded)', defaultActor())
    .option('--reason <text>', 'why (recorded in the ended workflow)')
    .option('--force', 'recover a deployment that is not stuck (prefer rollback)', false)
    .option('--json', 'print JSON', false)
    .action(async (ref, opts) => {
      const report = await recoverCommand(loadConfig(), ref, { by: opts.by, reason: opts.reason, force: opts.force }, (line) => process.stderr.write(`${line}\n`));
      print(opts.json ? JSON.stringify(report, null, 2) : formatRecovery(report));
      if (report.production === 'left' || report.leftovers.length) process.exitCode = ExitCode.failed;
    });

  return program;
}

function defaultActor(): string {
  return process.env.SWITCHYARD_ACTOR ?? process.env.GITHUB_ACTOR ?? process.env.USER ?? 'unknown';
}

function exitCodeOf(result: DeploymentResult): number {
  if (result.phase === 'active') return ExitCode.ok;
  return result.phase === 'rolled_back' ? ExitCode.rolledBack : ExitCode.failed;
}

export async function main(argv: string[]): Promise<number> {
  try {
    await buildProgram().parseAsync(argv);
    return Number(process.exitCode ?? ExitCode.ok);
  } catch (err) {
    return reportError(err);
  }
}

function reportError(err: unknown): number {
  const code = (err as { code?: string }).code;
  if (typeof code === 'string' && code.startsWith('commander.')) {
    // commander already printed its message (or the help/version it was asked for).
    return code === 'commander.helpDisplayed' || code === 'commander.version' ? ExitCode.ok : ExitCode.failed;
  }
  if (err instanceof UserError) {
    process.stderr.write(`switchyard: ${err.message}\n`);
    return err.exitCode;
  }
  process.stderr.write(`switchyard: unexpected error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  return ExitCode.failed;
}

if (require.main === module) {
  void main(process.argv).then((code) => process.exit(code));
}
