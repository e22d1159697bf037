// The spec's sections for a service that already runs (production's rule conditions, adopt, autoscaling,
// the record left alone) and the ECS service fields passed through: each loads as written and every
// value ECS, ALB or Application Auto Scaling would refuse is refused here, before any AWS change.
import { loadSpec } from '../../src/spec/load';
import { SpecFiles, validSpec as valid } from '../support/spec-files';

const files = new SpecFiles();
beforeAll(() => files.open());
afterAll(() => files.close());
const load = (doc: unknown) => loadSpec(files.write(doc));
const problemsOf = (doc: unknown) => files.problemsOf(doc);
const ec2 = {
  requiresCompatibilities: ['EC2'],
  networkMode: 'bridge',
  containerDefinitions: [{ name: 'web', image: 'nginx:1', memory: 256 }],
};

describe('adoption fields', () => {
  it('load as written, with the defaults a live service needs', () => {
    const spec = load({
      ...valid,
      hosts: { ...valid.hosts, productionRecord: 'leave' },
      productionRule: { pathPatterns: ['/app/*'], httpHeaders: [{ name: 'X-Env', values: ['prod'] }], priority: 7 },
      adopt: { service: 'web-live' },
      autoScaling: { from: 'production' },
    });
    expect(spec).toMatchObject({
      hosts: { productionRecord: 'leave' },
      productionRule: { pathPatterns: ['/app/*'], httpHeaders: [{ name: 'X-Env', values: ['prod'] }], priority: 7 },
      adopt: { service: 'web-live', retire: 'leave' },
      autoScaling: { from: 'production' },
    });
    expect(load(valid)).toMatchObject({ hosts: { productionRecord: 'manage' } });
    expect(load(valid)).not.toHaveProperty('adopt');
  });

  it("takes the spec's own autoscaling, cooldowns in milliseconds", () => {
    const spec = load({
      ...valid,
      desiredCount: 6,
      autoScaling: {
        minCapacity: 6,
        maxCapacity: 40,
        policies: [{ name: 'cpu', targetTracking: { metric: 'ECSServiceAverageCPUUtilization', targetValue: 60 } }],
      },
    });
    expect(spec).toMatchObject({
      autoScaling: {
        minCapacity: 6,
        maxCapacity: 40,
        policies: [
          {
            name: 'cpu',
            targetTracking: {
              metric: 'ECSServiceAverageCPUUtilization',
              targetValue: 60,
              scaleInCooldownMs: 300_000,
              scaleOutCooldownMs: 300_000,
              disableScaleIn: false,
            },
          },
        ],
      },
    });
  });

  it.each([
    [
      'more condition values than a rule takes',
      { productionRule: { pathPatterns: ['/a', '/b', '/c'], httpHeaders: [{ name: 'X-A', values: ['1', '2'] }] } },
      ['productionRule: an ALB rule takes at most 5 condition values (the host is one), got 6'],
    ],
    [
      'a header name ALB would refuse',
      { productionRule: { httpHeaders: [{ name: 'X Env', values: ['1'] }] } },
      ['productionRule.httpHeaders.0.name: expected an HTTP header name such as X-Canary (no wildcards)'],
    ],
    [
      'four values in one condition',
      { productionRule: { pathPatterns: ['/a', '/b', '/c', '/d'] } },
      ['productionRule.pathPatterns: an ALB condition takes at most 3 values: put the others in another rule'],
    ],
    [
      'six wildcards in a rule',
      { productionRule: { pathPatterns: ['/a*/*/*', '/b*?/*'] } },
      ['productionRule: an ALB rule takes at most 5 wildcards (* and ?), got 6'],
    ],
    [
      'a character no path pattern takes',
      { productionRule: { pathPatterns: ['/app/[v1]'] } },
      [
        'productionRule.pathPatterns.0: expected a path pattern of letters, digits and _ - . $ / ~ " \' @ : + &, with * or ? as wildcards',
      ],
    ],
    [
      'a priority out of range',
      { productionRule: { priority: 50_001 } },
      ['productionRule.priority: expected 1-50000'],
    ],
    ['an unknown retirement', { adopt: { retire: 'delete' } }, ['adopt.retire: expected "leave" or "scaleToZero"']],
    [
      'both autoscaling sources',
      { autoScaling: { from: 'production', minCapacity: 1, maxCapacity: 2 } },
      ['autoScaling: give either from: production or minCapacity, maxCapacity and policies'],
    ],
    [
      'bounds the wrong way round',
      { autoScaling: { minCapacity: 5, maxCapacity: 2 } },
      ['autoScaling.maxCapacity: must be at least minCapacity'],
    ],
    [
      'a desiredCount above the maximum',
      { desiredCount: 3, autoScaling: { minCapacity: 1, maxCapacity: 2 } },
      ['desiredCount: must be at most autoScaling.maxCapacity (2)'],
    ],
    [
      'a metric ECS services do not scale on',
      {
        autoScaling: {
          minCapacity: 1,
          maxCapacity: 2,
          policies: [{ name: 'x', targetTracking: { metric: 'CPU', targetValue: 1 } }],
        },
      },
      [
        'autoScaling.policies.0.targetTracking.metric: expected one of ECSServiceAverageCPUUtilization, ECSServiceAverageMemoryUtilization, ALBRequestCountPerTarget',
      ],
    ],
    [
      'a record neither managed nor left',
      { hosts: { ...valid.hosts, productionRecord: 'sometimes' } },
      ['hosts.productionRecord: expected "manage" or "leave"'],
    ],
  ])('refuses %s', (_name, fields, expected) => {
    expect(problemsOf({ ...valid, ...fields })).toEqual(expected);
  });
});

describe('ECS service fields', () => {
  it('pass through as ECS takes them', () => {
    const fields = {
      placementConstraints: [{ type: 'memberOf', expression: 'attribute:ecs.instance-type =~ t3.*' }],
      placementStrategy: [
        { type: 'spread', field: 'attribute:ecs.availability-zone' },
        { type: 'binpack', field: 'memory' },
      ],
      serviceRegistries: [
        { registryArn: 'arn:aws:servicediscovery:eu-west-1:123456789012:service/srv-abc123', port: 80 },
      ],
      enableExecuteCommand: true,
      propagateTags: 'TASK_DEFINITION',
    };
    expect(load({ ...valid, taskDefinition: ec2, ...fields })).toMatchObject(fields);
  });

  it.each([
    [
      'placement on Fargate',
      { placementStrategy: [{ type: 'random' }] },
      ['placementStrategy: ECS does not support placement on Fargate; remove it'],
    ],
    [
      'binpack on something else than cpu or memory',
      { taskDefinition: ec2, placementStrategy: [{ type: 'binpack', field: 'disk' }] },
      ['placementStrategy.0.field: binpack takes field "cpu" or "memory"'],
    ],
    [
      'more than 10 placement constraints',
      { taskDefinition: ec2, placementConstraints: Array.from({ length: 11 }, () => ({ type: 'distinctInstance' })) },
      ['placementConstraints: expected at most 10 placement constraints'],
    ],
    [
      'two service registries',
      {
        serviceRegistries: [
          { registryArn: 'arn:aws:servicediscovery:eu-west-1:123456789012:service/srv-abc' },
          { registryArn: 'arn:aws:servicediscovery:eu-west-1:123456789012:service/srv-def' },
        ],
      },
      ['serviceRegistries: ECS takes one service registry per service'],
    ],
    [
      'a namespace where a Cloud Map service belongs',
      { serviceRegistries: [{ registryArn: 'arn:aws:servicediscovery:eu-west-1:123456789012:namespace/ns-abc' }] },
      [
        'serviceRegistries.0.registryArn: expected a Cloud Map service ARN (arn:aws:servicediscovery:<region>:<account>:service/srv-...)',
      ],
    ],
    [
      'a port and a container port both',
      {
        serviceRegistries: [
          {
            registryArn: 'arn:aws:servicediscovery:eu-west-1:123456789012:service/srv-abc',
            port: 80,
            containerName: 'web',
            containerPort: 80,
          },
        ],
      },
      ['serviceRegistries.0: give either port or containerName and containerPort, not both'],
    ],
    [
      'an unknown tag propagation',
      { propagateTags: 'ALL' },
      ['propagateTags: expected "SERVICE", "TASK_DEFINITION" or "NONE"'],
    ],
  ])('refuses %s', (_name, fields, expected) => {
    expect(problemsOf({ ...valid, ...fields })).toEqual(expected);
  });

  it("the rolling strategy's circuit breaker", () => {
    const rolling = {
      strategy: 'rolling',
      service: 'web',
      environment: 'prod',
      cluster: 'main',
      taskDefinition: valid.taskDefinition,
      container: { name: 'web' },
      pinImageDigest: false,
    };
    expect(load({ ...rolling, deploymentCircuitBreaker: { enable: true, rollback: true } })).toMatchObject({
      deploymentCircuitBreaker: { enable: true, rollback: true },
    });
    expect(problemsOf({ ...rolling, deploymentCircuitBreaker: { enable: true } })).toEqual([
      'deploymentCircuitBreaker.rollback: expected true or false',
    ]);
  });
});
