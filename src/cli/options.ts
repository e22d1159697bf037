// Parsers and defaults of the commands' arguments and options, checked before anything connects.
import { InvalidArgumentError } from 'commander';
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
