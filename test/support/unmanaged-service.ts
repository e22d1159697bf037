// An account as a platform team runs it, before Switchyard: a Fargate service (named its own way, no
// Switchyard tags) behind an HTTPS listener rule (host + path, authenticate-oidc before the forward),
// autoscaled by Application Auto Scaling (CPU and request-count target tracking), its production host an
// alias to the ALB in a public zone. Seeded in the order AWS requires, with every field AWS requires: the
// target group attached by a rule before a service uses it, the scalable target before its policies.
import {
  PutScalingPolicyCommand,
  RegisterScalableTargetCommand,
  type PutScalingPolicyCommandInput,
} from '@aws-sdk/client-application-auto-scaling';
import { CreateSecurityGroupCommand, CreateSubnetCommand, CreateVpcCommand } from '@aws-sdk/client-ec2';
import {
  CreateClusterCommand,
  CreateServiceCommand,
  DescribeServicesCommand,
  RegisterTaskDefinitionCommand,
  type CreateServiceCommandInput,
} from '@aws-sdk/client-ecs';
import {
  CreateListenerCommand,
  CreateLoadBalancerCommand,
  CreateRuleCommand,
  CreateTargetGroupCommand,
  ModifyTargetGroupAttributesCommand,
  type LoadBalancer,
  type RuleCondition,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { ChangeResourceRecordSetsCommand, CreateHostedZoneCommand } from '@aws-sdk/client-route-53';
import { waitUntilListed } from '../../src/dev/emulator/ec2-capacity';
import { seedRoleBoundary, type AccountClients } from '../../src/dev/seed';
import { requestTestCertificate } from './servers';

export interface UnmanagedService {
  cluster: string;
  vpcId: string;
  subnets: string[];
  securityGroup: string;
  loadBalancer: { arn: string; name: string; dnsName: string; canonicalHostedZoneId: string };
  listenerArn: string;
  targetGroup: { arn: string; name: string; deregistrationDelaySeconds: number };
  ruleArn: string;
  service: { name: string; arn: string; desiredCount: number };
  taskDefinitionArn: string;
  container: { name: string; port: number; image: string };
  zone: { id: string; name: string };
  productionHost: string;
  pathPattern: string;
  healthCheck: {
    path: string;
    intervalSeconds: number;
    timeoutSeconds: number;
    healthy: number;
    unhealthy: number;
    matcher: string;
  };
  scaling: { resourceId: string; min: number; max: number; policies: string[] };
}

const oidc = {
  Issuer: 'https://login.example.com',
  AuthorizationEndpoint: 'https://login.example.com/authorize',
  TokenEndpoint: 'https://login.example.com/token',
  UserInfoEndpoint: 'https://login.example.com/userinfo',
  ClientId: 'storefront',
  ClientSecret: 'seeded-not-returned-by-aws',
};

export const seededHealthCheck = {
  path: '/healthz',
  intervalSeconds: 10,
  timeoutSeconds: 4,
  healthy: 3,
  unhealthy: 2,
  matcher: '200-299',
};

/** Seeds the account (emptied before) with the platform team's service; returns what it made. */
export async function seedUnmanagedService(
  clients: AccountClients,
  names: { cluster?: string; service?: string; zone?: string } = {},
): Promise<UnmanagedService> {
  const cluster = names.cluster ?? 'platform';
  const zoneName = names.zone ?? 'shop.example.test';
  const serviceName = names.service ?? 'storefront-web-prod';
  const productionHost = `web.${zoneName}`;
  const pathPattern = '/app/*';

  await clients.ecs.send(new CreateClusterCommand({ clusterName: cluster, capacityProviders: ['FARGATE'] }));
  await seedRoleBoundary(clients);
  const { vpcId, subnets, securityGroup } = await seedNetwork(clients);
  const { lb, listenerArn } = await seedHttpsLoadBalancer(clients, subnets, securityGroup, zoneName);

  const hc = seededHealthCheck;
  const targetGroup = await createTargetGroup(clients, vpcId, 'storefront-web');
  const deregistrationDelaySeconds = 120;
  await clients.elbv2.send(
    new ModifyTargetGroupAttributesCommand({
      TargetGroupArn: targetGroup.arn,
      Attributes: [{ Key: 'deregistration_delay.timeout_seconds', Value: String(deregistrationDelaySeconds) }],
    }),
  );
  const ruleArn = await createRule(clients, listenerArn, 10, targetGroup.arn, [
    { Field: 'host-header', HostHeaderConfig: { Values: [productionHost] } },
    { Field: 'path-pattern', PathPatternConfig: { Values: [pathPattern] } },
  ]);

  const container = { name: 'app', port: 8080, image: 'registry.example.com/storefront/web:2.3.1' };
  const taskDefinitionArn = (
    await clients.ecs.send(
      new RegisterTaskDefinitionCommand({
        family: 'storefront-web',
        requiresCompatibilities: ['FARGATE'],
        networkMode: 'awsvpc',
        cpu: '512',
        memory: '1024',
        containerDefinitions: [
          {
            name: container.name,
            image: container.image,
            essential: true,
            portMappings: [{ containerPort: container.port, protocol: 'tcp' }],
            environment: [{ name: 'STOREFRONT_MODE', value: 'web' }],
          },
        ],
      }),
    )
  ).taskDefinition!.taskDefinitionArn!;

  const desiredCount = 8;
  const serviceArn = await createFargateService(clients, {
    cluster,
    serviceName,
    taskDefinition: taskDefinitionArn,
    desiredCount,
    networkConfiguration: {
      awsvpcConfiguration: { subnets, securityGroups: [securityGroup], assignPublicIp: 'DISABLED' },
    },
    loadBalancers: [{ targetGroupArn: targetGroup.arn, containerName: container.name, containerPort: container.port }],
    healthCheckGracePeriodSeconds: 30,
    enableExecuteCommand: true,
    propagateTags: 'SERVICE',
  });

  const resourceId = `service/${cluster}/${serviceName}`;
  const lbLabel = lb.LoadBalancerArn!.split(':loadbalancer/')[1];
  const tgLabel = targetGroup.arn.split(':').pop()!;
  const policies = await autoscale(clients, resourceId, { min: 6, max: 40 }, [
    {
      PolicyName: 'storefront-cpu',
      TargetTrackingScalingPolicyConfiguration: {
        TargetValue: 60,
        PredefinedMetricSpecification: { PredefinedMetricType: 'ECSServiceAverageCPUUtilization' },
        ScaleInCooldown: 300,
        ScaleOutCooldown: 60,
      },
    },
    {
      PolicyName: 'storefront-requests',
      TargetTrackingScalingPolicyConfiguration: {
        TargetValue: 800,
        PredefinedMetricSpecification: {
          PredefinedMetricType: 'ALBRequestCountPerTarget',
          ResourceLabel: `${lbLabel}/${tgLabel}`,
        },
        ScaleInCooldown: 120,
        ScaleOutCooldown: 30,
      },
    },
  ]);

  const zone = await clients.route53.send(
    new CreateHostedZoneCommand({ Name: zoneName, CallerReference: `storefront-${Date.now()}` }),
  );
  const zoneId = zone.HostedZone!.Id!.replace(/^\/hostedzone\//, '');
  await aliasTo(clients.route53, zoneId, productionHost, `dualstack.${lb.DNSName}`, lb.CanonicalHostedZoneId!);

  return {
    cluster,
    vpcId,
    subnets,
    securityGroup,
    loadBalancer: {
      arn: lb.LoadBalancerArn!,
      name: lb.LoadBalancerName!,
      dnsName: lb.DNSName!,
      canonicalHostedZoneId: lb.CanonicalHostedZoneId!,
    },
    listenerArn,
    targetGroup: { ...targetGroup, deregistrationDelaySeconds },
    ruleArn,
    service: { name: serviceName, arn: serviceArn, desiredCount },
    taskDefinitionArn,
    container,
    zone: { id: zoneId, name: zoneName },
    productionHost,
    pathPattern,
    healthCheck: hc,
    scaling: { resourceId, min: 6, max: 40, policies },
  };
}

/** A VPC of the team's own: two subnets in two zones (an ALB needs two), a security group. */
async function seedNetwork(
  clients: AccountClients,
): Promise<{ vpcId: string; subnets: string[]; securityGroup: string }> {
  const vpcId = (await clients.ec2.send(new CreateVpcCommand({ CidrBlock: '10.40.0.0/16' }))).Vpc!.VpcId!;
  const subnets: string[] = [];
  for (const [i, az] of ['us-east-1a', 'us-east-1b'].entries()) {
    const out = await clients.ec2.send(
      new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: `10.40.${i}.0/24`, AvailabilityZone: az }),
    );
    subnets.push(out.Subnet!.SubnetId!);
  }
  const securityGroup = (
    await clients.ec2.send(
      new CreateSecurityGroupCommand({ GroupName: 'storefront', Description: 'storefront web', VpcId: vpcId }),
    )
  ).GroupId!;
  return { vpcId, subnets, securityGroup };
}

/** The ALB and its HTTPS listener on 443, whose default action is a 404. */
async function seedHttpsLoadBalancer(
  clients: AccountClients,
  subnets: string[],
  securityGroup: string,
  zoneName: string,
): Promise<{ lb: LoadBalancer; listenerArn: string }> {
  const lbOut = await clients.elbv2.send(
    new CreateLoadBalancerCommand({
      Name: 'storefront-edge',
      Type: 'application',
      Scheme: 'internet-facing',
      Subnets: subnets,
      SecurityGroups: [securityGroup],
    }),
  );
  const lb = lbOut.LoadBalancers![0];
  // Authenticate actions need an HTTPS listener, and an HTTPS listener a certificate.
  const listenerArn = (
    await clients.elbv2.send(
      new CreateListenerCommand({
        LoadBalancerArn: lb.LoadBalancerArn,
        Protocol: 'HTTPS',
        Port: 443,
        Certificates: [{ CertificateArn: await requestTestCertificate(`*.${zoneName}`) }],
        DefaultActions: [
          {
            Type: 'fixed-response',
            FixedResponseConfig: { StatusCode: '404', ContentType: 'text/plain', MessageBody: 'not found' },
          },
        ],
      }),
    )
  ).Listeners![0].ListenerArn!;
  return { lb, listenerArn };
}

export async function createTargetGroup(
  clients: AccountClients,
  vpcId: string,
  name: string,
): Promise<{ arn: string; name: string }> {
  const hc = seededHealthCheck;
  const out = await clients.elbv2.send(
    new CreateTargetGroupCommand({
      Name: name,
      Protocol: 'HTTP',
      Port: 8080,
      VpcId: vpcId,
      TargetType: 'ip',
      HealthCheckProtocol: 'HTTP',
      HealthCheckPath: hc.path,
      HealthCheckIntervalSeconds: hc.intervalSeconds,
      HealthCheckTimeoutSeconds: hc.timeoutSeconds,
      HealthyThresholdCount: hc.healthy,
      UnhealthyThresholdCount: hc.unhealthy,
      Matcher: { HttpCode: hc.matcher },
    }),
  );
  return { arn: out.TargetGroups![0].TargetGroupArn!, name };
}

/** A rule on the HTTPS listener: sign-in first (authenticate-oidc, Order 1), then the forward (Order 2). */
export async function createRule(
  clients: AccountClients,
  listenerArn: string,
  priority: number,
  targetGroupArn: string,
  conditions: RuleCondition[],
): Promise<string> {
  const out = await clients.elbv2.send(
    new CreateRuleCommand({
      ListenerArn: listenerArn,
      Priority: priority,
      Conditions: conditions,
      Actions: [
        { Type: 'authenticate-oidc', Order: 1, AuthenticateOidcConfig: oidc },
        { Type: 'forward', Order: 2, ForwardConfig: { TargetGroups: [{ TargetGroupArn: targetGroupArn, Weight: 1 }] } },
      ],
    }),
  );
  return out.Rules![0].RuleArn!;
}

/** A Fargate service made outside Switchyard, waited for until DescribeServices lists it. */
export async function createFargateService(
  clients: AccountClients,
  input: CreateServiceCommandInput & { cluster: string; serviceName: string },
): Promise<string> {
  const out = await clients.ecs.send(new CreateServiceCommand({ launchType: 'FARGATE', ...input }));
  await waitUntilListed(clients, input.cluster, input.serviceName);
  await waitUntilRunning(clients, input.cluster, input.serviceName);
  return out.service!.serviceArn!;
}

async function waitUntilRunning(clients: AccountClients, cluster: string, service: string): Promise<void> {
  for (const until = Date.now() + 30_000; Date.now() < until; await new Promise((r) => setTimeout(r, 200))) {
    const s = (await clients.ecs.send(new DescribeServicesCommand({ cluster, services: [service] }))).services?.[0];
    if (s && (s.desiredCount === 0 || (s.runningCount ?? 0) > 0)) return;
  }
  throw new Error(`ECS service ${service} runs no task 30 s after its creation`);
}

/** The scalable target first (AWS refuses a policy on a target not registered), then each policy. */
export async function autoscale(
  clients: AccountClients,
  resourceId: string,
  bounds: { min: number; max: number },
  policies: Omit<PutScalingPolicyCommandInput, 'ServiceNamespace' | 'ResourceId' | 'ScalableDimension'>[],
): Promise<string[]> {
  const target = {
    ServiceNamespace: 'ecs',
    ResourceId: resourceId,
    ScalableDimension: 'ecs:service:DesiredCount',
  } as const;
  await clients.applicationAutoScaling.send(
    new RegisterScalableTargetCommand({ ...target, MinCapacity: bounds.min, MaxCapacity: bounds.max }),
  );
  for (const policy of policies)
    await clients.applicationAutoScaling.send(
      new PutScalingPolicyCommand({ PolicyType: 'TargetTrackingScaling', ...target, ...policy }),
    );
  return policies.map((p) => p.PolicyName!);
}

/** The host's A record as an alias (UPSERT): to the load balancer, or to whatever else a test needs. */
export async function aliasTo(
  route53: AccountClients['route53'],
  zoneId: string,
  host: string,
  dnsName: string,
  aliasZoneId: string,
): Promise<void> {
  await route53.send(
    new ChangeResourceRecordSetsCommand({
      HostedZoneId: zoneId,
      ChangeBatch: {
        Changes: [
          {
            Action: 'UPSERT',
            ResourceRecordSet: {
              Name: host,
              Type: 'A',
              AliasTarget: { DNSName: dnsName, HostedZoneId: aliasZoneId, EvaluateTargetHealth: false },
            },
          },
        ],
      },
    }),
  );
}
