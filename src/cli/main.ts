#!/usr/bin/env node
// The CLI: the program built from the command modules (src/cli/commands, each declaring its options
// and returning what it found), their replies printed, and errors caught once, here, and mapped to exit
// codes CI can trust: 0 success, 1 failed or invalid input, 2 rolled back, 124 timed out (wait --timeout).
import fs from 'node:fs';
import path from 'node:path';
import { Command } from 'commander';
import { ExitCode, UserError } from '../shared/errors';
import type { Cli, Reply } from './command';
import { registerDeploy } from './commands/deploy';
import { registerRelease } from './commands/release';
import { registerDev } from './commands/dev';
import { registerInit } from './commands/init';
import { registerList, registerStatus } from './commands/inspect';
import { registerMessages } from './commands/message';
import { registerPlan } from './commands/plan';
import { registerRehearse } from './commands/rehearse';
import { registerPreflight } from './commands/preflight';
import { registerRecover } from './commands/recover';
import { registerSetup } from './commands/setup';
import { registerValidate } from './commands/validate';
import { registerWait } from './commands/wait';
import { registerWorker } from './commands/worker';
import { formatReply } from './output';
import { inSpan, startTracing, tracingWanted } from '../telemetry/tracing';

// Node 20 reached end of life in April 2026, and the AWS SDK requires Node 22 from January 2027: one
// line says so before anything runs (scripts/setup.js says the same before an install).
const supportedNode = 22;
if (Number(process.versions.node.split('.')[0]) < supportedNode) {
  process.stderr.write(
    `switchyard: Node.js ${process.version} is not supported (past its end of life): use Node.js 22 or 24 LTS.\n`,
  );
  process.exit(ExitCode.failed);
}

const print = (line: string) => process.stdout.write(`${line}\n`);
const progress = (line: string) => process.stderr.write(`${line}\n`);

/** In the order `switchyard --help` lists them. */
const commands = [
  registerDev,
  registerSetup,
  registerInit,
  registerWorker,
  registerPreflight,
  registerValidate,
  registerPlan,
  registerRehearse,
  registerDeploy,
  registerRelease,
  registerStatus,
  registerWait,
  registerList,
  registerMessages,
  registerRecover,
];

/** `switchyard --version`: this release, and the Temporal SDK and Node it runs on. */
export function versionLine(): string {
  // The package's own manifest, beside src/ and dist/ alike.
  const manifest = JSON.parse(fs.readFileSync(path.resolve(__dirname, '..', '..', 'package.json'), 'utf8')) as {
    version: string;
    dependencies: Record<string, string>;
  };
  return `switchyard ${manifest.version} (Temporal TypeScript SDK ${manifest.dependencies['@temporalio/client']}, Node ${process.version})`;
}

export function buildProgram(): Command {
  const program = new Command('switchyard')
    .description('Durable blue/green and canary deployments for Amazon ECS, run as Temporal workflows')
    .version(versionLine(), '-v, --version', 'print the version')
    .showHelpAfterError()
    .exitOverride();
  const cli: Cli = {
    action:
      (run) =>
      async (...args) =>
        reply(await run(...args)),
    print,
    progress,
  };
  for (const register of commands) register(program, cli);
  return program;
}

function reply<T>(answer: Reply<T> | void): void {
  if (!answer) return;
  const out = formatReply(answer);
  if (out !== undefined) print(out);
  if (answer.exitCode !== undefined) process.exitCode = answer.exitCode;
}

/** Commands that run until stopped: their work is traced, not the process as one span. */
const longRunning = ['worker', 'dev', 'rehearse'];

export async function main(argv: string[]): Promise<number> {
  const tracing = tracingWanted() ? await startTracing('switchyard') : undefined;
  const command = argv[2] ?? '';
  try {
    const run = () => buildProgram().parseAsync(argv);
    if (tracing && !longRunning.includes(command))
      await inSpan(`switchyard ${command}`, { 'switchyard.command': argv.slice(2).join(' ') }, run);
    else await run();
    return Number(process.exitCode ?? ExitCode.ok);
  } catch (err) {
    return reportError(err);
  } finally {
    // A collector that is down costs the traces, never the command's exit code.
    await tracing?.shutdown().catch((err: Error) => progress(`switchyard: traces not exported (${err.message})`));
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
  process.stderr.write(
    `switchyard: unexpected error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
  );
  return ExitCode.failed;
}

if (require.main === module) {
  void main(process.argv).then((code) => process.exit(code));
}
