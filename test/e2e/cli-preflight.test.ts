// End to end: the CLI starts the preflight workflow on the real dev server; a real worker process runs
// it against moto. Also the one-line errors a user gets for a bad configuration.
import { destroyAwsClients } from '../../src/aws/clients';
import { demoAccount, emulatorCredentials } from '../../src/dev/demo';
import { createAccountClients, seedAccount } from '../../src/dev/seed';
import { cleanEnv, runCli, startCli, type LongRunningCli } from '../support/cli';
import { freePort } from '../../src/dev/processes';
import { resetAws, servers, testRegion, uniqueTaskQueue } from '../support/servers';

const preflightArgs = [
  'preflight',
  '--cluster',
  demoAccount.cluster,
  '--load-balancer',
  demoAccount.loadBalancer,
  '--listener-port',
  '80',
  '--hosted-zone',
  demoAccount.hostedZone,
];

describe('switchyard preflight through Temporal and a worker', () => {
  const taskQueue = uniqueTaskQueue('cli');
  let env: NodeJS.ProcessEnv;
  let worker: LongRunningCli;

  beforeAll(async () => {
    await resetAws();
    env = cleanEnv({
      TEMPORAL_ADDRESS: servers.temporalAddress,
      SWITCHYARD_TASK_QUEUE: taskQueue,
      AWS_ENDPOINT_URL: servers.awsEndpoint,
      AWS_REGION: testRegion,
      AWS_ACCESS_KEY_ID: emulatorCredentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: emulatorCredentials.secretAccessKey,
    });
    worker = startCli(['worker'], env);
    await worker.waitForOutput(/worker polling task queue/);
  });

  afterAll(async () => {
    worker?.child.kill('SIGINT');
    expect(await worker?.exited).toBe(0);
  });

  it('reports every missing resource and exits 1 on an empty account', async () => {
    const result = await runCli([...preflightArgs, '--json'], env);
    expect(result.code).toBe(1);
    const report = JSON.parse(result.stdout);
    expect(report.ok).toBe(false);
    expect(report.checks.map((c: { resource: string; ok: boolean }) => `${c.resource}:${c.ok}`)).toEqual([
      'cluster:false',
      'loadBalancer:false',
      'listener:false',
      'hostedZone:false',
    ]);
  });

  it('passes and exits 0 once the account has the cluster, load balancer, listener and zone', async () => {
    const clients = createAccountClients({
      region: testRegion,
      endpoint: servers.awsEndpoint,
      credentials: emulatorCredentials,
    });
    try {
      await seedAccount(clients, demoAccount);
    } finally {
      destroyAwsClients(clients);
    }
    const result = await runCli(preflightArgs, env);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^ok +cluster switchyard-demo +status ACTIVE$/m);
    expect(result.stdout).toMatch(/^ok +listener port 80 +listeners on 80$/m);
    expect(result.stdout).toMatch(/^preflight passed$/m);
  });

  it('refuses bad input before contacting anything', async () => {
    const result = await runCli([...preflightArgs.slice(0, 5), '--listener-port', '99999', '--hosted-zone', 'x'], env);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe('switchyard: --listener-port must be 1-65535\n');
  });

  it('says so when no worker polls the task queue, instead of waiting forever', async () => {
    const result = await runCli(preflightArgs, { ...env, SWITCHYARD_TASK_QUEUE: uniqueTaskQueue('nobody') });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /^switchyard: no Switchyard worker is polling task queue "test-nobody-[^"]+" on 127\.0\.0\.1:\d+\. Start one with/,
    );
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
  });
});

describe('a bad configuration gets one clear line', () => {
  it('unreachable Temporal address', async () => {
    const address = `127.0.0.1:${await freePort()}`;
    const result = await runCli(preflightArgs, cleanEnv({ TEMPORAL_ADDRESS: address }));
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      new RegExp(
        `^switchyard: cannot reach Temporal at ${address} \\(.+\\)\\. Start the embedded stack with \`npm run dev\`, or set TEMPORAL_ADDRESS`,
      ),
    );
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('malformed Temporal address', async () => {
    const result = await runCli(preflightArgs, cleanEnv({ TEMPORAL_ADDRESS: 'http://temporal' }));
    expect(result).toMatchObject({
      code: 1,
      stderr: 'switchyard: TEMPORAL_ADDRESS="http://temporal" is not valid: expected host:port, e.g. 127.0.0.1:7233.\n',
    });
  });

  it('AWS endpoint where nothing listens: the worker refuses to start', async () => {
    const endpoint = `http://127.0.0.1:${await freePort()}`;
    const result = await runCli(
      ['worker'],
      cleanEnv({
        TEMPORAL_ADDRESS: servers.temporalAddress,
        AWS_ENDPOINT_URL: endpoint,
        AWS_REGION: testRegion,
        AWS_ACCESS_KEY_ID: 'x',
        AWS_SECRET_ACCESS_KEY: 'x',
      }),
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      `switchyard: cannot use AWS endpoint ${endpoint} (ECONNREFUSED). Check AWS_ENDPOINT_URL, or unset it to use AWS itself.\n`,
    );
  });
});
