// `switchyard worker`: a worker for the configured Temporal and AWS (environment variables, Temporal profiles).
// Temporal's runtime stops it gracefully on SIGINT/SIGTERM.
import type { Command } from 'commander';
import { describeTemporal, loadConfig, loadTelemetryConfig, type Config } from '../../config';
import { installRuntime } from '../../telemetry/runtime';
import { destroyAwsClients } from '../../aws/clients';
import { createWorker } from '../../worker';
import type { Cli } from '../command';

export function registerWorker(program: Command, cli: Cli): void {
  program
    .command('worker')
    .description(
      'run a worker for the configured Temporal (TEMPORAL_*, profiles) and AWS (AWS_REGION, AWS_ENDPOINT_URL)',
    )
    .addHelpText(
      'after',
      '\nSWITCHYARD_LOG_LEVEL (trace|debug|info|warn|error, default info), SWITCHYARD_LOG_FORMAT (text|json) and\n' +
        'SWITCHYARD_METRICS_ADDRESS (host:port: Prometheus metrics on /metrics, off by default) shape its telemetry.',
    )
    .action(
      cli.action(async () => {
        const config = loadConfig();
        installRuntime(loadTelemetryConfig());
        await runWorker(config, cli.print);
      }),
    );
}

export async function runWorker(config: Config, print: (line: string) => void): Promise<void> {
  const { worker, connection, clients } = await createWorker(config);
  const aws = config.aws.endpoint ?? `AWS region ${config.aws.region ?? '(from the AWS config)'}`;
  print(
    `worker polling task queue "${config.temporal.taskQueue}" on ${describeTemporal(config.temporal)}; AWS: ${aws}`,
  );
  try {
    await worker.run();
  } finally {
    await connection.close();
    destroyAwsClients(clients);
  }
}
