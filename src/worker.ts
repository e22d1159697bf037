// The worker: the only process that builds AWS SDK clients and runs activities.
import { ListClustersCommand } from '@aws-sdk/client-ecs';
import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { createActivities } from './activities';
import { createAwsClients, type AwsClientOptions, type AwsClients } from './aws/clients';
import { connectionOptions, temporalUnreachable, type Config, type TemporalConfig } from './config';
import { describeCause, UserError } from './shared/errors';
import { deploymentIdInLogs } from './telemetry/activity-interceptors';
import { activeTracing } from './telemetry/tracing';

export interface WorkerParts {
  worker: Worker;
  connection: NativeConnection;
  clients: AwsClients;
}

type BundleOption = Pick<WorkerOptions, 'workflowBundle' | 'workflowsPath'>;

/** Bundled with the workflows: the deployment id in every activity's headers. A prebuilt bundle must include it. */
export const workflowInterceptorModules = [require.resolve('./workflows/interceptors')];

/** Workflows from a prebuilt bundle when given (tests bundle once), else bundled from source at start. */
function workflowSource(bundlePath?: string): BundleOption & Pick<WorkerOptions, 'interceptors'> {
  return bundlePath
    ? { workflowBundle: { codePath: bundlePath }, interceptors: { activity: [deploymentIdInLogs] } }
    : {
        workflowsPath: require.resolve('./workflows'),
        interceptors: { activity: [deploymentIdInLogs], workflowModules: workflowInterceptorModules },
      };
}

export async function connectWorkerToTemporal(temporal: TemporalConfig): Promise<NativeConnection> {
  try {
    return await NativeConnection.connect(connectionOptions(temporal));
  } catch (err) {
    throw temporalUnreachable(temporal, err);
  }
}

/** One cheap read so a wrong endpoint, region or credentials fails at start, not in the middle of a deployment. */
export async function checkAwsReachable(clients: AwsClients, aws: AwsClientOptions): Promise<void> {
  try {
    await clients.ecs.send(new ListClustersCommand({ maxResults: 1 }), { abortSignal: AbortSignal.timeout(10_000) });
  } catch (err) {
    const where = aws.endpoint ? `AWS endpoint ${aws.endpoint}` : `AWS in region ${aws.region ?? '(none set)'}`;
    const hint = aws.endpoint
      ? 'Check AWS_ENDPOINT_URL, or unset it to use AWS itself.'
      : 'Check AWS_REGION and your AWS credentials (aws sts get-caller-identity).';
    throw new UserError(`cannot use ${where} (${describeCause(err)}). ${hint}`);
  }
}

export async function createWorker(
  config: Config,
  options: { credentials?: AwsClientOptions['credentials']; workflowBundlePath?: string } = {},
): Promise<WorkerParts> {
  const aws = { ...config.aws, credentials: options.credentials };
  const clients = createAwsClients(aws);
  await checkAwsReachable(clients, aws);
  const connection = await connectWorkerToTemporal(config.temporal);
  const worker = await Worker.create({
    connection,
    namespace: config.temporal.namespace,
    taskQueue: config.temporal.taskQueue,
    activities: createActivities(clients, { roleBoundary: config.aws.roleBoundary }),
    ...workflowSource(options.workflowBundlePath),
    // With tracing on: the SDK's OpenTelemetry interceptors (src/telemetry/tracing.ts).
    plugins: activeTracing()?.workerPlugins ?? [],
  });
  return { worker, connection, clients };
}
