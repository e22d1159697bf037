// Parsers and defaults of the commands' arguments and options, checked before anything connects.
import { InvalidArgumentError, type Command } from 'commander';
import { deploymentQuery } from '../client/deployment-ref';
import { parseDuration } from '../shared/duration';

export function positiveInteger(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a whole number of 1 or more');
  return n;
}

/** A deployment id or service[/environment]. */
export function deploymentRef(value: string): string {
  try {
    deploymentQuery(value);
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message);
  }
  return value;
}

export function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 65535) throw new InvalidArgumentError('expected a port number 1-65535');
  return n;
}

/** Who runs the command, as deployments record it. */
export function defaultActor(): string {
  return process.env.SWITCHYARD_ACTOR ?? process.env.GITHUB_ACTOR ?? process.env.USER ?? 'unknown';
}

/** A duration above zero: 90s, 15m, 1h. */
export function positiveDuration(value: string): number {
  const ms = parseDuration(value);
  if (!ms) throw new InvalidArgumentError('expected a duration above zero, such as 90s, 15m or 1h');
  return ms;
}

export const outputFormats = ['text', 'json', 'jsonl'] as const;
/** text for people; json, one document; jsonl, one compact document a line (a followed deployment's steps too). */
export type OutputFormat = (typeof outputFormats)[number];

function outputFormat(value: string): OutputFormat {
  if (!(outputFormats as readonly string[]).includes(value))
    throw new InvalidArgumentError(`expected one of ${outputFormats.join(', ')}`);
  return value as OutputFormat;
}

/** `-o, --output text|json|jsonl`, as the Temporal CLI has it, with `--json` kept as an alias of `-o json`. */
export function withOutput(command: Command): Command {
  return command
    .option('-o, --output <format>', `output format: ${outputFormats.join(', ')}`, outputFormat, 'text')
    .option('--json', 'the same as -o json')
    .hook('preAction', (cmd) => {
      if (cmd.opts().json) cmd.setOptionValue('output', 'json');
    });
}
