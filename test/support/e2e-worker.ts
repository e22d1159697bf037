// A `switchyard worker` process on its own task queue, against the run's dev server and moto behind the
// behaviour proxy, and the environment the CLI needs to reach the same.
import { emulatorCredentials } from '../../src/dev/demo';
import { cleanEnv, startCli, type LongRunningCli } from './cli';
import { servers, testRegion, uniqueTaskQueue } from './servers';

export interface E2eWorker {
  env: NodeJS.ProcessEnv;
  worker: LongRunningCli;
  stop(): Promise<void>;
}

/** `temporal` replaces TEMPORAL_ADDRESS (the dev server) with other Temporal settings: a profile, TLS. */
export async function startE2eWorker(
  label: string,
  temporal: NodeJS.ProcessEnv = { TEMPORAL_ADDRESS: servers.temporalAddress },
): Promise<E2eWorker> {
  const env = cleanEnv({
    ...temporal,
    SWITCHYARD_TASK_QUEUE: uniqueTaskQueue(label),
    AWS_ENDPOINT_URL: servers.awsEndpoint,
    AWS_REGION: testRegion,
    AWS_ACCESS_KEY_ID: emulatorCredentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: emulatorCredentials.secretAccessKey,
    SWITCHYARD_ACTOR: 'e2e',
  });
  const worker = startCli(['worker'], env);
  await worker.waitForOutput(/worker polling task queue/);
  return {
    env,
    worker,
    async stop() {
      worker.child.kill('SIGINT');
      await worker.exited;
    },
  };
}

/** The deployment id `deploy` prints on its own line once the deployment started. */
export async function deploymentIdOf(deploy: LongRunningCli): Promise<string> {
  await deploy.waitForOutput(/^[a-z0-9]{8}$/m);
  return /^([a-z0-9]{8})$/m.exec(deploy.output())![1];
}
