// `switchyard setup`: prepares a Temporal namespace (a real cluster, or docker-compose.temporal.yml)
// for Switchyard by registering its search attributes. Safe to run again. (`switchyard init` without an
// argument did this until it came to mean "a spec from a live service"; it still does, with a warning.)
import type { Command } from 'commander';
import { SwitchyardClient } from '../../client/switchyard-client';
import { loadConfig } from '../../config';
import type { Cli, Reply } from '../command';
import { withOutput, type OutputFormat } from '../options';
import { formatInit } from '../output';

export function registerSetup(program: Command, cli: Cli): void {
  withOutput(program.command('setup'))
    .description("register Switchyard's search attributes on TEMPORAL_ADDRESS / TEMPORAL_NAMESPACE (idempotent)")
    .action(cli.action(setup));
}

export async function setup(opts: { output: OutputFormat }): Promise<Reply<{ added: string[]; present: string[] }>> {
  const { temporal } = loadConfig();
  const registered = await SwitchyardClient.using(temporal, (client) => client.registerSearchAttributes());
  return { data: registered, format: opts.output, text: (r) => formatInit(r, temporal) };
}
