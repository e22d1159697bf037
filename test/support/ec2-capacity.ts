// EC2 capacity for a cluster, as an Auto Scaling group of ECS-optimized instances gives it: running
// instances, each registered as a container instance. The account's side of a test (the product never
// launches instances): without any, ECS cannot place an EC2 task, here as in AWS.
import { DescribeImagesCommand, DescribeSubnetsCommand, RunInstancesCommand } from '@aws-sdk/client-ec2';
import { RegisterContainerInstanceCommand } from '@aws-sdk/client-ecs';
import type { AwsClients } from '../../src/aws/clients';

export async function addContainerInstances(clients: AwsClients, cluster: string, count: number): Promise<string[]> {
  const image = (await clients.ec2.send(new DescribeImagesCommand({}))).Images?.[0]?.ImageId;
  const subnet = (await clients.ec2.send(new DescribeSubnetsCommand({}))).Subnets?.[0]?.SubnetId;
  if (!image || !subnet) throw new Error('the emulated account has no image or subnet to launch container instances from');
  const run = await clients.ec2.send(new RunInstancesCommand({ ImageId: image, InstanceType: 't3.medium', MinCount: count, MaxCount: count, SubnetId: subnet }));
  const ids = (run.Instances ?? []).map((i) => i.InstanceId!);
  for (const instanceId of ids) {
    await clients.ecs.send(new RegisterContainerInstanceCommand({ cluster, instanceIdentityDocument: JSON.stringify({ instanceId, region: 'us-east-1' }) }));
  }
  return ids;
}
