// `switchyard status <deployment-id | service>` and `switchyard list`.
import type { Command } from 'commander';
import type { DeploymentReport, DeploymentRow } from '../../client/inspect';
import { SwitchyardClient } from '../../client/switchyard-client';
import { loadConfig } from '../../config';
import type { Cli, Reply } from '../command';
import { deploymentRef, positiveInteger } from '../options';
import { formatStatus, formatTable } from '../output';

export function registerStatus(program: Command, cli: Cli): void {
  program
    .command('status')
    .description(
      'phase, resources and steps of a deployment (by id) or of the latest deployment of a service (web or web/prod)',
    )
    .argument('<deployment>', 'deployment id, or service[/environment]', deploymentRef)
    .option('--json', 'print JSON', false)
    .action(cli.action(status));
}

export function registerList(program: Command, cli: Cli): void {
  program
    .command('list')
    .description('recent deployments, newest first')
    .option('--limit <n>', 'how many', positiveInteger, 20)
    .option('--json', 'print JSON', false)
    .action(cli.action(list));
}

export async function status(ref: string, opts: { json: boolean }): Promise<Reply<DeploymentReport>> {
  const report = await SwitchyardClient.using(loadConfig().temporal, async (client) =>
    client.inspect(await client.find(ref)),
  );
  return { data: report, json: opts.json, text: formatStatus };
}

export async function list(opts: { limit: number; json: boolean }): Promise<Reply<DeploymentRow[]>> {
  const rows = await SwitchyardClient.using(loadConfig().temporal, (client) => client.list(opts.limit));
  return { data: rows, json: opts.json, text: (r) => formatTable(r.map((row) => ({ ...row }))) };
}
