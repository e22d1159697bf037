// Chaos: the Temporal dev server (SQLite file) is stopped and started again in the middle of
// deployments, once while one waits for its tests, once while one bakes at 10%; the worker and the
// client reconnect, and the deployments resume and finish with no leak and no unsafe traffic moment.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createActivities } from '../../src/activities';
import { destroyAwsClients } from '../../src/aws/clients';
import { deploymentResult, type DeploymentHandle } from '../../src/client/handle';
import { SwitchyardClient } from '../../src/client/switchyard-client';
import { demoAccount, emulatorCredentials } from '../../src/dev/demo';
import { freePort } from '../../src/dev/processes';
import { seedAccount, type AccountClients } from '../../src/dev/seed';
import { startTemporalDevServer, type TemporalDevServer } from '../../src/dev/temporal-dev-server';
import { readToolPaths } from '../../src/dev/tools';
import type { DeploymentStatus } from '../../src/shared/deployment';
import { statusQuery, testsPassedSignal } from '../../src/workflows/messages';
import { chaosSpec, expectHealthyHistories } from '../support/chaos';
import { cleanEnv, startCli, type LongRunningCli } from '../support/cli';
import { findLeaks } from '../support/leak-checker';
import { atAwsPace, observerClientsOnMoto, resetAws, servers, testRegion } from '../support/servers';
import { watchTrafficSafety } from '../support/traffic-invariant';

const service = `sr${Date.now().toString(36).slice(-6)}`;
const environment = 'test';
const hosts = { production: `${service}.switchyard.test`, stage: `stage.${service}.switchyard.test` };

describe('chaos: Temporal server restarts in the middle of deployments', () => {
  let dir: string;
  let port: number;
  let server: TemporalDevServer;
  let worker: LongRunningCli;
  let client: SwitchyardClient;
  let clients: AccountClients;
  let listenerArn: string;
  let zoneId: string;
  const temporal = () => ({ address: `127.0.0.1:${port}`, namespace: 'default', taskQueue: 'chaos-restart' });

  const startServer = async () => {
    server = await startTemporalDevServer({
      cli: readToolPaths().temporal,
      port,
      uiPort: 0,
      headless: true,
      dbFile: path.join(dir, 'temporal.db'),
      logFile: path.join(dir, 'temporal.log'),
    });
  };

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchyard-restart-'));
    port = await freePort();
    await startServer();
    client = await SwitchyardClient.connect(temporal());
    await client.registerSearchAttributes();
    await resetAws();
    clients = observerClientsOnMoto();
    await seedAccount(clients, demoAccount);
    const aws = createActivities(clients);
    listenerArn = await aws.ensureListener({
      loadBalancerArn: (await aws.findLoadBalancer({ loadBalancer: demoAccount.loadBalancer }))!.arn,
      port: 80,
    });
    zoneId = (await aws.findHostedZone({ name: demoAccount.hostedZone }))!.id;
    worker = startCli(
      ['worker'],
      cleanEnv({
        TEMPORAL_ADDRESS: temporal().address,
        SWITCHYARD_TASK_QUEUE: temporal().taskQueue,
        AWS_ENDPOINT_URL: servers.awsEndpoint,
        AWS_REGION: testRegion,
        AWS_ACCESS_KEY_ID: emulatorCredentials.accessKeyId,
        AWS_SECRET_ACCESS_KEY: emulatorCredentials.secretAccessKey,
      }),
    );
    await worker.waitForOutput(/worker polling task queue/);
  });

  afterAll(async () => {
    worker?.child.kill('SIGINT');
    await worker?.exited;
    await client?.close();
    await server?.process.stop();
    destroyAwsClients(clients);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const spec = chaosSpec(service, { bakeMs: 8_000 });

  async function until(handle: DeploymentHandle, what: string, check: (s: DeploymentStatus) => boolean): Promise<void> {
    for (let i = 0; i < 600; i++) {
      const status = await handle.query(statusQuery).catch(() => undefined);
      if (status && check(status)) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`never saw ${what}`);
  }

  async function restartServer(): Promise<void> {
    await server.process.stop();
    await new Promise((r) => setTimeout(r, 2_000));
    await startServer();
  }

  it.each([
    ['while waiting for its tests', 'awaiting_tests', (s: DeploymentStatus) => s.phase === 'awaiting_tests'],
    ['while baking at 10%', '10% bake', (s: DeploymentStatus) => s.traffic?.percent === 10],
  ])(
    'a deployment interrupted %s resumes and goes live',
    async (_name, what, at) => {
      const watch = watchTrafficSafety(
        clients,
        { service, environment, cluster: demoAccount.cluster, listenerArn, productionHost: hosts.production },
        100,
      );
      const { deploymentId, handle } = await client.start({ ...spec, image: `nginx:${Date.now() % 1000}` }, 'chaos');
      const passTests = async () => {
        await until(handle, 'awaiting_tests', (s) => s.phase === 'awaiting_tests');
        await handle.signal(testsPassedSignal, { by: 'chaos' });
      };
      if (what !== 'awaiting_tests') await passTests();
      await until(handle, what, at);
      await restartServer();
      if (what === 'awaiting_tests') await passTests();
      const result = await deploymentResult(handle);
      expect(result).toMatchObject({ phase: 'active', leftovers: [] });
      await expectHealthyHistories(client.temporal, [handle]);
      expect(
        await findLeaks(clients, {
          service,
          environment,
          cluster: demoAccount.cluster,
          listenerArn,
          zoneId,
          hosts,
          live: deploymentId,
        }),
      ).toEqual([]);
      expect((await watch.stop()).violations).toEqual([]);
    },
    atAwsPace(5 * 60_000),
  );
});
