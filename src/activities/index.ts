// createActivities(clients) returns every activity the worker registers, built from injected SDK clients:
// those workflows schedule. The HTTP probe is not one of them: only the analysis round runs it.
import type { AwsClients } from '../aws/clients';
import { createAnalysisActivities } from './analysis';
import { createAutoScalingActivities } from './application-autoscaling';
import { createCloudWatchActivities } from './cloudwatch';
import { createCodeDeployActivities } from './codedeploy';
import { createEcrActivities } from './ecr';
import { createEcsActivities } from './ecs';
import { createElbv2Activities } from './elbv2';
import { createHttpActivities } from './http';
import { createIamActivities } from './iam';
import { createRoute53Activities } from './route53';
import { roleBoundaryOf } from './sts';
import { createWebhookActivities } from './webhooks';

export interface ActivityOptions {
  /** The ARN of the task roles' permissions boundary (SWITCHYARD_ROLE_BOUNDARY); absent: the account's default. */
  roleBoundary?: string;
}

export function createActivities(clients: AwsClients, options: ActivityOptions = {}) {
  const cloudwatch = createCloudWatchActivities(clients.cloudwatch);
  const elbv2 = createElbv2Activities(clients.elbv2);
  const http = createHttpActivities();
  return {
    ...createEcsActivities(clients.ecs),
    ...createEcrActivities((region) => clients.ecr.in(region)),
    ...elbv2,
    ...createRoute53Activities(clients.route53),
    ...createIamActivities(clients.iam, { roleBoundary: roleBoundaryOf(clients.sts, options.roleBoundary) }),
    ...cloudwatch,
    ...createAutoScalingActivities(clients.applicationAutoScaling),
    ...createAnalysisActivities({ cloudwatch, elbv2, http }),
    ...createCodeDeployActivities(clients.codeDeploy),
    ...createWebhookActivities(),
  };
}

export type Activities = ReturnType<typeof createActivities>;
