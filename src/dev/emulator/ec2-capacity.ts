// EC2 capacity for a cluster, as an Auto Scaling group of ECS-optimized instances gives it: running
// instances, each registered as a container instance (in AWS the ECS agent on the instance registers it;
// moto takes the identity document alone). The account's side of a test or a benchmark (the product never
// launches instances): without any, ECS cannot place an EC2 task, here as in AWS.
import { DescribeImagesCommand, DescribeSubnetsCommand, RunInstancesCommand } from '@aws-sdk/client-ec2';
import {
  CreateServiceCommand,
  DescribeServicesCommand,
  ListContainerInstancesCommand,
  RegisterContainerInstanceCommand,
  type CreateServiceCommandInput,
} from '@aws-sdk/client-ecs';
import type { AwsClients } from '../../aws/clients';
import type { AccountClients } from '../seed';

export async function addContainerInstances(
  clients: AccountClients,
  cluster: string,
  count: number,
): Promise<string[]> {
  const image = (await clients.ec2.send(new DescribeImagesCommand({}))).Images?.[0]?.ImageId;
  const subnet = (await clients.ec2.send(new DescribeSubnetsCommand({}))).Subnets?.[0]?.SubnetId;
  if (!image || !subnet)
    throw new Error('the emulated account has no image or subnet to launch container instances from');
  const run = await clients.ec2.send(
    new RunInstancesCommand({
      ImageId: image,
      InstanceType: 't3.medium',
      MinCount: count,
      MaxCount: count,
      SubnetId: subnet,
    }),
  );
  const ids = (run.Instances ?? []).map((i) => i.InstanceId!);
  for (const instanceId of ids) {
    await clients.ecs.send(
      new RegisterContainerInstanceCommand({
        cluster,
        instanceIdentityDocument: JSON.stringify({ instanceId, region: 'us-east-1' }),
      }),
    );
  }
  return ids;
}

/**
 * Until DescribeServices lists the service: one just created is MISSING for a moment (as in AWS), and a
 * user who created it (Terraform, say) waits for it before deploying to it.
 */
export async function waitUntilListed(
  clients: AwsClients,
  cluster: string,
  service: string,
  timeoutMs = 60_000,
): Promise<void> {
  for (const until = Date.now() + timeoutMs; Date.now() < until; await new Promise((r) => setTimeout(r, 200))) {
    const out = await clients.ecs.send(new DescribeServicesCommand({ cluster, services: [service] }));
    if (out.services?.some((s) => s.serviceName === service)) return;
  }
  throw new Error(`ECS service ${service} is not listed ${timeoutMs} ms after its creation`);
}

/** A service on EC2 made outside Switchyard (a rolling update's): capacity to place it on, then listed. */
export async function createEc2Service(
  clients: AccountClients,
  input: CreateServiceCommandInput & { cluster: string; serviceName: string },
): Promise<void> {
  const existing =
    (await clients.ecs.send(new ListContainerInstancesCommand({ cluster: input.cluster }))).containerInstanceArns ?? [];
  if (existing.length === 0) await addContainerInstances(clients, input.cluster, 2);
  await clients.ecs.send(new CreateServiceCommand({ launchType: 'EC2', ...input }));
  await waitUntilListed(clients, input.cluster, input.serviceName);
}
