// An incompatible version of the workflow code, to wedge deployments on purpose (test/e2e/recover): the
// same workflows, each starting with one timer today's code does not have. A deployment started on a
// worker running this bundle cannot be replayed by a worker running today's code: its first workflow
// task on such a worker fails with a non-determinism error, and every retry fails the same way.
import { sleep } from '@temporalio/workflow';
import type { DeploymentInput, DeploymentResult, RollingSpec } from '../../src/shared/deployment';
import * as today from '../../src/workflows';

export * from '../../src/workflows';

export async function blueGreenDeployment(input: DeploymentInput): Promise<DeploymentResult> {
  await sleep(1);
  return today.blueGreenDeployment(input);
}

export async function rollingDeployment(input: DeploymentInput<RollingSpec>): Promise<DeploymentResult> {
  await sleep(1);
  return today.rollingDeployment(input);
}
