// Analysis rounds against moto behind the behaviour proxy (CloudWatch alarms, scripted target health, an
// HTTP probe of a local server), and the proxy's faults as the AWS SDK sees them: each protocol's
// throttling and 5xx are recognised and retried by the SDK, dropped connections too, and counted.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { PutMetricAlarmCommand, SetAlarmStateCommand } from '@aws-sdk/client-cloudwatch';
import type { ProxyStats } from '../../src/dev/emulator/server';
import { demoAccount } from '../../src/dev/demo';
import type { AnalysisChecks } from '../../src/shared/traffic';
import { servers, setAwsScenario, useSeededMoto } from '../support/servers';
import { fargate, fargateLaunch } from '../support/fargate';

async function stats(): Promise<ProxyStats> {
  return servers.emulator.stats();
}

describe('analysis rounds and faults on moto', () => {
  const moto = useSeededMoto();
  let site: http.Server;
  let siteUrl: string;
  let siteStatus = 200;
  let siteDelayMs = 0;

  beforeAll(async () => {
    site = http.createServer((_req, res) => setTimeout(() => res.writeHead(siteStatus).end('ok'), siteDelayMs));
    await new Promise<void>((resolve) => site.listen(0, '127.0.0.1', resolve));
    siteUrl = `http://127.0.0.1:${(site.address() as AddressInfo).port}/health`;
  });
  afterAll(async () => {
    await new Promise((resolve) => site.close(resolve));
  });
  beforeEach(() => {
    siteStatus = 200;
    siteDelayMs = 0;
  });

  async function alarm(name: string, state?: 'ALARM' | 'OK'): Promise<void> {
    await moto.clients.cloudwatch.send(
      new PutMetricAlarmCommand({
        AlarmName: name,
        MetricName: 'HTTPCode_Target_5XX_Count',
        Namespace: 'AWS/ApplicationELB',
        Statistic: 'Sum',
        Period: 60,
        EvaluationPeriods: 1,
        Threshold: 5,
        ComparisonOperator: 'GreaterThanThreshold',
      }),
    );
    if (state)
      await moto.clients.cloudwatch.send(
        new SetAlarmStateCommand({ AlarmName: name, StateValue: state, StateReason: 'test' }),
      );
  }

  async function targetGroupWithTargets(): Promise<string> {
    const lb = (await moto.aws.findLoadBalancer({ loadBalancer: demoAccount.loadBalancer }))!;
    const healthCheck = {
      path: '/',
      intervalSeconds: 10,
      timeoutSeconds: 5,
      healthyThreshold: 2,
      unhealthyThreshold: 3,
      matcher: '200',
    };
    const arn = await moto.aws.createTargetGroup({
      name: 'web-demo-aaaaaaa1',
      vpcId: lb.vpcId,
      port: 80,
      targetType: 'ip',
      healthCheck,
      tags: [],
    });
    // Attached before the service, as ECS requires.
    const listenerArn = await moto.aws.ensureListener({ loadBalancerArn: lb.arn, port: 80 });
    await moto.aws.putHostRule({
      listenerArn,
      host: 'web-demo-stage.switchyard.test',
      targets: [{ targetGroupArn: arn, weight: 100 }],
      tags: [],
    });
    const taskDefinitionArn = await moto.aws.registerTaskDefinition({
      family: 'web-demo',
      taskDefinition: { ...fargate, containerDefinitions: [{ name: 'web', image: 'nginx', memory: 128 }] },
      containerName: 'web',
      image: 'nginx:2',
      taskRoleArn: 'arn:aws:iam::123456789012:role/t',
      executionRoleArn: 'arn:aws:iam::123456789012:role/e',
      tags: [],
      deploymentId: 'aaaaaaa1',
    });
    await moto.aws.createService({
      cluster: demoAccount.cluster,
      name: 'web-demo-aaaaaaa1',
      taskDefinitionArn,
      targetGroupArn: arn,
      containerName: 'web',
      containerPort: 80,
      desiredCount: 3,
      network: { subnets: lb.subnetIds, securityGroups: [], assignPublicIp: false },
      launch: fargateLaunch,
      tags: [],
    });
    return arn;
  }

  it('passes when alarms are OK, targets healthy and the probe answers in time', async () => {
    await alarm('web-5xx', 'OK');
    const targetGroupArn = await targetGroupWithTargets();
    // As in AWS, new targets are `initial` until healthy threshold × interval has passed (scaled down here).
    for (let i = 0; i < 100 && (await moto.aws.countTargetHealth({ targetGroupArn })).healthy < 3; i++)
      await new Promise((r) => setTimeout(r, 100));
    const checks: AnalysisChecks = {
      alarms: ['web-5xx'],
      maxUnhealthyTargets: 0,
      http: { url: siteUrl, expectStatus: '200-399', maxLatencyMs: 2_000, timeoutMs: 5_000 },
    };
    const result = await moto.aws.runAnalysis({ checks, targetGroupArn });
    expect(result.failures).toEqual([]);
    expect(result.observations.slice(0, 2)).toEqual(['alarms: web-5xx=OK', 'targets: 3 healthy, 0 unhealthy, 0 other']);
    expect(result.observations[2]).toMatch(new RegExp(`^http: ${siteUrl} → 200 in \\d+ ms$`));
  });

  it('names every failed check with its values', async () => {
    await alarm('web-5xx', 'ALARM');
    await alarm('web-latency', 'OK');
    await setAwsScenario({ targetHealth: [{ targetGroup: 'web-demo-aaaaaaa1', unhealthyAfterMs: 0 }] });
    const targetGroupArn = await targetGroupWithTargets();
    siteStatus = 503;
    const checks: AnalysisChecks = {
      alarms: ['web-5xx', 'web-latency', 'web-gone'],
      maxUnhealthyTargets: 1,
      http: { url: siteUrl, expectStatus: '200', maxLatencyMs: 2_000, timeoutMs: 5_000 },
    };
    const result = await moto.aws.runAnalysis({ checks, targetGroupArn });
    expect(result.failures).toEqual([
      'alarm web-5xx in ALARM',
      'alarm web-gone does not exist',
      '3 unhealthy targets (at most 1 allowed)',
      `http ${siteUrl}: status 503 (expected 200)`,
    ]);
  });

  it('fails a slow or silent probe', async () => {
    siteDelayMs = 300;
    const slow = await moto.aws.runAnalysis({
      checks: { alarms: [], http: { url: siteUrl, expectStatus: '200', maxLatencyMs: 100, timeoutMs: 5_000 } },
      targetGroupArn: '',
    });
    expect(slow.failures[0]).toMatch(new RegExp(`^http ${siteUrl}: \\d+ ms \\(at most 100 ms allowed\\)$`));
    const silent = await moto.aws.runAnalysis({
      checks: { alarms: [], http: { url: siteUrl, expectStatus: '200', maxLatencyMs: 100, timeoutMs: 150 } },
      targetGroupArn: '',
    });
    expect(silent.failures).toEqual([`http ${siteUrl}: no answer within 150 ms`]);
  });

  it('scripts target health: initial first, then healthy', async () => {
    await setAwsScenario({ targetHealth: [{ targetGroup: 'web-demo', initialForMs: 60_000 }] });
    const targetGroupArn = await targetGroupWithTargets();
    expect(await moto.aws.countTargetHealth({ targetGroupArn })).toEqual({
      healthy: 0,
      unhealthy: 0,
      other: 3,
      unused: 0,
    });
    await setAwsScenario({ targetHealth: [{ targetGroup: 'web-demo', initialForMs: 0 }] });
    expect(await moto.aws.countTargetHealth({ targetGroupArn })).toEqual({
      healthy: 3,
      unhealthy: 0,
      other: 0,
      unused: 0,
    });
  });

  it.each([
    [
      'ECS (JSON 1.1)',
      'ECS.DescribeClusters',
      () => moto.aws.findCluster({ cluster: demoAccount.cluster }),
      'ThrottlingException',
    ],
    [
      'CloudWatch (JSON 1.0)',
      'CloudWatch.DescribeAlarms',
      () => moto.aws.describeAlarmStates({ alarmNames: ['x'] }),
      'Throttling',
    ],
    [
      'ELBv2 (query)',
      'ELBv2.DescribeLoadBalancers',
      () => moto.aws.findLoadBalancer({ loadBalancer: demoAccount.loadBalancer }),
      'Throttling',
    ],
    [
      'Route 53 (REST-XML)',
      'Route53.ListHostedZonesByName',
      () => moto.aws.findHostedZone({ name: demoAccount.hostedZone }),
      'Throttling',
    ],
  ])('%s throttling is recognised and retried by the SDK', async (_protocol, operation, call, name) => {
    await setAwsScenario({ faults: { rate: 1, kinds: ['throttle'], operations: `^${operation}$` } });
    const before = await stats();
    const err = (await call().catch((e: unknown) => e)) as Error;
    expect(err.message).toContain(`${name}: Rate exceeded`);
    expect(err.cause).toMatchObject({ name, $metadata: { attempts: 3, httpStatusCode: 400 } });
    const after = await stats();
    expect(after.calls[operation] - (before.calls[operation] ?? 0)).toBe(3);
    expect(after.faults).toEqual({ throttle: 3 });
  });

  it('5xx and dropped connections are retried by the SDK, and every attempt is counted', async () => {
    await setAwsScenario({ faults: { rate: 0.3, kinds: ['5xx', 'drop'], operations: '^ECS\\.DescribeClusters$' } });
    const before = await stats();
    let succeeded = 0;
    for (let i = 0; i < 40; i++)
      if ((await moto.aws.findCluster({ cluster: demoAccount.cluster }).catch(() => undefined))?.status === 'ACTIVE')
        succeeded += 1;
    const { calls, faults } = await stats();
    // 30% of attempts fail, 3 attempts a call: a call fails 2.7% of the time, so about one of 40
    // (more than 10 failing: odds below one in a billion).
    expect(succeeded).toBeGreaterThanOrEqual(30);
    // Every attempt reached the proxy; the ones that did not succeed are exactly the injected faults.
    const attempts = calls['ECS.DescribeClusters'] - (before.calls['ECS.DescribeClusters'] ?? 0);
    expect((faults['5xx'] ?? 0) + (faults.drop ?? 0)).toBe(attempts - succeeded);
    expect(faults['5xx']).toBeGreaterThan(0);
    expect(faults.drop).toBeGreaterThan(0);
  });

  it('a seeded fault draw repeats: the same seed and calls give the same faults', async () => {
    async function run(seed: number) {
      await setAwsScenario({
        faults: { rate: 0.4, kinds: ['5xx', 'throttle'], operations: '^ECS\\.DescribeClusters$', seed },
      });
      const before = await stats();
      const outcomes: string[] = [];
      for (let i = 0; i < 15; i++)
        outcomes.push(
          (await moto.aws.findCluster({ cluster: demoAccount.cluster }).catch(() => undefined))?.status ?? 'failed',
        );
      const after = await stats();
      const faults = (kind: '5xx' | 'throttle') => (after.faults[kind] ?? 0) - (before.faults[kind] ?? 0);
      return {
        outcomes,
        attempts: after.calls['ECS.DescribeClusters'] - (before.calls['ECS.DescribeClusters'] ?? 0),
        throttle: faults('throttle'),
        fiveXx: faults('5xx'),
      };
    }
    const first = await run(7);
    expect(first.attempts).toBeGreaterThan(15);
    expect(await run(7)).toEqual(first);
  });

  it('latency delays calls without failing them', async () => {
    await setAwsScenario({
      faults: { rate: 1, kinds: ['latency'], latencyMs: 400, operations: '^ECS\\.DescribeClusters$' },
    });
    const started = Date.now();
    expect(await moto.aws.findCluster({ cluster: demoAccount.cluster })).toMatchObject({ status: 'ACTIVE' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(400);
  });
});
