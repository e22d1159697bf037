import { DescribeClustersCommand, type ECSClient } from '@aws-sdk/client-ecs';
import { attempt } from './errors';

export interface ClusterSummary {
  name: string;
  arn: string;
  status: string;
}

export function createEcsActivities(ecs: ECSClient) {
  return {
    /** The cluster, or undefined when ECS does not know it (DescribeClusters reports misses as failures). */
    async findCluster(name: string): Promise<ClusterSummary | undefined> {
      const out = await attempt(`describe ECS cluster ${name}`, () =>
        ecs.send(new DescribeClustersCommand({ clusters: [name] })),
      );
      const cluster = out.clusters?.find((c) => c.clusterName === name || c.clusterArn === name);
      if (!cluster?.clusterArn || !cluster.clusterName) return undefined;
      return { name: cluster.clusterName, arn: cluster.clusterArn, status: cluster.status ?? 'UNKNOWN' };
    },
  };
}
