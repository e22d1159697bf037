// Seeds an (emulated) account with what a demo deployment needs: a cluster, an ALB with an HTTP
// listener in the default VPC's subnets, a hosted zone, and the permissions boundary of the task roles
// Switchyard creates (what an account admin sets up once, examples/iam/); the dev stack also pushes the
// demo's images to ECR (seedImages). Each step is skipped when already there.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import {
  DescribeSecurityGroupsCommand,
  DescribeSubnetsCommand,
  DescribeVpcsCommand,
  EC2Client,
} from '@aws-sdk/client-ec2';
import {
  CreateRepositoryCommand,
  DescribeImagesCommand,
  DescribeRepositoriesCommand,
  PutImageCommand,
} from '@aws-sdk/client-ecr';
import { CreateClusterCommand } from '@aws-sdk/client-ecs';
import { CreateListenerCommand, CreateLoadBalancerCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { CreatePolicyCommand, GetPolicyCommand } from '@aws-sdk/client-iam';
import { CreateHostedZoneCommand } from '@aws-sdk/client-route-53';
import { createActivities } from '../activities';
import { roleBoundaryOf } from '../activities/sts';
import { clientConfig, createAwsClients, type AwsClientOptions, type AwsClients } from '../aws/clients';

/** The boundary policy an account admin creates once (README: least privilege). */
export const roleBoundaryFile = path.resolve(__dirname, '..', '..', 'examples', 'iam', 'task-role-boundary.json');

export interface SeedNames {
  cluster: string;
  loadBalancer: string;
  listenerPort: number;
  hostedZone: string;
}

/**
 * The activities' clients and an EC2 client, for the account's side: its default network (seeding) and
 * its instances (src/dev/emulator/ec2-capacity.ts). The worker never calls EC2, so never builds one.
 */
export interface AccountClients extends AwsClients {
  ec2: EC2Client;
}

export function createAccountClients(options: AwsClientOptions): AccountClients {
  return { ...createAwsClients(options), ec2: new EC2Client(clientConfig(options)) };
}

export async function seedAccount(clients: AccountClients, names: SeedNames): Promise<string[]> {
  const find = createActivities(clients);
  const created: string[] = [];

  const cluster = await find.findCluster({ cluster: names.cluster });
  if (cluster?.status !== 'ACTIVE') {
    // With Fargate's capacity providers associated, as the ECS console creates a cluster (a spec may name
    // FARGATE or FARGATE_SPOT in its capacityProviderStrategy).
    await clients.ecs.send(
      new CreateClusterCommand({ clusterName: names.cluster, capacityProviders: ['FARGATE', 'FARGATE_SPOT'] }),
    );
    created.push(`ECS cluster ${names.cluster}`);
  }

  let lb = await find.findLoadBalancer({ loadBalancer: names.loadBalancer });
  if (!lb) {
    const network = await defaultNetwork(clients);
    const out = await clients.elbv2.send(
      new CreateLoadBalancerCommand({
        Name: names.loadBalancer,
        Type: 'application',
        Scheme: 'internet-facing',
        Subnets: network.subnetIds.slice(0, 2),
        SecurityGroups: network.securityGroupIds,
      }),
    );
    created.push(`load balancer ${names.loadBalancer}`);
    lb = (await find.findLoadBalancer({ loadBalancer: out.LoadBalancers![0].LoadBalancerArn! }))!;
  }
  if (!lb.listenerPorts.includes(names.listenerPort)) {
    await clients.elbv2.send(
      new CreateListenerCommand({
        LoadBalancerArn: lb.arn,
        Protocol: 'HTTP',
        Port: names.listenerPort,
        DefaultActions: [
          {
            Type: 'fixed-response',
            FixedResponseConfig: { StatusCode: '404', ContentType: 'text/plain', MessageBody: 'no route' },
          },
        ],
      }),
    );
    created.push(`HTTP listener on port ${names.listenerPort}`);
  }

  if (!(await find.findHostedZone({ name: names.hostedZone }))) {
    await clients.route53.send(
      new CreateHostedZoneCommand({ Name: names.hostedZone, CallerReference: `switchyard-seed-${names.hostedZone}` }),
    );
    created.push(`hosted zone ${names.hostedZone}`);
  }

  const boundary = await seedRoleBoundary(clients);
  if (boundary) created.push(`IAM policy ${boundary} (the task roles' permissions boundary)`);
  return created;
}

/** The task roles' permissions boundary, as an account admin creates it once; its ARN when it was missing. */
export async function seedRoleBoundary(clients: Pick<AccountClients, 'sts' | 'iam'>): Promise<string | undefined> {
  const boundary = await roleBoundaryOf(clients.sts)();
  try {
    await clients.iam.send(new GetPolicyCommand({ PolicyArn: boundary }));
    return undefined;
  } catch (err) {
    if ((err as Error).name !== 'NoSuchEntityException') throw err;
  }
  const [, policyPath, name] = /:policy(\/.*\/)([^/]+)$/.exec(boundary)!;
  await clients.iam.send(
    new CreatePolicyCommand({
      PolicyName: name,
      Path: policyPath,
      PolicyDocument: fs.readFileSync(roleBoundaryFile, 'utf8'),
      Description: 'The most the task roles Switchyard creates may ever do',
    }),
  );
  return boundary;
}

/**
 * An ECR repository with an image under each tag (a small manifest of its own per tag: nothing pulls it
 * in the emulator), so the demo's images resolve to digests as in an account.
 */
export async function seedImages(
  clients: Pick<AwsClients, 'ecr'>,
  images: { repository: string; tags: readonly string[] },
): Promise<string[]> {
  const ecr = clients.ecr.local;
  const repositoryName = images.repository;
  const created: string[] = [];
  const exists = await ecr.send(new DescribeRepositoriesCommand({ repositoryNames: [repositoryName] })).then(
    () => true,
    (err: Error) => {
      if (err.name === 'RepositoryNotFoundException') return false;
      throw err;
    },
  );
  if (!exists) {
    await ecr.send(new CreateRepositoryCommand({ repositoryName }));
    created.push(`ECR repository ${repositoryName}`);
  }
  for (const tag of images.tags) {
    const held = await ecr.send(new DescribeImagesCommand({ repositoryName, imageIds: [{ imageTag: tag }] })).then(
      () => true,
      (err: Error) => {
        if (err.name === 'ImageNotFoundException') return false;
        throw err;
      },
    );
    if (held) continue;
    await ecr.send(
      new PutImageCommand({ repositoryName, imageTag: tag, imageManifest: demoManifest(repositoryName, tag) }),
    );
    created.push(`image ${repositoryName}:${tag}`);
  }
  return created;
}

/** A Docker image manifest (v2, schema 2) of its own for each repository and tag. */
function demoManifest(repository: string, tag: string): string {
  const digest = (what: string) =>
    `sha256:${createHash('sha256').update(`switchyard demo ${repository}:${tag} ${what}`).digest('hex')}`;
  return JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
    config: { mediaType: 'application/vnd.docker.container.image.v1+json', size: 1469, digest: digest('config') },
    layers: [
      { mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip', size: 29_150_000, digest: digest('layer') },
    ],
  });
}

export async function defaultNetwork(
  clients: AccountClients,
): Promise<{ subnetIds: string[]; securityGroupIds: string[] }> {
  const vpcs = await clients.ec2.send(new DescribeVpcsCommand({ Filters: [{ Name: 'is-default', Values: ['true'] }] }));
  const vpcId = vpcs.Vpcs?.[0]?.VpcId;
  if (!vpcId) throw new Error('the account has no default VPC to place the demo load balancer in');
  const subnets = await clients.ec2.send(
    new DescribeSubnetsCommand({ Filters: [{ Name: 'vpc-id', Values: [vpcId] }] }),
  );
  const groups = await clients.ec2.send(
    new DescribeSecurityGroupsCommand({
      Filters: [
        { Name: 'vpc-id', Values: [vpcId] },
        { Name: 'group-name', Values: ['default'] },
      ],
    }),
  );
  return {
    subnetIds: (subnets.Subnets ?? []).map((s) => s.SubnetId!).filter(Boolean),
    securityGroupIds: (groups.SecurityGroups ?? []).map((g) => g.GroupId!).filter(Boolean),
  };
}
