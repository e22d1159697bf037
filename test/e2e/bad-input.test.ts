// The bad-input corpus: malformed and dangerous specs and CLI invocations, each run through the real
// CLI. Every one gets one clear message naming the problem, and none changes anything in AWS (the
// behaviour proxy counts every call: no create, modify, register or delete reaches it).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import { createActivities } from '../../src/activities';
import { destroyAwsClients } from '../../src/aws/clients';
import { demoAccount } from '../../src/dev/demo';
import { seedAccount, type AccountClients } from '../../src/dev/seed';
import { runCli } from '../support/cli';
import { startE2eWorker, type E2eWorker } from '../support/e2e-worker';
import { findLeaks } from '../support/leak-checker';
import { atAwsPace, observerClientsOnMoto, resetAws, servers } from '../support/servers';
import { specs, valid } from '../support/bad-specs';

const invocations: [string, string[], string][] = [
  [
    'wait for a phase there is not',
    ['wait', 'abc12345', '--for', 'done'],
    "error: option '--for <phase>' argument 'done' is invalid. expected one of pending, staging, awaiting_tests",
  ],
  ['wait with a timeout of nothing', ['wait', 'abc12345', '--timeout', '0s'], 'expected a duration above zero'],
  [
    'deploy without a spec or a service',
    ['deploy'],
    'switchyard deploy: expected -f <spec>, or --cluster and --service (with --image, or --force-new-deployment) to roll a service without one',
  ],
  [
    'an image flag that is no image reference',
    ['deploy', '-f', '<valid>', '--image', "''"],
    `--image: expected a container image reference`,
  ],
  ['status of something that is neither id nor service', ['status', 'Bad!'], '"Bad!" is neither a deployment id'],
  [
    'a service reference with a third part',
    ['approve', 'web/prod/extra'],
    '"web/prod/extra" is neither a deployment id',
  ],
  ['a limit that is not a number', ['list', '--limit', 'abc'], 'expected a whole number of 1 or more'],
  ['a port out of range', ['dev', '--ui-port', '99999'], 'expected a port number 1-65535'],
  ['an unknown command', ['frobnicate'], "error: unknown command 'frobnicate'"],
  [
    'a message whose answer may wait no time',
    ['approve', 'abc12345', '--timeout', 'soon'],
    'expected a duration above zero',
  ],
  ['validate without a spec', ['validate'], "error: required option '-f, --file <spec>' not specified"],
];

describe('bad input corpus', () => {
  let dir: string;
  let worker: E2eWorker;
  let clients: AccountClients;
  let counter = 0;

  beforeAll(async () => {
    await resetAws();
    clients = observerClientsOnMoto();
    await seedAccount(clients, demoAccount);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchyard-bad-'));
    worker = await startE2eWorker('bad-input');
  });
  afterAll(async () => {
    await worker?.stop();
    destroyAwsClients(clients);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  function write(doc: unknown): string {
    const file = path.join(dir, `spec-${++counter}.yaml`);
    fs.writeFileSync(file, typeof doc === 'string' || Buffer.isBuffer(doc) ? doc : stringify(doc));
    return file;
  }

  async function changesInAws(): Promise<string[]> {
    const { calls } = await servers.emulator.stats();
    // Reads: Describe*, List*, Get* (the proxy names Route 53's REST calls by their API names too).
    return Object.keys(calls).filter((op) => !/\.(Describe|List|Get)/.test(op));
  }

  it.each(specs)('a spec with %s: one message naming it, exit 1, nothing sent to AWS', async (_name, doc, message) => {
    const file = write(doc);
    const result = await runCli(['deploy', '-f', file], worker.env);
    expect(result.code).toBe(1);
    expect(result.stderr.startsWith(`switchyard: ${file}`) || result.stderr.startsWith('switchyard: spec file')).toBe(
      true,
    );
    expect(result.stderr).toContain(message);
    expect(await changesInAws()).toEqual([]);
  });

  // Offline: nothing answers at these addresses, and validate needs nothing to.
  const offline = { ...process.env, TEMPORAL_ADDRESS: '127.0.0.1:9', AWS_ENDPOINT_URL: 'http://127.0.0.1:9' };

  it.each(specs)(
    'validate refuses a spec with %s offline, with the message deploy gives',
    async (_name, doc, message) => {
      const result = await runCli(['validate', '-f', write(doc)], offline);
      expect(result.code).toBe(1);
      expect(result.stderr).toContain(message);
    },
  );

  it('validate lists every problem of a spec at once, with its field (JSON for editors and CI), offline', async () => {
    const file = write({ ...valid, desiredCount: 0, drain: 'soon', hosts: { production: 'web.other.test' } });
    const result = await runCli(['validate', '-f', file, '--json'], offline);
    expect(result.code).toBe(1);
    expect(JSON.parse(result.stdout)).toEqual({
      file,
      valid: false,
      problems: [
        expect.stringMatching(/^desiredCount: /),
        expect.stringMatching(/^hosts\.stage: /),
        expect.stringMatching(/^drain: /),
      ],
    });
    const ok = await runCli(['validate', '-f', write(valid)], offline);
    expect(ok).toMatchObject({ code: 0, stderr: '' });
    expect(ok.stdout).toMatch(/: valid blue\/green deployment of web\/prod on cluster /);
  });

  it('--version names the release, the Temporal SDK and Node, offline', async () => {
    const manifest = JSON.parse(fs.readFileSync(path.resolve(__dirname, '..', '..', 'package.json'), 'utf8'));
    expect(await runCli(['--version'], offline)).toEqual({
      code: 0,
      stdout: `switchyard ${manifest.version} (Temporal TypeScript SDK ${manifest.dependencies['@temporalio/client']}, Node ${process.version})\n`,
      stderr: '',
    });
  });

  it.each(invocations)('%s: one message, exit 1, nothing sent to AWS', async (_name, args, message) => {
    const result = await runCli(
      args.map((a) => (a === '<valid>' ? write(valid) : a)),
      worker.env,
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(message);
    expect(await changesInAws()).toEqual([]);
  });

  it.each([
    ['an unknown cluster', { ...valid, cluster: 'nosuch' }, 'cluster nosuch (not found)'],
    ['an unknown load balancer', { ...valid, loadBalancer: { name: 'nosuch' } }, 'loadBalancer nosuch (not found)'],
    [
      'an unknown hosted zone',
      { ...valid, hostedZone: 'nosuch.test', hosts: { production: 'web.nosuch.test', stage: 'stage.web.nosuch.test' } },
      'hostedZone nosuch.test (not found)',
    ],
    [
      'an alarm that does not exist',
      { ...valid, traffic: 'canary10Percent5Minutes', analysis: { alarms: ['nosuch-5xx'] } },
      'alarm nosuch-5xx (not found)',
    ],
    [
      'a capacity provider the cluster does not have',
      {
        ...valid,
        taskDefinition: { containerDefinitions: [{ name: 'web', image: 'nginx:1', memory: 128 }] },
        capacityProviderStrategy: [{ capacityProvider: 'asg-main' }],
      },
      'capacityProvider asg-main (cluster has FARGATE, FARGATE_SPOT)',
    ],
  ])('%s: refused before the deployment starts, exit 1, nothing sent to AWS', async (_name, doc, message) => {
    const result = await runCli(['deploy', '-f', write(doc), '--wait'], worker.env);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`switchyard: refusing to start web/prod, missing: ${message}`);
    expect(result.stdout).toBe('');
    expect(await changesInAws()).toEqual([]);
  });

  it(
    'refuses to take over a host another Switchyard service serves, leaving both as they were',
    async () => {
      const aws = createActivities(clients);
      const other = write({
        ...valid,
        service: 'shop',
        hosts: { production: 'shop.switchyard.test', stage: 'stage.shop.switchyard.test' },
      });
      const deploy = runCli(['deploy', '-f', other, '--wait'], worker.env, 90_000);
      const id = await awaitingTests('shop/prod');
      await runCli(['tests-passed', id], worker.env);
      expect((await deploy).code).toBe(0);

      const thief = write({
        ...valid,
        hosts: { production: 'shop.switchyard.test', stage: 'stage.web.switchyard.test' },
      });
      const result = await runCli(['deploy', '-f', thief, '--wait'], worker.env);
      expect(result.code).toBe(1);
      expect(result.stdout).toContain(
        `failed (invalid input: shop.switchyard.test is served by shop/prod (deployment ${id}); refusing to take it over: choose another hosts.production`,
      );
      const listenerArn = await aws.ensureListener({
        loadBalancerArn: (await aws.findLoadBalancer({ loadBalancer: demoAccount.loadBalancer }))!.arn,
        port: 80,
      });
      const zoneId = (await aws.findHostedZone({ name: demoAccount.hostedZone }))!.id;
      const scope = { cluster: demoAccount.cluster, listenerArn, zoneId, environment: 'prod' };
      expect(
        await findLeaks(clients, {
          ...scope,
          service: 'shop',
          hosts: { production: 'shop.switchyard.test', stage: 'stage.shop.switchyard.test' },
          live: id,
        }),
      ).toEqual([]);
      expect(await findLeaks(clients, { ...scope, service: 'web', hosts: valid.hosts })).toEqual([]);
    },
    atAwsPace(120_000),
  );

  /** The id of the service's deployment once it waits for its tests (asked through `switchyard status`). */
  async function awaitingTests(ref: string): Promise<string> {
    for (let i = 0; i < 100; i++) {
      const found = await runCli(['status', ref, '--json'], worker.env);
      const status = found.code === 0 ? JSON.parse(found.stdout) : undefined;
      if (status?.phase === 'awaiting_tests') return status.deploymentId;
      await new Promise((r) => setTimeout(r, 500));
    }
    throw new Error(`${ref} never reached awaiting_tests`);
  }
});
