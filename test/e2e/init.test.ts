// `switchyard init CLUSTER/SERVICE` run as a user would, against an account a platform team runs without
// Switchyard (test/support/unmanaged-service.ts): the spec it prints loads and says what the account has;
// what Switchyard could not adopt is refused before anything is written. And `switchyard setup` (the old
// `switchyard init`, which still works with a warning) registering the search attributes.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time';
import { parse } from 'yaml';
import { destroyAwsClients } from '../../src/aws/clients';
import { emulatorCredentials } from '../../src/dev/demo';
import type { AccountClients } from '../../src/dev/seed';
import { allSearchAttributes } from '../../src/shared/naming';
import { isBlueGreen } from '../../src/shared/deployment';
import { loadSpec } from '../../src/spec/load';
import { cleanEnv, runCli } from '../support/cli';
import { awsClientsOnMoto, resetAws, servers, testRegion } from '../support/servers';
import {
  aliasTo,
  autoscale,
  createFargateService,
  createRule,
  createTargetGroup,
  seedUnmanagedService,
  type UnmanagedService,
} from '../support/unmanaged-service';

describe('switchyard init CLUSTER/SERVICE', () => {
  let clients: AccountClients;
  let seeded: UnmanagedService;
  let env: NodeJS.ProcessEnv;
  let dir: string;

  beforeAll(async () => {
    await resetAws();
    clients = awsClientsOnMoto();
    seeded = await seedUnmanagedService(clients);
    env = cleanEnv({
      AWS_ENDPOINT_URL: servers.awsEndpoint,
      AWS_REGION: testRegion,
      AWS_ACCESS_KEY_ID: emulatorCredentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: emulatorCredentials.secretAccessKey,
    });
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchyard-init-test-'));
  }, 120_000);

  afterAll(() => {
    destroyAwsClients(clients);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const file = (name: string) => path.join(dir, name);
  const specOf = (stdout: string, name: string) => {
    fs.writeFileSync(file(name), stdout);
    const spec = loadSpec(file(name));
    if (!isBlueGreen(spec)) throw new Error('expected a blue/green spec');
    return spec;
  };

  it('prints a spec of the service that loads and says what the account has', async () => {
    const result = await runCli(['init', `${seeded.cluster}/${seeded.service.name}`], env);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    const spec = specOf(result.stdout, 'printed.yaml');
    const hc = seeded.healthCheck;
    expect(spec).toMatchObject({
      service: 'storefront-web',
      environment: 'prod',
      cluster: seeded.cluster,
      image: seeded.container.image,
      container: { name: seeded.container.name, port: seeded.container.port },
      // The service wants 8; the scalable target allows 6-40.
      desiredCount: 8,
      network: { subnets: seeded.subnets, securityGroups: [seeded.securityGroup], assignPublicIp: false },
      loadBalancer: { name: seeded.loadBalancer.name, listenerPort: 443 },
      hosts: {
        production: seeded.productionHost,
        stage: `stage-${seeded.productionHost}`,
        productionRecord: 'manage',
      },
      hostedZone: seeded.zone.name,
      productionRule: { pathPatterns: [seeded.pathPattern] },
      healthCheck: {
        path: hc.path,
        intervalSeconds: hc.intervalSeconds,
        timeoutSeconds: hc.timeoutSeconds,
        healthyThreshold: hc.healthy,
        unhealthyThreshold: hc.unhealthy,
        matcher: hc.matcher,
      },
      healthCheckGracePeriodMs: 30_000,
      drainMs: seeded.targetGroup.deregistrationDelaySeconds * 1000,
      autoScaling: { from: 'production' },
      adopt: { service: seeded.service.name, retire: 'leave' },
      // (Seeded with enableExecuteCommand too, which moto forgets: DescribeServices never has it.)
      propagateTags: 'SERVICE',
      traffic: { name: 'steps' },
    });
    expect(spec.productionRule?.priority).toBeUndefined();
    expect(spec.traffic!.steps.filter((s) => s.kind === 'setWeight').map((s) => s.percent)).toEqual([10, 50, 100]);
    // The task definition as RegisterTaskDefinition takes it, without DescribeTaskDefinition's own fields.
    expect(spec.taskDefinition).toMatchObject({ family: 'storefront-web', cpu: '512', memory: '1024' });
    for (const field of [
      'taskDefinitionArn',
      'revision',
      'status',
      'requiresAttributes',
      'compatibilities',
      'registeredAt',
    ])
      expect(spec.taskDefinition).not.toHaveProperty(field);
    expect(result.stdout).toMatch(/productionRecord: manage # the record is an alias to this load balancer/);
    // The stage rule Switchyard creates only forwards: the seeded rule signs users in first.
    expect(result.stdout).toMatch(
      /stage: .* # .*production signs users in \(authenticate-oidc\), the stage rule does not/,
    );
    expect(parse(result.stdout).taskDefinition.containerDefinitions[0].environment).toEqual([
      { name: 'STOREFRONT_MODE', value: 'web' },
    ]);
  });

  it('writes -o FILE with the flags, refuses to overwrite it, and overwrites it with --force', async () => {
    const out = file('storefront.yaml');
    const args = ['init', '--cluster', seeded.cluster, '--service', seeded.service.name, '-o', out];
    const flags = ['--name', 'shop', '--environment', 'live', '--stage-host', `canary.${seeded.zone.name}`];
    const first = await runCli([...args, ...flags, '--retire', 'scaleToZero'], env);
    expect(first).toMatchObject({ code: 0, stdout: '' });
    expect(first.stderr).toContain(`wrote ${out}`);
    expect(loadSpec(out)).toMatchObject({
      service: 'shop',
      environment: 'live',
      hosts: { stage: `canary.${seeded.zone.name}` },
      adopt: { retire: 'scaleToZero' },
    });
    const before = fs.readFileSync(out, 'utf8');

    const again = await runCli(args, env);
    expect(again.code).toBe(1);
    expect(again.stderr).toBe(`switchyard: ${out} exists; refusing to overwrite it (--force does)\n`);
    expect(fs.readFileSync(out, 'utf8')).toBe(before);

    const forced = await runCli([...args, '--force', '--scaling-from-spec'], env);
    expect(forced.code).toBe(0);
    expect(loadSpec(out)).toMatchObject({
      service: 'storefront-web',
      autoScaling: {
        minCapacity: 6,
        maxCapacity: 40,
        policies: [
          {
            name: 'storefront-cpu',
            targetTracking: {
              metric: 'ECSServiceAverageCPUUtilization',
              targetValue: 60,
              scaleInCooldownMs: 300_000,
              scaleOutCooldownMs: 60_000,
            },
          },
          {
            name: 'storefront-requests',
            targetTracking: { metric: 'ALBRequestCountPerTarget', targetValue: 800, scaleInCooldownMs: 120_000 },
          },
        ],
      },
    });
  });

  it("leaves a production record that is not the load balancer's alias, and says why", async () => {
    const cloudFront = 'd111111abcdef8.cloudfront.net';
    // CloudFront's one hosted zone id, as every alias to a distribution names it.
    await aliasTo(clients.route53, seeded.zone.id, seeded.productionHost, cloudFront, 'Z2FDTNDATAQYW2');
    try {
      const result = await runCli(['init', `${seeded.cluster}/${seeded.service.name}`], env);
      expect(result.code).toBe(0);
      expect(specOf(result.stdout, 'cloudfront.yaml').hosts.productionRecord).toBe('leave');
      expect(result.stdout).toContain(
        `productionRecord: leave # left alone: the A record of ${seeded.productionHost} is an alias to ${cloudFront}, not the load balancer`,
      );
    } finally {
      const lb = seeded.loadBalancer;
      await aliasTo(
        clients.route53,
        seeded.zone.id,
        seeded.productionHost,
        `dualstack.${lb.dnsName}`,
        lb.canonicalHostedZoneId,
      );
    }
  });

  /** Runs init for a service that cannot be adopted: exit 1, the message, and no file written. */
  async function refused(service: string, message: RegExp): Promise<void> {
    const out = file(`${service}.yaml`);
    const result = await runCli(['init', `${seeded.cluster}/${service}`, '-o', out], env);
    expect(result).toMatchObject({ code: 1, stdout: '' });
    expect(result.stderr).toMatch(message);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(fs.existsSync(out)).toBe(false);
  }

  const fargateService = (name: string, extra: object) =>
    createFargateService(clients, {
      cluster: seeded.cluster,
      serviceName: name,
      taskDefinition: seeded.taskDefinitionArn,
      desiredCount: 1,
      networkConfiguration: {
        awsvpcConfiguration: { subnets: seeded.subnets, securityGroups: [seeded.securityGroup] },
      },
      ...extra,
    });
  const behind = (targetGroupArn: string) => ({
    targetGroupArn,
    containerName: seeded.container.name,
    containerPort: seeded.container.port,
  });
  const routed = async (name: string, priority: number, conditions: Parameters<typeof createRule>[4]) => {
    const tg = await createTargetGroup(clients, seeded.vpcId, name);
    await createRule(clients, seeded.listenerArn, priority, tg.arn, conditions);
    return tg;
  };
  const host = (name: string) => ({
    Field: 'host-header',
    HostHeaderConfig: { Values: [`${name}.${seeded.zone.name}`] },
  });

  it("carries a rule's http-header condition into productionRule", async () => {
    const tg = await routed('storefront-beta', 60, [
      host('beta'),
      { Field: 'http-header', HttpHeaderConfig: { HttpHeaderName: 'X-Beta', Values: ['on'] } },
    ]);
    await fargateService('storefront-beta-prod', { loadBalancers: [behind(tg.arn)] });
    const result = await runCli(['init', `${seeded.cluster}/storefront-beta-prod`], env);
    expect(result.code).toBe(0);
    const spec = specOf(result.stdout, 'beta.yaml');
    expect(spec.hosts.production).toBe(`beta.${seeded.zone.name}`);
    expect(spec.productionRule).toEqual({ httpHeaders: [{ name: 'X-Beta', values: ['on'] }] });
    // No scalable target: no autoScaling, and the service's own count.
    expect(spec.autoScaling).toBeUndefined();
    expect(spec.desiredCount).toBe(1);
  });

  it.each([
    [['init', '--cluster', 'platform'], 'switchyard: --cluster and --service go together: name both\n'],
    [['init', 'platform'], 'switchyard: expected CLUSTER/SERVICE (e.g. main/web-prod), got "platform"\n'],
    [
      ['init', '-o', 'spec.yaml'],
      'switchyard: name the ECS service to read: switchyard init CLUSTER/SERVICE (or --cluster C --service S)\n',
    ],
  ])('refuses %j before reading AWS', async (args, stderr) => {
    expect(await runCli(args, env)).toEqual({ code: 1, stdout: '', stderr });
  });

  it('refuses a service that does not exist', async () => {
    await refused(
      'storefront-gone',
      /^switchyard: cannot generate a spec: ECS has no service storefront-gone in cluster platform \(MISSING\); check the names/,
    );
  });

  it('refuses a service without a load balancer, and one with two', async () => {
    await fargateService('storefront-jobs', {});
    await refused(
      'storefront-jobs',
      /ECS service storefront-jobs has 0 load balancer entries \(none\); Switchyard shifts the traffic of one target group/,
    );
    const admin = await routed('storefront-admin', 20, [host('admin')]);
    await fargateService('storefront-both', { loadBalancers: [behind(seeded.targetGroup.arn), behind(admin.arn)] });
    await refused(
      'storefront-both',
      new RegExp(`has 2 load balancer entries \\(${seeded.targetGroup.arn}, ${admin.arn}\\)`),
    );
  });

  it('refuses a service CodeDeploy deploys', async () => {
    const tg = await routed('storefront-codedeploy', 30, [host('cd')]);
    await fargateService('storefront-cd', {
      loadBalancers: [behind(tg.arn)],
      deploymentController: { type: 'CODE_DEPLOY' },
    });
    await refused(
      'storefront-cd',
      /ECS service storefront-cd is deployed by its CODE_DEPLOY deployment controller; Switchyard adopts services with the ECS controller/,
    );
  });

  it('refuses a production rule with a source-ip condition', async () => {
    const tg = await routed('storefront-office', 40, [
      host('office'),
      { Field: 'source-ip', SourceIpConfig: { Values: ['203.0.113.0/24'] } },
    ]);
    await fargateService('storefront-office', { loadBalancers: [behind(tg.arn)] });
    await refused(
      'storefront-office',
      /rule 40 of listener 443 has a source-ip condition; Switchyard matches production's rule by host, path patterns and HTTP headers only/,
    );
  });

  it('refuses a step scaling policy', async () => {
    const tg = await routed('storefront-steps', 50, [host('steps')]);
    await fargateService('storefront-steps', { loadBalancers: [behind(tg.arn)] });
    await autoscale(clients, `service/${seeded.cluster}/storefront-steps`, { min: 1, max: 4 }, [
      {
        PolicyName: 'storefront-steps-out',
        PolicyType: 'StepScaling',
        StepScalingPolicyConfiguration: {
          AdjustmentType: 'ChangeInCapacity',
          StepAdjustments: [{ MetricIntervalLowerBound: 0, ScalingAdjustment: 1 }],
          Cooldown: 60,
        },
      },
    ]);
    await refused(
      'storefront-steps',
      /scaling policy storefront-steps-out of ECS service storefront-steps is a step scaling policy; Switchyard carries over target-tracking policies on predefined metrics only/,
    );
  });
});

describe('switchyard setup (and init without a service)', () => {
  const namespace = `setup-${Date.now().toString(36)}`;

  beforeAll(async () => {
    const connection = await Connection.connect({ address: servers.temporalAddress });
    try {
      await connection.workflowService.registerNamespace({
        namespace,
        workflowExecutionRetentionPeriod: msToTs('1 day'),
      });
    } finally {
      await connection.close();
    }
  });

  it('registers the search attributes once, then reports them as present; init still does, with a warning', async () => {
    const env = cleanEnv({ TEMPORAL_ADDRESS: servers.temporalAddress, TEMPORAL_NAMESPACE: namespace });
    const where = `${servers.temporalAddress} namespace ${namespace}`;
    const names = allSearchAttributes.map((k) => k.name).join(', ');
    expect(names).toContain('SwitchyardDeploymentId');
    const first = await runCli(['setup'], env);
    expect(first).toMatchObject({
      code: 0,
      stdout: `registered search attributes on ${where}: ${names}\n`,
      stderr: '',
    });
    const second = await runCli(['init'], env);
    expect(second).toMatchObject({
      code: 0,
      stdout: `already registered on ${where}: ${names}\n`,
      stderr: 'switchyard: `switchyard init` without a service is deprecated; use `switchyard setup`\n',
    });
  });
});
