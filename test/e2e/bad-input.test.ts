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
import { fargate } from '../support/fargate';

const valid = {
  service: 'web',
  environment: 'prod',
  cluster: demoAccount.cluster,
  taskDefinition: { ...fargate, containerDefinitions: [{ name: 'web', image: 'nginx:1', memory: 128 }] },
  container: { name: 'web', port: 80 },
  desiredCount: 2,
  loadBalancer: { name: demoAccount.loadBalancer },
  hosts: { production: 'web.switchyard.test', stage: 'stage.web.switchyard.test' },
  hostedZone: demoAccount.hostedZone,
  timeouts: { steady: '3m', tests: '5m' },
  drain: '1s',
  // Docker Hub's nginx: not in ECR, so not pinnable.
  pinImageDigest: false,
};
const steps = (s: unknown[]) => ({ ...valid, traffic: { type: 'steps', steps: s } });
const rolling = {
  strategy: 'rolling',
  service: 'api',
  environment: 'prod',
  cluster: demoAccount.cluster,
  taskDefinition: valid.taskDefinition,
  container: { name: 'web' },
  pinImageDigest: false,
};
const bomb = [
  'a: &a ["x","x","x","x","x","x","x","x","x"]',
  ...Array.from(
    { length: 9 },
    (_, i) =>
      `l${i}: &l${i} [${Array(9)
        .fill(`*${i === 0 ? 'a' : `l${i - 1}`}`)
        .join(',')}]`,
  ),
].join('\n');

/** A spec document (object, or raw text / bytes as written) with what the CLI must say about it. */
const specs: [string, unknown, string][] = [
  ['missing service', { ...valid, service: undefined }, 'service: expected a service name'],
  ['a service name over AWS limits', { ...valid, service: 'a'.repeat(21) }, 'service: expected 1-20 lowercase letters'],
  ['an upper-case environment', { ...valid, environment: 'Prod' }, 'environment: expected 1-10 lowercase letters'],
  ['no tasks', { ...valid, desiredCount: 0 }, 'desiredCount: expected at least 1'],
  ['a count as text', { ...valid, desiredCount: 'two' }, 'desiredCount: expected a number of tasks'],
  ['a port out of range', { ...valid, container: { name: 'web', port: 70000 } }, 'container.port: expected 1-65535'],
  ['an unknown field', { ...valid, replicas: 3 }, 'unknown field(s) replicas'],
  [
    'a duration in words',
    { ...valid, drain: '5 minutes' },
    'drain: expected a duration such as "90s", "5m" or "1h", got "5 minutes"',
  ],
  ['a duration over its limit', { ...valid, timeouts: { steady: '3h' } }, 'timeouts.steady: must be at most 2h'],
  [
    'a host outside the zone',
    { ...valid, hosts: { production: 'web.other.org', stage: 'stage.web.switchyard.test' } },
    'hosts.production: expected a name inside the hosted zone switchyard.test',
  ],
  [
    'the same host for stage and production',
    { ...valid, hosts: { production: 'web.switchyard.test', stage: 'web.switchyard.test' } },
    'hosts.stage: must differ from hosts.production',
  ],
  [
    'a subnet that is not a subnet id',
    { ...valid, network: { subnets: ['10.0.0.0/24'] } },
    'network.subnets.0: expected subnet ids like subnet-0abc',
  ],
  [
    'a container the task definition lacks',
    { ...valid, container: { name: 'api', port: 80 } },
    'container.name: "api" is not a container of the task definition (it has web)',
  ],
  [
    'no image anywhere',
    { ...valid, taskDefinition: { containerDefinitions: [{ name: 'web' }] } },
    'image: expected the container image in the spec, the task definition or --image',
  ],
  [
    'an image that is no image reference',
    { ...valid, image: 'nginx latest' },
    'image: expected a container image reference',
  ],
  ['a missing task definition file', { ...valid, taskDefinition: './nope.json' }, 'nope.json does not exist'],
  ['a weight over 100%', steps([{ setWeight: 150 }]), 'traffic.steps.0.setWeight: expected 0-100'],
  [
    'weights going down',
    steps([{ setWeight: 50 }, { setWeight: 20 }]),
    "traffic.steps.1.setWeight: 20% is below the previous step's 50%",
  ],
  [
    'an unknown preset',
    { ...valid, traffic: 'canary50Percent' },
    'traffic: expected one of allAtOnce, canary10Percent5Minutes',
  ],
  [
    'an analysis interval longer than its window',
    steps([{ setWeight: 10 }, { analysis: { duration: '1m', interval: '5m' } }]),
    'traffic.steps.1.analysis.interval: longer than its duration',
  ],
  [
    'a plan of 199 steps',
    { ...valid, traffic: { type: 'linear', stepPercent: 1, bake: '1s' } },
    'traffic: the plan has 199 steps; at most 100 are allowed',
  ],
  [
    'an HTTP check that is not HTTP',
    { ...valid, analysis: { http: { url: 'file:///etc/passwd' } } },
    'analysis.http.url: expected an http(s) URL',
  ],
  [
    'an unknown strategy',
    { ...valid, strategy: 'canary' },
    'strategy: expected one of blueGreen, rolling, got "canary"',
  ],
  [
    'a rolling spec with blue/green fields',
    { ...rolling, hostedZone: 'switchyard.test' },
    'unknown field(s) hostedZone',
  ],
  [
    'a plaintext secret in the environment',
    {
      ...valid,
      taskDefinition: {
        containerDefinitions: [
          { name: 'web', image: 'nginx:1', environment: [{ name: 'DB_PASSWORD', value: 'hunter2' }] },
        ],
      },
    },
    'taskDefinition.containerDefinitions.0.environment.0: DB_PASSWORD looks like a secret',
  ],
  [
    'a secret that is not an ARN',
    {
      ...valid,
      taskDefinition: {
        containerDefinitions: [
          { name: 'web', image: 'nginx:1', secrets: [{ name: 'DB_PASSWORD', valueFrom: 'hunter2' }] },
        ],
      },
    },
    'taskDefinition.containerDefinitions.0.secrets.0.valueFrom: expected a Secrets Manager or SSM parameter ARN',
  ],
  ['a list instead of a mapping', '- just\n- a list\n', 'Invalid input: expected object, received array'],
  ['an empty file', '', 'Invalid input: expected object, received null'],
  ['a YAML alias bomb', bomb, 'cannot be parsed: '],
  ['a key given twice', 'service: web\nservice: api\n', 'cannot be parsed: Map keys must be unique'],
  ['text that is not UTF-8', Buffer.from([0x73, 0x3a, 0x20, 0xe9, 0x0a]), 'is not UTF-8 text'],
  ['a 2 MB file', `# ${'x'.repeat(2 * 1024 * 1024)}\n`, 'bytes; at most 1048576 are accepted'],
];

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
