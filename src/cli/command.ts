// What a command module gives the CLI: a function that declares its command (options, help) on the
// program, with an action that returns what it found. src/cli/main.ts prints that and sets the exit code.
import type { Command } from 'commander';
import type { DeploymentResult } from '../shared/deployment';
import { ExitCode } from '../shared/errors';
import type { OutputFormat } from './options';

/** What an action found, how it reads (as text, or as JSON with -o json), and the exit code it means. */
export interface Reply<T> {
  data: T;
  /** Absent: text. */
  format?: OutputFormat;
  /** The data as text (src/cli/output.ts); nothing is printed when this is absent or gives undefined. */
  text?(data: T): string | undefined;
  /** When the data means something other than success: a rolled-back deployment (2), a failed check (1). */
  exitCode?: number;
}

export interface Cli {
  /** An action for commander: what `run` returns is printed, and its exit code set. */
  action<A extends unknown[], T>(run: (...args: A) => Promise<Reply<T> | void>): (...args: A) => Promise<void>;
  /** A line on stdout as the command goes (a long-running one, or a deployment's id before it is followed). */
  print(line: string): void;
  /** A line of progress, on stderr. */
  progress(line: string): void;
}

/** Declares a command (or a family of them) on the program. */
export type RegisterCommand = (program: Command, cli: Cli) => void;

/** What an ended deployment means to CI: active 0, rolled back 2, failed 1. */
export function exitCodeOf(result: Pick<DeploymentResult, 'phase'>): number {
  if (result.phase === 'active') return ExitCode.ok;
  return result.phase === 'rolled_back' ? ExitCode.rolledBack : ExitCode.failed;
}
