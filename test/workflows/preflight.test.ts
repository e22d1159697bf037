// The preflight workflow on the time-skipping test server, with faked activities.
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import type { Activities } from '../../src/activities';
import type { ClusterSummary } from '../../src/activities/ecs';
import type { LoadBalancerSummary } from '../../src/activities/elbv2';
import type { HostedZoneSummary } from '../../src/activities/route53';
import type { PreflightInput } from '../../src/shared/preflight';
import type { preflight } from '../../src/workflows';
import { attachTimeSkipping, servers, uniqueTaskQueue } from '../support/servers';

const input: PreflightInput = {
  cluster: 'prod',
  loadBalancer: 'web-alb',
  listenerPort: 443,
  hostedZone: 'example.com',
};

const cluster: ClusterSummary = {
  name: 'prod',
  arn: 'arn:aws:ecs:us-east-1:123456789012:cluster/prod',
  status: 'ACTIVE',
  capacityProviders: [],
};
const lb: LoadBalancerSummary = {
  name: 'web-alb',
  arn: 'arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/web-alb/1',
  dnsName: 'web-alb-1.us-east-1.elb.amazonaws.com',
  canonicalHostedZoneId: 'Z35SXDOTRQ7X7K',
  vpcId: 'vpc-1',
  subnetIds: ['subnet-1', 'subnet-2'],
  securityGroupIds: ['sg-1'],
  listenerPorts: [80, 443],
};
const zone: HostedZoneSummary = { id: 'Z123', name: 'example.com.', privateZone: false };

type Lookups = Pick<Activities, 'findCluster' | 'findLoadBalancer' | 'findHostedZone'> &
  Partial<Pick<Activities, 'describeAlarmStates'>>;

function fakeLookups(found: { cluster?: ClusterSummary; lb?: LoadBalancerSummary; zone?: HostedZoneSummary }) {
  const calls: string[] = [];
  const activities: Lookups = {
    async findCluster({ cluster: name }) {
      calls.push(`findCluster ${name}`);
      return found.cluster;
    },
    async findLoadBalancer({ loadBalancer: name }) {
      calls.push(`findLoadBalancer ${name}`);
      return found.lb;
    },
    async findHostedZone({ name }) {
      calls.push(`findHostedZone ${name}`);
      return found.zone;
    },
  };
  return { activities, calls };
}

describe('preflight workflow', () => {
  let env: TestWorkflowEnvironment;
  beforeAll(async () => {
    env = await attachTimeSkipping();
  });
  afterAll(async () => {
    await env?.teardown();
  });

  async function run(activities: Lookups, args: PreflightInput = input) {
    const taskQueue = uniqueTaskQueue('preflight');
    const worker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue,
      workflowBundle: { codePath: servers.workflowBundlePath },
      activities,
    });
    return worker.runUntil(
      env.client.workflow.execute<typeof preflight>('preflight', { taskQueue, workflowId: taskQueue, args: [args] }),
    );
  }

  it('passes when the cluster is active, the load balancer has the listener and the zone exists', async () => {
    const { activities, calls } = fakeLookups({ cluster, lb, zone });
    const report = await run(activities);
    expect(report.ok).toBe(true);
    expect(report.checks.map((c) => [c.resource, c.ok])).toEqual([
      ['cluster', true],
      ['loadBalancer', true],
      ['listener', true],
      ['hostedZone', true],
    ]);
    expect(calls.sort()).toEqual(['findCluster prod', 'findHostedZone example.com', 'findLoadBalancer web-alb']);
  });

  it('reports every missing piece at once', async () => {
    const { activities } = fakeLookups({ cluster: { ...cluster, status: 'INACTIVE' } });
    const report = await run(activities);
    expect(report.ok).toBe(false);
    expect(report.checks.filter((c) => !c.ok).map((c) => `${c.resource}: ${c.detail}`)).toEqual([
      'cluster: status INACTIVE',
      'loadBalancer: not found',
      'listener: no load balancer',
      'hostedZone: not found',
    ]);
  });

  it('fails the listener check when the load balancer lacks the port', async () => {
    const { activities } = fakeLookups({ cluster, lb: { ...lb, listenerPorts: [80] }, zone });
    const report = await run(activities);
    expect(report.checks.find((c) => c.resource === 'listener')).toMatchObject({
      ok: false,
      detail: 'listeners on 80',
    });
  });

  it("checks a deployment's alarms and capacity providers when it names them", async () => {
    const { activities } = fakeLookups({ cluster: { ...cluster, capacityProviders: ['FARGATE'] }, lb, zone });
    const alarms: string[][] = [];
    const describeAlarmStates = async ({ alarmNames: names }: { alarmNames: string[] }) => {
      alarms.push(names);
      return { 'web-5xx': 'OK' };
    };
    const report = await run(
      { ...activities, describeAlarmStates },
      { ...input, alarms: ['web-5xx', 'web-latency'], capacityProviders: ['FARGATE', 'FARGATE_SPOT'] },
    );
    expect(alarms).toEqual([['web-5xx', 'web-latency']]);
    expect(report.ok).toBe(false);
    expect(report.checks.slice(4).map((c) => [c.resource, c.name, c.ok, c.detail])).toEqual([
      ['capacityProvider', 'FARGATE', true, 'cluster has FARGATE'],
      ['capacityProvider', 'FARGATE_SPOT', false, 'cluster has FARGATE'],
      ['alarm', 'web-5xx', true, 'OK'],
      ['alarm', 'web-latency', false, 'not found'],
    ]);
  });

  it('retries a lookup that fails transiently', async () => {
    const { activities } = fakeLookups({ cluster, lb, zone });
    let failures = 0;
    const flaky: Lookups = {
      ...activities,
      async findHostedZone(input) {
        if (failures < 2) {
          failures += 1;
          throw Object.assign(new Error('Rate exceeded'), { name: 'Throttling' });
        }
        return activities.findHostedZone(input);
      },
    };
    const report = await run(flaky);
    expect(failures).toBe(2);
    expect(report.ok).toBe(true);
  });
});
