// `switchyard init`: prepares a Temporal namespace (a real cluster, or docker-compose.temporal.yml)
// for Switchyard by registering its search attributes. Safe to run again.
import type { Command } from 'commander';
import { SwitchyardClient } from '../../client/switchyard-client';
import { loadConfig } from '../../config';
import type { Cli, Reply } from '../command';
import { formatInit } from '../output';

export function registerInit(program: Command, cli: Cli): void {
  program
    .command('init')
    .description("register Switchyard's search attributes on TEMPORAL_ADDRESS / TEMPORAL_NAMESPACE (idempotent)")
    .action(cli.action(init));
}

export async function init(): Promise<Reply<{ added: string[]; present: string[] }>> {
  const { temporal } = loadConfig();
  const registered = await SwitchyardClient.using(temporal, (client) => client.registerSearchAttributes());
  return { data: registered, text: (r) => formatInit(r, temporal) };
}
