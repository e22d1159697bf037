// The one place AWS SDK clients are built. Activities receive them by injection (createActivities),
// so tests and the dev stack point the same code at a local emulator with an endpoint setting.
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { EC2Client } from '@aws-sdk/client-ec2';
import { ECSClient } from '@aws-sdk/client-ecs';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { IAMClient } from '@aws-sdk/client-iam';
import { Route53Client } from '@aws-sdk/client-route-53';
import type { AwsCredentialIdentity } from '@aws-sdk/types';
import type { AwsConfig } from '../config';

export interface AwsClients {
  ecs: ECSClient;
  elbv2: ElasticLoadBalancingV2Client;
  route53: Route53Client;
  cloudwatch: CloudWatchClient;
  iam: IAMClient;
  ec2: EC2Client;
}

export interface AwsClientOptions extends AwsConfig {
  /** Explicit credentials (the dev stack's emulator); absent means the SDK's default provider chain. */
  credentials?: AwsCredentialIdentity;
}

export function createAwsClients(options: AwsClientOptions): AwsClients {
  const common = {
    region: options.region,
    endpoint: options.endpoint,
    credentials: options.credentials,
  };
  return {
    ecs: new ECSClient(common),
    elbv2: new ElasticLoadBalancingV2Client(common),
    route53: new Route53Client(common),
    cloudwatch: new CloudWatchClient(common),
    iam: new IAMClient(common),
    ec2: new EC2Client(common),
  };
}

export function destroyAwsClients(clients: AwsClients): void {
  for (const client of Object.values(clients)) client.destroy();
}
