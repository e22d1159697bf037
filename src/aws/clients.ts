// The one place the product's AWS SDK clients are built: those the activities use (`switchyard init`
// reads a live service with the same ones). Activities receive them by injection (createActivities), so
// tests and the dev stack point the same code at a local emulator with an endpoint setting. (No EC2: only
// seeding the emulated account calls it, src/dev/seed.ts.)
import { ApplicationAutoScalingClient } from '@aws-sdk/client-application-auto-scaling';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { CodeDeployClient } from '@aws-sdk/client-codedeploy';
import { ECRClient } from '@aws-sdk/client-ecr';
import { ECSClient } from '@aws-sdk/client-ecs';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { IAMClient } from '@aws-sdk/client-iam';
import { Route53Client } from '@aws-sdk/client-route-53';
import { STSClient } from '@aws-sdk/client-sts';
import type { AwsCredentialIdentity } from '@aws-sdk/types';
import type { AwsConfig } from '../config';
import { instrument } from './instrument';

export interface AwsClients {
  ecs: ECSClient;
  elbv2: ElasticLoadBalancingV2Client;
  route53: Route53Client;
  cloudwatch: CloudWatchClient;
  iam: IAMClient;
  applicationAutoScaling: ApplicationAutoScalingClient;
  sts: STSClient;
  ecr: EcrClients;
  codeDeploy: CodeDeployClient;
}

export interface AwsClientOptions extends AwsConfig {
  /** Explicit credentials (the dev stack's emulator); absent means the SDK's default provider chain. */
  credentials?: AwsCredentialIdentity;
}

/** What every client is built with. */
export function clientConfig(options: AwsClientOptions): Pick<AwsClientOptions, 'region' | 'endpoint' | 'credentials'> {
  return {
    region: options.region,
    endpoint: options.endpoint,
    credentials: options.credentials,
  };
}

export function createAwsClients(options: AwsClientOptions): AwsClients {
  const common = clientConfig(options);
  return {
    ecs: instrument(new ECSClient(common), 'ecs'),
    elbv2: instrument(new ElasticLoadBalancingV2Client(common), 'elbv2'),
    route53: instrument(new Route53Client(common), 'route53'),
    cloudwatch: instrument(new CloudWatchClient(common), 'cloudwatch'),
    iam: instrument(new IAMClient(common), 'iam'),
    applicationAutoScaling: instrument(new ApplicationAutoScalingClient(common), 'application-autoscaling'),
    sts: instrument(new STSClient(common), 'sts'),
    ecr: new EcrClients(common),
    codeDeploy: instrument(new CodeDeployClient(common), 'codedeploy'),
  };
}

/**
 * ECR is regional: an image's registry names its region, which may not be the worker's. One client per
 * region, built like the others (same credentials and endpoint settings).
 */
export class EcrClients {
  private readonly byRegion = new Map<string, ECRClient>();
  /** ECR in the clients' own region. */
  readonly local: ECRClient;

  constructor(private readonly options: ReturnType<typeof clientConfig>) {
    this.local = instrument(new ECRClient(options), 'ecr');
    if (options.region) this.byRegion.set(options.region, this.local);
  }

  in(region: string): ECRClient {
    let client = this.byRegion.get(region);
    if (!client) this.byRegion.set(region, (client = instrument(new ECRClient({ ...this.options, region }), 'ecr')));
    return client;
  }

  /** The clients built so far: the local one and any other region's. */
  all(): ECRClient[] {
    return [...new Set([this.local, ...this.byRegion.values()])];
  }

  destroy(): void {
    for (const client of this.all()) client.destroy();
    this.byRegion.clear();
  }
}

/** Every SDK client in a bundle (an AccountClients' EC2 client too; for ECR, the regions built so far). */
export function sdkClientsOf<C extends AwsClients>(clients: C): { destroy(): void; middlewareStack: unknown }[] {
  return Object.values(clients).flatMap((client) => (client instanceof EcrClients ? client.all() : [client]));
}

/** Destroys every client in it (an AccountClients' EC2 client too). */
export function destroyAwsClients(clients: AwsClients): void {
  for (const client of sdkClientsOf(clients)) client.destroy();
}

/** ECR in a region (an image's registry is in its own, which need not be the worker's). */
export function ecrClientIn(clients: Pick<AwsClients, 'ecr'>, region: string): ECRClient {
  return clients.ecr.in(region);
}
