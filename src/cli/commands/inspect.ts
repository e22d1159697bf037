// `switchyard status <deployment-id | service>` and `switchyard list`.
import type { Command } from 'commander';
import type { DeploymentReport, DeploymentRow } from '../../client/inspect';
import { SwitchyardClient } from '../../client/switchyard-client';
import { loadConfig } from '../../config';
import type { DeploymentResult } from '../../shared/deployment';
import { exitCodeOf, type Cli, type Reply } from '../command';
import { deploymentRef, positiveInteger, withOutput, type OutputFormat } from '../options';
import { formatLive, formatResult, formatStatus, formatTable, printSteps } from '../output';

export function registerStatus(program: Command, cli: Cli): void {
  withOutput(program.command('status'))
    .description(
      'phase, resources and steps of a deployment (by id) or of the latest deployment of a service (web or web/prod)',
    )
    .argument('<deployment>', 'deployment id, or service[/environment]', deploymentRef)
    .option(
      '-w, --watch',
      'follow it until it ends: on a terminal one view, redrawn as it changes; otherwise one line per step (exit as wait: 0 active, 2 rolled back, 1 failed)',
      false,
    )
    .action(
      cli.action(
        (ref: string, opts: StatusOptions): Promise<Reply<DeploymentReport | DeploymentResult>> =>
          opts.watch ? watch(ref, opts, cli) : status(ref, opts),
      ),
    );
}

export function registerList(program: Command, cli: Cli): void {
  withOutput(program.command('list'))
    .description('recent deployments, newest first')
    .option('--limit <n>', 'how many', positiveInteger, 20)
    .action(cli.action(list));
}

interface StatusOptions {
  output: OutputFormat;
  watch: boolean;
}

export async function status(ref: string, opts: { output: OutputFormat }): Promise<Reply<DeploymentReport>> {
  const report = await SwitchyardClient.using(loadConfig().temporal, async (client) =>
    client.inspect(await client.find(ref)),
  );
  return { data: report, format: opts.output, text: formatStatus };
}

export async function list(opts: { limit: number; output: OutputFormat }): Promise<Reply<DeploymentRow[]>> {
  const rows = await SwitchyardClient.using(loadConfig().temporal, (client) => client.list(opts.limit));
  return { data: rows, format: opts.output, text: (r) => formatTable(r.map((row) => ({ ...row }))) };
}

/** Clears the terminal and puts the cursor at its top left, before each redraw. */
const redraw = '\x1b[H\x1b[2J';

/** `status --watch`: the deployment followed to its end, live on a terminal, as lines otherwise. */
async function watch(
  ref: string,
  opts: StatusOptions,
  cli: Pick<Cli, 'print' | 'progress'>,
): Promise<Reply<DeploymentResult>> {
  const live = process.stdout.isTTY === true && opts.output === 'text';
  let shown = '';
  const watched = await SwitchyardClient.using(loadConfig().temporal, async (client) =>
    client.watch(
      await client.find(ref),
      (s, steps) => {
        if (!live) printSteps(cli, opts.output, s.deploymentId, steps);
      },
      {
        onStatus: (s) => {
          const view = formatLive(s);
          if (!live || view === shown) return;
          shown = view;
          cli.print(`${redraw}${view}`);
        },
      },
    ),
  );
  const result = watched.result!;
  return { data: result, format: opts.output, text: formatResult, exitCode: exitCodeOf(result) };
}
