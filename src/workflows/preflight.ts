// Preflight: checks that what a deployment needs already exists (cluster, load balancer and listener,
// hosted zone, and the alarms and capacity providers it names) and reports every miss at once, before
// anything is created.
import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { PreflightInput, PreflightReport } from '../shared/preflight';
import { lookUpPrerequisites } from './common/prerequisites';

const aws = proxyActivities<Activities>({
  startToCloseTimeout: '30s',
  retry: { initialInterval: '1s', maximumInterval: '10s', maximumAttempts: 5 },
});

export async function preflight(input: PreflightInput): Promise<PreflightReport> {
  const { checks } = await lookUpPrerequisites(aws, input);
  return { ok: checks.every((c) => c.ok), checks };
}
