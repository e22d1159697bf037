// `switchyard tests-passed|tests-failed|approve|rollback|pause|resume|promote <deployment> [--by NAME] [--reason TEXT]`:
// one command per message a deployment answers.
import type { Command } from 'commander';
import type { MessageName } from '../../client/steer';
import { SwitchyardClient } from '../../client/switchyard-client';
import { loadConfig } from '../../config';
import type { Cli, Reply } from '../command';
import { defaultActor, deploymentRef } from '../options';

const descriptions: [MessageName, string][] = [
  ['tests-passed', 'tell a deployment its tests passed'],
  ['tests-failed', 'tell a deployment its tests failed (it rolls back)'],
  ['approve', 'approve a deployment waiting for approval'],
  ['rollback', 'roll a deployment back (production returns to the previous deployment first)'],
  ['pause', 'hold progressive traffic at its current weight (the bake interval in progress starts again after resume)'],
  ['resume', 'go on after a pause (also ends an indefinite pause step)'],
  [
    'promote',
    'skip the remaining traffic steps and the bake: 100% now, then the drain (rollback stays instant during it)',
  ],
];

export function registerMessages(program: Command, cli: Cli): void {
  for (const [name, what] of descriptions) {
    program
      .command(name)
      .description(what)
      .argument('<deployment>', 'deployment id, or service[/environment] for its latest deployment', deploymentRef)
      .option('--by <name>', 'who sends it (recorded)', defaultActor())
      .option('--reason <text>', 'why (recorded)')
      .action(cli.action((ref: string, opts: { by: string; reason?: string }) => send(name, ref, opts)));
  }
}

export async function send(
  name: MessageName,
  ref: string,
  opts: { by: string; reason?: string },
): Promise<Reply<{ sent: MessageName; to: string }>> {
  const message = { by: opts.by, reason: opts.reason };
  await SwitchyardClient.using(loadConfig().temporal, async (client) =>
    client.send(await client.find(ref), name, message),
  );
  return { data: { sent: name, to: ref }, text: () => `${name} sent to ${ref}` };
}
