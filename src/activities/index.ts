// createActivities(clients) returns every activity the worker registers, built from injected SDK clients.
import type { AwsClients } from '../aws/clients';
import { createEcsActivities } from './ecs';
import { createElbv2Activities } from './elbv2';
import { createIamActivities } from './iam';
import { createRoute53Activities } from './route53';

export function createActivities(clients: AwsClients) {
  return {
    ...createEcsActivities(clients.ecs),
    ...createElbv2Activities(clients.elbv2),
    ...createRoute53Activities(clients.route53),
    ...createIamActivities(clients.iam),
  };
}

export type Activities = ReturnType<typeof createActivities>;
