// `switchyard tests-passed|tests-failed|approve|rollback|pause|resume|promote <deployment> [--by NAME]
// [--reason TEXT] [--timeout D] [--signal]`: one command per message a deployment answers. Each returns
// once the message has taken effect (a gate opened; for rollback, production read back on the previous
// deployment, and how long that took); one that makes no sense in the deployment's phase is refused
// (exit 1). `--signal` stores it durably instead, for when no worker runs, without an answer.
import type { Command } from 'commander';
import type { MessageCommand } from '../../client/steer';
import { SwitchyardClient } from '../../client/switchyard-client';
import { loadConfig } from '../../config';
import type { MessageAnswer } from '../../shared/deployment';
import { ExitCode } from '../../shared/errors';
import type { Cli, Reply } from '../command';
import { defaultActor, deploymentRef, positiveDuration, withOutput, type OutputFormat } from '../options';

const descriptions: [MessageCommand, string][] = [
  ['tests-passed', 'tell a deployment its tests passed (returns when its tests gate has opened)'],
  ['tests-failed', 'tell a deployment its tests failed (it rolls back)'],
  ['approve', 'approve a deployment waiting for approval (returns when the gate has opened)'],
  [
    'rollback',
    'roll a deployment back: returns when production reads back on the previous deployment, with how long that took',
  ],
  ['pause', 'hold progressive traffic at its current weight (the bake interval in progress starts again after resume)'],
  ['resume', 'go on after a pause (also ends an indefinite pause step)'],
  [
    'promote',
    'skip the remaining traffic steps and the bake: 100% now, then the drain (rollback stays instant during it)',
  ],
];

interface MessageOptions {
  by: string;
  reason?: string;
  timeout?: number;
  signal: boolean;
  output: OutputFormat;
}

export interface MessageReport {
  sent: MessageCommand;
  to: string;
  /** How it went: answered (an Update), or stored as a signal. */
  as: 'update' | 'signal';
  answer?: MessageAnswer;
  /** From sending to the answer. */
  tookMs: number;
}

export function registerMessages(program: Command, cli: Cli): void {
  for (const [name, what] of descriptions) {
    withOutput(program.command(name))
      .description(what)
      .argument('<deployment>', 'deployment id, or service[/environment] for its latest deployment', deploymentRef)
      .option('--by <name>', 'who sends it (recorded)', defaultActor())
      .option('--reason <text>', 'why (recorded)')
      .option(
        '--timeout <duration>',
        'how long to wait for the answer: exit 124 after it (default 10m)',
        positiveDuration,
      )
      .option('--signal', 'send it as a durable signal, stored even while no worker runs, and do not wait', false)
      .action(cli.action((ref: string, opts: MessageOptions) => send(name, ref, opts)));
  }
}

export async function send(name: MessageCommand, ref: string, opts: MessageOptions): Promise<Reply<MessageReport>> {
  const message = { by: opts.by, reason: opts.reason };
  const sent = await SwitchyardClient.using(loadConfig().temporal, async (client) =>
    client.send(await client.find(ref), name, message, { signal: opts.signal, timeoutMs: opts.timeout }),
  );
  const report: MessageReport = { sent: name, to: ref, as: sent.answer ? 'update' : 'signal', ...sent };
  return {
    data: report,
    format: opts.output,
    text: () => describeAnswer(report),
    // A rollback that could not put everything back ended the deployment failed.
    exitCode: sent.answer?.phase === 'failed' ? ExitCode.failed : ExitCode.ok,
  };
}

function describeAnswer({ sent, to, answer, tookMs }: MessageReport): string {
  if (!answer)
    return `${sent} stored for ${to} as a signal (not answered: \`switchyard status ${to}\` shows what it did)`;
  const restore = answer.restoreMs !== undefined ? `, ${answer.restoreMs} ms after the request` : '';
  return `${sent}: ${answer.note}${restore} (answered in ${tookMs} ms)`;
}
