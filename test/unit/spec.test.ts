import fs from 'node:fs';
import path from 'node:path';
import { loadSpec } from '../../src/spec/load';
import { parseDuration } from '../../src/shared/duration';
import type { TrafficPlan } from '../../src/shared/traffic';
import { SpecFiles, validSpec as valid } from '../support/spec-files';

const demoSpec = path.resolve(__dirname, '..', '..', 'examples', 'demo', 'spec.yaml');

const files = new SpecFiles();
beforeAll(() => files.open());
afterAll(() => files.close());
const writeSpec = (doc: unknown, ext?: string) => files.write(doc, ext);
const problemsOf = (doc: unknown, ext?: string) => files.problemsOf(doc, ext);

describe('parseDuration', () => {
  it.each([
    ['90s', 90_000],
    ['5m', 300_000],
    ['1h30m', 5_400_000],
    ['2d', 172_800_000],
    ['250ms', 250],
    [30, 30_000],
    ['5 minutes', undefined],
    ['', undefined],
    [-1, undefined],
  ])('%j → %j', (input, ms) => expect(parseDuration(input)).toBe(ms));
});

describe('loadSpec', () => {
  it('loads the demo spec with its task definition file and fills defaults', () => {
    const spec = loadSpec(demoSpec);
    expect(spec).toMatchObject({
      service: 'web',
      environment: 'demo',
      image: '123456789012.dkr.ecr.us-east-1.amazonaws.com/web:1.27',
      container: { name: 'web', port: 80 },
      loadBalancer: { name: 'switchyard-demo', listenerPort: 80 },
      healthCheck: {
        path: '/',
        intervalSeconds: 10,
        timeoutSeconds: 5,
        healthyThreshold: 2,
        unhealthyThreshold: 3,
        matcher: '200-399',
      },
      timeouts: { steadyMs: 600_000, testsMs: 1_800_000 },
      approval: { required: true, timeoutMs: 86_400_000, onTimeout: 'rollback' },
      drainMs: 30_000,
    });
    expect(spec.taskDefinition?.containerDefinitions[0].name).toBe('web');
  });

  it('fills every default for a minimal spec, and --image wins', () => {
    const spec = loadSpec(writeSpec(valid), { image: 'nginx:2' });
    expect(spec).toMatchObject({
      image: 'nginx:2',
      timeouts: { steadyMs: 900_000, testsMs: 3_600_000 },
      approval: { required: false, timeoutMs: 86_400_000, onTimeout: 'rollback' },
      drainMs: 300_000,
      healthCheckGracePeriodMs: 60_000,
      iamPropagationMs: 10_000,
      loadBalancer: { name: 'edge', listenerPort: 80 },
    });
    expect(spec).not.toHaveProperty('capacityProviderStrategy');
    expect(loadSpec(writeSpec(valid, 'json')).image).toBe('nginx:1');
  });

  it.each([
    ['missing service', { ...valid, service: undefined }, ['service: expected a service name']],
    [
      'service too long for AWS names',
      { ...valid, service: 'a'.repeat(21) },
      ['service: expected 1-20 lowercase letters, digits or inner hyphens, e.g. "web"'],
    ],
    [
      'upper-case environment',
      { ...valid, environment: 'Prod' },
      ['environment: expected 1-10 lowercase letters, digits or inner hyphens, e.g. "prod"'],
    ],
    ['desiredCount as text', { ...valid, desiredCount: 'two' }, ['desiredCount: expected a number of tasks']],
    ['desiredCount zero', { ...valid, desiredCount: 0 }, ['desiredCount: expected at least 1']],
    ['port out of range', { ...valid, container: { name: 'web', port: 70000 } }, ['container.port: expected 1-65535']],
    ['unknown field', { ...valid, replicas: 3 }, ['unknown field(s) replicas']],
    [
      'bad duration',
      { ...valid, drain: '5 minutes' },
      ['drain: expected a duration such as "90s", "5m" or "1h", got "5 minutes"'],
    ],
    ['duration over the limit', { ...valid, timeouts: { steady: '3h' } }, ['timeouts.steady: must be at most 2h']],
    [
      'bad onTimeout',
      { ...valid, approval: { required: true, onTimeout: 'ignore' } },
      ['approval.onTimeout: expected "rollback" or "continue"'],
    ],
    [
      'host outside the zone',
      { ...valid, hosts: { production: 'web.other.org', stage: 'stage.web.example.com' } },
      ['hosts.production: expected a name inside the hosted zone example.com'],
    ],
    [
      'same host twice',
      { ...valid, hosts: { production: 'web.example.com', stage: 'web.example.com' } },
      ['hosts.stage: must differ from hosts.production'],
    ],
    [
      'bad subnet id',
      { ...valid, network: { subnets: ['10.0.0.0/24'] } },
      ['network.subnets.0: expected subnet ids like subnet-0abc'],
    ],
    [
      'container not in the task definition',
      { ...valid, container: { name: 'api', port: 80 } },
      ['container.name: "api" is not a container of the task definition (it has web)'],
    ],
    [
      'no image anywhere',
      { ...valid, taskDefinition: { containerDefinitions: [{ name: 'web' }] } },
      ['image: expected the container image in the spec, the task definition or --image'],
    ],
    [
      'task definition without containers',
      { ...valid, taskDefinition: { containerDefinitions: [] } },
      ['taskDefinition.containerDefinitions: expected at least one container'],
    ],
    [
      'missing task definition file',
      { ...valid, taskDefinition: './nope.json' },
      ['taskDefinition: task definition file <dir>/nope.json does not exist'],
    ],
    ['not a mapping', '- just\n- a list\n', ['Invalid input: expected object, received array']],
    [
      'grace period over the limit',
      { ...valid, healthCheckGracePeriod: '3h' },
      ['healthCheckGracePeriod: must be at most 2h'],
    ],
    ['IAM propagation over the limit', { ...valid, iamPropagation: '10m' }, ['iamPropagation: must be at most 5m']],
    [
      'capacity provider weight out of range',
      { ...valid, capacityProviderStrategy: [{ capacityProvider: 'FARGATE', weight: 1001 }] },
      ['capacityProviderStrategy.0.weight: expected 0-1000'],
    ],
    [
      'two capacity providers with a base, none weighted',
      {
        ...valid,
        capacityProviderStrategy: [
          { capacityProvider: 'FARGATE', weight: 0, base: 1 },
          { capacityProvider: 'FARGATE_SPOT', weight: 0, base: 1 },
        ],
      },
      [
        'capacityProviderStrategy: only one capacity provider can have a base',
        'capacityProviderStrategy: at least one capacity provider needs a weight above 0',
      ],
    ],
    [
      'Fargate and Auto Scaling group providers mixed',
      { ...valid, capacityProviderStrategy: [{ capacityProvider: 'FARGATE' }, { capacityProvider: 'asg-spot' }] },
      [
        'capacityProviderStrategy: a strategy takes either FARGATE/FARGATE_SPOT or Auto Scaling group capacity providers, not both',
      ],
    ],
    [
      'FARGATE_SPOT for an EC2 task definition',
      {
        ...valid,
        taskDefinition: { containerDefinitions: [{ name: 'web', image: 'nginx:1', memory: 128 }] },
        capacityProviderStrategy: [{ capacityProvider: 'FARGATE_SPOT' }],
      },
      [
        'capacityProviderStrategy: FARGATE and FARGATE_SPOT need a task definition with requiresCompatibilities ["FARGATE"] (and the Fargate sizes that go with it)',
      ],
    ],
    [
      'an Auto Scaling group provider for a Fargate-only task definition',
      { ...valid, capacityProviderStrategy: [{ capacityProvider: 'asg-main' }] },
      [
        "capacityProviderStrategy: Auto Scaling group capacity providers run EC2 tasks, and the task definition's requiresCompatibilities has no EC2",
      ],
    ],
    // What RegisterTaskDefinition and CreateService refuse for Fargate
    // (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/fargate-tasks-services.html,
    // https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task_definition_parameters.html#task_size).
    [
      'Fargate in bridge mode',
      { ...valid, taskDefinition: { ...valid.taskDefinition, networkMode: 'bridge' } },
      ['taskDefinition.networkMode: Fargate only supports network mode awsvpc (got "bridge")'],
    ],
    [
      'Fargate without task-level cpu and memory',
      { ...valid, taskDefinition: { ...valid.taskDefinition, cpu: undefined, memory: undefined } },
      ['taskDefinition.cpu: Fargate needs task-level cpu and memory (for example cpu "256", memory "512")'],
    ],
    [
      'a cpu Fargate does not offer',
      { ...valid, taskDefinition: { ...valid.taskDefinition, cpu: '300' } },
      ['taskDefinition.cpu: Fargate offers cpu 256, 512, 1024, 2048, 4096, 8192 or 16384 (got "300")'],
    ],
    [
      'a memory Fargate does not offer with that cpu',
      { ...valid, taskDefinition: { ...valid.taskDefinition, cpu: '256', memory: '4096' } },
      ['taskDefinition.memory: Fargate offers memory 512-2048 MiB (3 sizes) with cpu 256 (got "4096")'],
    ],
    [
      'a network mode a load balancer cannot reach',
      {
        ...valid,
        taskDefinition: { containerDefinitions: [{ name: 'web', image: 'nginx:1', memory: 128 }], networkMode: 'none' },
      },
      [
        'taskDefinition.networkMode: expected awsvpc, bridge or host (a load balancer cannot reach tasks in network mode "none")',
      ],
    ],
  ])('%s', (_name, doc, expected) => {
    expect(problemsOf(doc)).toEqual(expected);
  });

  it('takes a capacity provider strategy (weight 1 unless given) and a grace period', () => {
    const spec = loadSpec(
      writeSpec({
        ...valid,
        healthCheckGracePeriod: '2m',
        capacityProviderStrategy: [
          { capacityProvider: 'FARGATE', base: 1 },
          { capacityProvider: 'FARGATE_SPOT', weight: 3 },
        ],
      }),
    );
    expect(spec).toMatchObject({
      healthCheckGracePeriodMs: 120_000,
      capacityProviderStrategy: [
        { capacityProvider: 'FARGATE', weight: 1, base: 1 },
        { capacityProvider: 'FARGATE_SPOT', weight: 3 },
      ],
    });
  });

  it('the bake at 100% probes the production host where the checks name the stage host, which is gone then', () => {
    const http = { url: 'https://STAGE.web.example.com:8443/health?deep=1' };
    const spec = loadSpec(writeSpec({ ...valid, traffic: 'canary10Percent5Minutes', analysis: { http } }));
    const plan = (spec as { traffic: TrafficPlan }).traffic;
    const stepUrls = plan.steps.flatMap((s) => (s.kind === 'bake' ? [s.bake.checks.http?.url] : []));
    expect(stepUrls).toEqual(['https://STAGE.web.example.com:8443/health?deep=1']);
    expect(plan.finalBake.checks.http?.url).toBe('https://web.example.com:8443/health?deep=1');
    const other = loadSpec(
      writeSpec({
        ...valid,
        traffic: 'canary10Percent5Minutes',
        analysis: { http: { url: 'https://status.example.org/web' } },
      }),
    );
    expect((other as { traffic: TrafficPlan }).traffic.finalBake.checks.http?.url).toBe(
      'https://status.example.org/web',
    );
  });

  it('a production record pointing elsewhere is kept unless the spec allows replacing it', () => {
    expect(loadSpec(writeSpec(valid))).toMatchObject({ hosts: { overwriteProductionRecord: false } });
    expect(loadSpec(writeSpec({ ...valid, hosts: { ...valid.hosts, overwriteProductionRecord: true } }))).toMatchObject(
      { hosts: { overwriteProductionRecord: true } },
    );
    expect(problemsOf({ ...valid, hosts: { ...valid.hosts, overwriteProductionRecord: 'yes' } })).toEqual([
      'hosts.overwriteProductionRecord: expected true or false',
    ]);
  });

  it('takes webhooks to notify, named, with their URL or its worker variable, and refuses what cannot work', () => {
    expect(loadSpec(writeSpec(valid)).notify).toBeUndefined();
    const spec = loadSpec(
      writeSpec({
        ...valid,
        notify: [
          { urlEnv: 'SLACK_WEBHOOK_URL', format: 'slack', events: ['awaiting_approval', 'rolled_back'] },
          { name: 'audit', url: 'https://hooks.example.com/deploys', secretEnv: 'AUDIT_KEY' },
        ],
      }),
    );
    expect(spec.notify).toEqual([
      { name: 'webhook-1', urlEnv: 'SLACK_WEBHOOK_URL', format: 'slack', events: ['awaiting_approval', 'rolled_back'] },
      { name: 'audit', url: 'https://hooks.example.com/deploys', format: 'json', secretEnv: 'AUDIT_KEY' },
    ]);
    expect(
      problemsOf({
        ...valid,
        notify: [
          { url: 'https://a.example.com', urlEnv: 'A' },
          { url: 'ftp://a.example.com' },
          { url: 'https://a.example.com', format: 'slack', secretEnv: 'K' },
          { url: 'https://a.example.com', events: ['deployed'] },
          { urlEnv: 'lower-case' },
        ],
      }),
    ).toEqual([
      'notify.0: expected exactly one of url and urlEnv (the worker variable holding the URL)',
      'notify.1.url: expected an http(s) URL',
      'notify.2.secretEnv: signing is for format: json (Slack checks its own URL)',
      'notify.3.events.0: expected one of awaiting_tests, awaiting_approval, traffic_step, analysis_failed, rolled_back, active, failed',
      'notify.4.urlEnv: expected an environment variable name such as SLACK_WEBHOOK_URL',
    ]);
    const twice = { name: 'x', url: 'https://a.example.com' };
    expect(problemsOf({ ...valid, notify: [twice, twice] })).toEqual(['notify.1.name: "x" is used twice']);
  });

  it('reports every problem at once', () => {
    expect(problemsOf({ ...valid, service: 'Web', desiredCount: -1, drain: 'x' })).toHaveLength(3);
  });

  it('refuses a YAML alias bomb', () => {
    const bomb = [
      'a: &a ["x","x","x","x","x","x","x","x","x"]',
      ...Array.from({ length: 9 }, (_, i) => {
        const prev = i === 0 ? 'a' : `l${i - 1}`;
        return `l${i}: &l${i} [*${prev},*${prev},*${prev},*${prev},*${prev},*${prev},*${prev},*${prev},*${prev}]`;
      }),
    ].join('\n');
    expect(problemsOf(bomb)[0]).toMatch(/^cannot be parsed: /);
  });

  it('refuses a file that is not UTF-8, or too big, or absent', () => {
    const latin1 = path.join(files.dir, 'latin1.yaml');
    fs.writeFileSync(latin1, Buffer.from([0x73, 0x65, 0x72, 0x76, 0x69, 0x63, 0x65, 0x3a, 0x20, 0xe9, 0x0a]));
    expect(() => loadSpec(latin1)).toThrow(`spec file ${latin1} is not UTF-8 text`);
    const big = path.join(files.dir, 'big.yaml');
    fs.writeFileSync(big, `# ${'x'.repeat(2 * 1024 * 1024)}\n`);
    expect(() => loadSpec(big)).toThrow(/is 2097155 bytes; at most 1048576 are accepted/);
    expect(() => loadSpec(path.join(files.dir, 'absent.yaml'))).toThrow(/does not exist/);
  });
});
