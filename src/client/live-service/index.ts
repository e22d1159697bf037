// What `switchyard init` reads of a service that already runs, read-only: ECS (service, task
// definition), the load balancer (target group, production's rule), Application Auto Scaling and Route 53.
// Whatever Switchyard could not adopt as found is refused here, before anything is written.
import type { AwsClients } from '../../aws/clients';
import { findZone, readProductionRecord, type LiveRecord, type LiveZone } from './dns';
import { readEcsService, type LiveEcsService } from './ecs';
import { readProductionRule, readTargetGroup, type LiveRule, type LiveTargetGroup } from './load-balancer';
import { readScaling, type LiveScaling } from './scaling';

export interface LiveService extends LiveEcsService {
  targetGroup: LiveTargetGroup;
  rule: LiveRule;
  scaling?: LiveScaling;
  zone: LiveZone;
  productionRecord: LiveRecord;
}

export type LiveServiceClients = Pick<AwsClients, 'ecs' | 'elbv2' | 'route53' | 'applicationAutoScaling'>;

export async function readLiveService(
  clients: LiveServiceClients,
  target: { cluster: string; service: string },
): Promise<LiveService> {
  const ecs = await readEcsService(clients.ecs, target.cluster, target.service);
  const targetGroup = await readTargetGroup(clients.elbv2, ecs.loadBalancer.targetGroupArn);
  const rule = await readProductionRule(clients.elbv2, targetGroup, ecs.loadBalancer.targetGroupArn);
  const scaling = await readScaling(clients.applicationAutoScaling, ecs.clusterName, ecs.service.serviceName);
  const zone = await findZone(clients.route53, rule.host);
  const productionRecord = await readProductionRecord(
    clients.route53,
    zone,
    rule.host,
    targetGroup.loadBalancer.dnsName,
  );
  return { ...ecs, targetGroup, rule, scaling, zone, productionRecord };
}

export type { LivePolicy, LiveScaling } from './scaling';
export type { LiveRecord, LiveZone } from './dns';
