// Lookup activities and the dev-stack seed, against the moto server of this test run.
import { ApplicationFailure } from '@temporalio/common';
import { createActivities } from '../../src/activities';
import { wrapAwsError } from '../../src/activities/errors';
import { createAwsClients, destroyAwsClients } from '../../src/aws/clients';
import { demoAccount, emulatorCredentials } from '../../src/dev/demo';
import { seedAccount, type AccountClients } from '../../src/dev/seed';
import { UserError } from '../../src/shared/errors';
import { checkAwsReachable } from '../../src/worker';
import { freePort } from '../../src/dev/processes';
import { awsClientsOnMoto, resetAws, retriedAsTemporalWould, testRegion } from '../support/servers';

const healthCheck = {
  path: '/',
  intervalSeconds: 10,
  timeoutSeconds: 5,
  healthyThreshold: 2,
  unhealthyThreshold: 3,
  matcher: '200',
};

describe('lookup activities on moto', () => {
  let clients: AccountClients;
  let activities: ReturnType<typeof createActivities>;

  beforeAll(() => {
    clients = awsClientsOnMoto();
    activities = createActivities(clients);
  });
  afterAll(() => destroyAwsClients(clients));
  beforeEach(() => resetAws());

  it('finds nothing in an empty account', async () => {
    expect(await activities.findCluster({ cluster: 'switchyard-demo' })).toBeUndefined();
    expect(await activities.findLoadBalancer({ loadBalancer: 'switchyard-demo' })).toBeUndefined();
    expect(await activities.findHostedZone({ name: 'switchyard.test' })).toBeUndefined();
  });

  it('finds the target groups tagged for a service and environment among many (tags read 20 at a time)', async () => {
    await seedAccount(clients, demoAccount);
    const vpcId = (await activities.findLoadBalancer({ loadBalancer: 'switchyard-demo' }))!.vpcId;
    const tags = (service: string, environment: string, deployment: string) => [
      { key: 'switchyard:service', value: service },
      { key: 'switchyard:environment', value: environment },
      { key: 'switchyard:deployment', value: deployment },
    ];
    const wanted: { name: string; arn: string; deploymentId: string }[] = [];
    for (let i = 0; i < 45; i++) {
      const name = `tg-${i}`;
      // Every tenth is web/prod's; the others belong to web/test, another service, or no one.
      const tagged =
        i % 10 === 3
          ? tags('web', 'prod', `dep0000${i}`)
          : i % 3 === 0
            ? tags('web', 'test', `dep0000${i}`)
            : i % 3 === 1
              ? tags('api', 'prod', `dep0000${i}`)
              : [];
      // 45 creates in a burst exceed ELBv2's mutating rate (20, then 3 a second): retried as a worker would.
      const arn = await retriedAsTemporalWould(() =>
        activities.createTargetGroup({ name, vpcId, port: 80, targetType: 'ip', healthCheck, tags: tagged }),
      );
      if (i % 10 === 3) wanted.push({ name, arn, deploymentId: `dep0000${i}` });
    }
    const found = await activities.findTaggedTargetGroups({ service: 'web', environment: 'prod' });
    expect(found.sort((a, b) => a.name.localeCompare(b.name))).toEqual(
      wanted.sort((a, b) => a.name.localeCompare(b.name)),
    );
  });

  it('finds what the seed created, by name and by ARN, with or without the trailing dot', async () => {
    const created = await seedAccount(clients, demoAccount);
    expect(created).toEqual([
      'ECS cluster switchyard-demo',
      'load balancer switchyard-demo',
      'HTTP listener on port 80',
      'hosted zone switchyard.test',
      "IAM policy arn:aws:iam::123456789012:policy/switchyard/task-role-boundary (the task roles' permissions boundary)",
    ]);
    // Seeded once: a second seed finds it all.
    expect(await seedAccount(clients, demoAccount)).toEqual([]);

    const cluster = await activities.findCluster({ cluster: 'switchyard-demo' });
    expect(cluster).toMatchObject({ name: 'switchyard-demo', status: 'ACTIVE' });
    expect(await activities.findCluster({ cluster: cluster!.arn })).toEqual(cluster);

    const lb = await activities.findLoadBalancer({ loadBalancer: 'switchyard-demo' });
    expect(lb).toMatchObject({ name: 'switchyard-demo', listenerPorts: [80] });
    expect(lb!.arn).toMatch(/^arn:aws:elasticloadbalancing:us-east-1:\d{12}:loadbalancer\/app\/switchyard-demo\//);
    expect(await activities.findLoadBalancer({ loadBalancer: lb!.arn })).toEqual(lb);

    const zone = await activities.findHostedZone({ name: 'switchyard.test.' });
    expect(zone).toMatchObject({ name: 'switchyard.test.', privateZone: false });
    expect(await activities.findHostedZone({ name: 'SWITCHYARD.test' })).toEqual(zone);
  });

  it('accepts the bare value that activities scheduled before one-object inputs carry (for one release)', async () => {
    await seedAccount(clients, demoAccount);
    const lb = (await activities.findLoadBalancer({ loadBalancer: demoAccount.loadBalancer }))!;
    const tg = await activities.createTargetGroup({
      name: 'tg-old-shape',
      vpcId: lb.vpcId,
      port: 80,
      targetType: 'ip',
      healthCheck,
      tags: [{ key: 'k', value: 'v' }],
    });
    // What a worker passes an activity when the deployment scheduled it with the old argument.
    const asScheduledBefore = activities as unknown as Record<string, (arg: unknown) => Promise<unknown>>;
    const cases: [string, unknown, object][] = [
      ['findCluster', demoAccount.cluster, { cluster: demoAccount.cluster }],
      ['findLoadBalancer', demoAccount.loadBalancer, { loadBalancer: demoAccount.loadBalancer }],
      ['findHostedZone', demoAccount.hostedZone, { name: demoAccount.hostedZone }],
      ['describeTargetGroupTags', [tg], { targetGroupArns: [tg] }],
      ['countTargetHealth', tg, { targetGroupArn: tg }],
      ['describeAlarmStates', ['no-such-alarm'], { alarmNames: ['no-such-alarm'] }],
      [
        'taskDefinitionStatus',
        'arn:aws:ecs:us-east-1:123456789012:task-definition/nope:1',
        { taskDefinition: 'arn:aws:ecs:us-east-1:123456789012:task-definition/nope:1' },
      ],
    ];
    for (const [name, bare, input] of cases) {
      const now = await asScheduledBefore[name](input);
      expect([name, await asScheduledBefore[name](bare)]).toEqual([name, now]);
    }
    expect(await activities.describeTargetGroupTags({ targetGroupArns: [tg] })).toEqual({ [tg]: { k: 'v' } });
  });

  it('does not mistake a zone whose name merely starts the same for the wanted one', async () => {
    await seedAccount(clients, { ...demoAccount, hostedZone: 'b.switchyard.test' });
    expect(await activities.findHostedZone({ name: 'switchyard.test' })).toBeUndefined();
  });

  it('seeds idempotently: a second seed creates nothing', async () => {
    await seedAccount(clients, demoAccount);
    expect(await seedAccount(clients, demoAccount)).toEqual([]);
  });
});

describe('AWS errors', () => {
  it('name what was attempted and stay retryable when the network fails', async () => {
    const endpoint = `http://127.0.0.1:${await freePort()}`;
    const clients = createAwsClients({ region: testRegion, endpoint, credentials: emulatorCredentials });
    try {
      const err = await createActivities(clients)
        .findCluster({ cluster: 'web' })
        .catch((e) => e);
      expect(err).toBeInstanceOf(ApplicationFailure);
      expect(err.message).toMatch(/^describe ECS cluster web: .*ECONNREFUSED/);
      expect(err.nonRetryable).toBe(false);
    } finally {
      destroyAwsClients(clients);
    }
  });

  it.each([
    ['ValidationError', true],
    ['AccessDeniedException', true],
    ['ThrottlingException', false],
    ['ServiceUnavailable', false],
  ])('%s is non-retryable: %s', (name, nonRetryable) => {
    const failure = wrapAwsError('create target group web-1', Object.assign(new Error('boom'), { name }));
    expect(failure).toMatchObject({ type: name, nonRetryable, message: `create target group web-1: ${name}: boom` });
  });
});

describe('checkAwsReachable', () => {
  it('says which endpoint cannot be used and how to fix it', async () => {
    const endpoint = `http://127.0.0.1:${await freePort()}`;
    const aws = { region: testRegion, endpoint, credentials: emulatorCredentials };
    const clients = createAwsClients(aws);
    try {
      const err = await checkAwsReachable(clients, aws).catch((e) => e);
      expect(err).toBeInstanceOf(UserError);
      expect(err.message).toBe(
        `cannot use AWS endpoint ${endpoint} (ECONNREFUSED). Check AWS_ENDPOINT_URL, or unset it to use AWS itself.`,
      );
    } finally {
      destroyAwsClients(clients);
    }
  });
});
