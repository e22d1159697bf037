// Starting a deployment: one at a time per service and environment (the workflow id is the service's),
// refused with what is running instead.
import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import { TypedSearchAttributes } from '@temporalio/common';
import { deployedImage, isCodeDeploy, isRolling, type AnySpec } from '../shared/deployment';
import { UserError } from '../shared/errors';
import { searchAttributes, serviceWorkflowId } from '../shared/naming';
import { newDeploymentId, type deploymentWorkflowTypes } from './deployment-ref';
import { deploymentHandle, type DeploymentHandle } from './handle';

export async function startDeployment(
  client: Client,
  taskQueue: string,
  spec: AnySpec,
  requestedBy: string,
): Promise<{ deploymentId: string; handle: DeploymentHandle }> {
  const deploymentId = newDeploymentId();
  const workflowId = serviceWorkflowId(spec.service, spec.environment);
  try {
    // Every strategy takes the same input and answer the same messages and query.
    const workflowType: (typeof deploymentWorkflowTypes)[number] = isRolling(spec)
      ? 'rollingDeployment'
      : isCodeDeploy(spec)
        ? 'codeDeployDeployment'
        : 'blueGreenDeployment';
    const started = await client.workflow.start(workflowType, {
      taskQueue,
      workflowId,
      workflowIdConflictPolicy: 'FAIL',
      args: [{ deploymentId, spec, requestedBy }],
      memo: { deploymentId },
      typedSearchAttributes: new TypedSearchAttributes([
        { key: searchAttributes.service, value: spec.service },
        { key: searchAttributes.environment, value: spec.environment },
        { key: searchAttributes.image, value: deployedImage(spec) },
        { key: searchAttributes.deploymentId, value: deploymentId },
        { key: searchAttributes.phase, value: 'pending' },
      ]),
      staticSummary: `deploy ${spec.service}/${spec.environment}: ${deployedImage(spec)}`,
      staticDetails: `deployment ${deploymentId}, requested by ${requestedBy}`,
    });
    return { deploymentId, handle: deploymentHandle(client, workflowId, started.firstExecutionRunId) };
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    const running = await client.workflow.getHandle(workflowId).describe();
    const runningId = running.memo?.deploymentId ?? 'unknown';
    if (running.memo?.recovery)
      throw new UserError(
        `deployment ${runningId} of ${spec.service}/${spec.environment} is being recovered (switchyard recover): deploy once that has finished`,
      );
    throw new UserError(
      `a deployment of ${spec.service}/${spec.environment} is already running: ${runningId}. ` +
        `Wait for it (switchyard status ${runningId}) or roll it back (switchyard rollback ${runningId}).`,
    );
  }
}
