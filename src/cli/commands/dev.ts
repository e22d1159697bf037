// `switchyard dev`: the whole thing on loopback — Temporal dev server + web UI, moto, and a worker —
// until Ctrl-C, which stops the worker first and then every process this command started.
import type { Command } from 'commander';
import type { SwitchyardClient } from '../../client/switchyard-client';
import { loadConfig, loadTelemetryConfig } from '../../config';
import { installRuntime } from '../../telemetry/runtime';
import { demoAccount, emulatorCredentials } from '../../dev/demo';
import { assertPortFree } from '../../dev/processes';
import { runDemoDeployments } from '../../dev/demo-run';
import { startDevStack, type DevStackOptions } from '../../dev/stack';
import { createWorker } from '../../worker';
import type { Cli } from '../command';
import { port } from '../options';
import { formatPreflight, workflowUrl } from '../output';

export interface DevOptions extends Omit<DevStackOptions, 'progress'> {
  demo: boolean;
}

const stopSignals = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

export function registerDev(program: Command, cli: Cli): void {
  program
    .command('dev')
    .description('start the embedded stack: Temporal dev server + web UI, AWS emulator (moto) and a worker')
    .option('--temporal-port <port>', 'Temporal frontend port', port, 7233)
    .option('--ui-port <port>', 'Temporal web UI port', port, 8233)
    .option('--aws-port <port>', 'AWS emulator port', port, 5000)
    .option('--state-dir <dir>', 'where the Temporal SQLite file and logs live (default .switchyard/state)')
    .option('--demo', 'also run the demo against the seeded account', false)
    .action(
      cli.action(async (opts: Omit<DevOptions, 'namespace' | 'taskQueue'>) => {
        // The stack's own Temporal and AWS, whatever the environment points at; its namespace and task queue.
        const env = loadConfig({ ...process.env, AWS_ENDPOINT_URL: undefined }, { embeddedTemporal: true });
        await runDev({ ...opts, namespace: env.temporal.namespace, taskQueue: env.temporal.taskQueue }, cli.print);
      }),
    );
}

export async function runDev(opts: DevOptions, print: (line: string) => void): Promise<void> {
  // We stop the worker ourselves, before the servers it talks to.
  installRuntime(loadTelemetryConfig(process.env, 'WARN'), { shutdownSignals: [] });
  await assertPortFree(opts.temporalPort, '--temporal-port');
  await assertPortFree(opts.uiPort, '--ui-port');
  await assertPortFree(opts.awsPort, '--aws-port');

  const stack = await startDevStack({ ...opts, progress: print });
  let parts: Awaited<ReturnType<typeof createWorker>> | undefined;
  try {
    print('bundling workflows and starting the worker');
    parts = await createWorker(stack.config, { credentials: emulatorCredentials });
    const running = parts.worker.run();
    const { temporal, aws } = stack.config;
    print('');
    print(`Temporal web UI   ${stack.uiUrl}`);
    print(`Temporal          ${temporal.address} (namespace ${temporal.namespace}, task queue ${temporal.taskQueue})`);
    print(`AWS emulator      ${aws.endpoint} (region ${aws.region})`);
    print(`State and logs    ${stack.stateDir}`);
    print(
      `Other terminals:  export TEMPORAL_ADDRESS=${temporal.address} AWS_ENDPOINT_URL=${aws.endpoint} AWS_REGION=${aws.region}`,
    );
    print('Press Ctrl-C to stop everything.');

    if (opts.demo) await runDemo(stack.client, stack.uiUrl!, print); // dev is never headless

    const signal = await Promise.race([
      new Promise<string>((resolve) => stopSignals.forEach((s) => process.once(s, () => resolve(s)))),
      running.then(() => 'worker stopped'),
    ]);
    print(`\n${signal}: stopping the worker, Temporal and moto (again to force)`);
    stopSignals.forEach((s) => process.once(s, () => process.exit(130)));
    if (parts.worker.getState() === 'RUNNING') parts.worker.shutdown();
    await running;
  } finally {
    await parts?.connection.close().catch(() => undefined);
    await stack.stop();
  }
  print('stopped');
}

/** The demo, over the stack's client: a preflight, then the demo deployments. */
async function runDemo(client: SwitchyardClient, uiUrl: string, print: (line: string) => void): Promise<void> {
  print('\ndemo: running a preflight of the seeded account through Temporal');
  const { workflowId, report } = await client.preflight(demoAccount);
  print(formatPreflight(report));
  print(`demo: preflight in the web UI: ${workflowUrl(uiUrl, client.config.namespace, workflowId)}`);
  await runDemoDeployments(client, uiUrl, print);
}
