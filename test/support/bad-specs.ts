// The bad-input corpus's spec documents: malformed and dangerous specs, each with what the CLI must say
// about it (test/e2e/bad-input.test.ts runs them through the real CLI; test/unit/spec-json-schema.test.ts
// holds the JSON Schema to the same verdicts).
import { demoAccount } from '../../src/dev/demo';
import { fargate } from './fargate';

export const valid = {
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
export const specs: [string, unknown, string][] = [
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
    'strategy: expected one of blueGreen, rolling, codeDeploy, got "canary"',
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
