import {
  DescribeListenersCommand,
  DescribeLoadBalancersCommand,
  type ElasticLoadBalancingV2Client,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { attempt, isNotFound, wrapAwsError } from './errors';

export interface LoadBalancerSummary {
  name: string;
  arn: string;
  dnsName: string;
  canonicalHostedZoneId: string;
  listenerPorts: number[];
}

export function createElbv2Activities(elbv2: ElasticLoadBalancingV2Client) {
  return {
    /** The load balancer named or ARN'd, with its listener ports; undefined when it does not exist. */
    async findLoadBalancer(nameOrArn: string): Promise<LoadBalancerSummary | undefined> {
      const byArn = nameOrArn.startsWith('arn:');
      let lbs;
      try {
        lbs = await elbv2.send(
          new DescribeLoadBalancersCommand(byArn ? { LoadBalancerArns: [nameOrArn] } : { Names: [nameOrArn] }),
        );
      } catch (err) {
        if (isNotFound(err, 'LoadBalancerNotFoundException')) return undefined;
        throw wrapAwsError(`describe load balancer ${nameOrArn}`, err);
      }
      const lb = lbs.LoadBalancers?.[0];
      if (!lb?.LoadBalancerArn) return undefined;
      const listeners = await attempt(`describe listeners of load balancer ${nameOrArn}`, () =>
        elbv2.send(new DescribeListenersCommand({ LoadBalancerArn: lb.LoadBalancerArn })),
      );
      return {
        name: lb.LoadBalancerName ?? nameOrArn,
        arn: lb.LoadBalancerArn,
        dnsName: lb.DNSName ?? '',
        canonicalHostedZoneId: lb.CanonicalHostedZoneId ?? '',
        listenerPorts: (listeners.Listeners ?? []).map((l) => l.Port ?? 0).sort((a, b) => a - b),
      };
    },
  };
}
