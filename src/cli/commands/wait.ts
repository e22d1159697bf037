// `switchyard wait <deployment-id | service[/env]> [--for PHASE] [--timeout D]`: CI waits on a deployment it
// did not start (Argo Rollouts' `status --timeout`, ecspresso's `wait`). Exit 0 active or the phase
// reached, 2 rolled back, 1 failed, 124 when the timeout passes first (as GNU timeout).
import { InvalidArgumentError, type Command } from 'commander';
import { SwitchyardClient } from '../../client/switchyard-client';
import { loadConfig } from '../../config';
import { phases, type Phase } from '../../shared/deployment';
import { formatDuration } from '../../shared/duration';
import { ExitCode, UserError } from '../../shared/errors';
import { exitCodeOf, type Cli, type Reply } from '../command';
import { deploymentRef, positiveDuration, withOutput, type OutputFormat } from '../options';
import { formatResult, printSteps } from '../output';

interface WaitOptions {
  for?: Phase;
  timeout?: number;
  output: OutputFormat;
}

export interface WaitOutcome {
  deploymentId: string;
  phase: Phase;
  reason?: string;
  /** What was waited for: the end, or a phase. */
  waitedFor: Phase | 'end';
}

export function registerWait(program: Command, cli: Cli): void {
  withOutput(program.command('wait'))
    .description(
      'wait for a deployment (by id, or the latest of a service) to end, or to reach a phase: exit 0 active or the phase reached, 2 rolled back, 1 failed, 124 on --timeout',
    )
    .argument('<deployment>', 'deployment id, or service[/environment]', deploymentRef)
    .option('--for <phase>', `a phase to wait for instead of the end (${phases.join(', ')})`, phaseOption)
    .option('--timeout <duration>', 'give up after this long (90s, 15m, 1h): exit 124', positiveDuration)
    .action(cli.action((ref: string, opts: WaitOptions) => wait(ref, opts, cli)));
}

function phaseOption(value: string): Phase {
  if (!(phases as readonly string[]).includes(value))
    throw new InvalidArgumentError(`expected one of ${phases.join(', ')}`);
  return value as Phase;
}

export async function wait(
  ref: string,
  opts: WaitOptions,
  cli: Pick<Cli, 'print' | 'progress'>,
): Promise<Reply<WaitOutcome>> {
  const outcome = await SwitchyardClient.using(loadConfig().temporal, async (client) => {
    const handle = await client.find(ref);
    const deadline = opts.timeout === undefined ? undefined : Date.now() + opts.timeout;
    return client.watch(handle, (s, steps) => printSteps(cli, opts.output, s.deploymentId, steps), {
      phase: opts.for,
      deadline,
    });
  });
  const { result, status } = outcome;
  const deploymentId = result?.deploymentId ?? status?.deploymentId ?? ref;
  if (outcome.timedOut)
    throw new UserError(
      `deployment ${deploymentId} is ${status?.phase ?? 'not readable'} after ${formatDuration(opts.timeout!)}, ` +
        `not ${opts.for ?? 'ended'} (wait --timeout)`,
      ExitCode.timedOut,
    );
  const waited: WaitOutcome = {
    deploymentId,
    phase: result?.phase ?? status!.phase,
    ...(result?.reason ? { reason: result.reason } : {}),
    waitedFor: opts.for ?? 'end',
  };
  return {
    data: waited,
    format: opts.output,
    text: () => (result ? formatResult(result) : `deployment ${deploymentId}: ${waited.phase}`),
    // The phase waited for reached (an end too: --for rolled_back), else an ended deployment answers by its end.
    exitCode: !result || result.phase === opts.for ? ExitCode.ok : exitCodeOf(result),
  };
}
