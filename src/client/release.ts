// Starting a release: refused while a release of the same name runs, or while any of its services is
// busy (naming the service and its deployment), before anything starts. The release workflow holds
// each service's lock by starting its deployment under the service's workflow id.
import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError, type Client } from '@temporalio/client';
import { TypedSearchAttributes } from '@temporalio/common';
import { UserError } from '../shared/errors';
import { searchAttributes, serviceWorkflowId } from '../shared/naming';
import { releaseWorkflowId, type ReleaseInput } from '../shared/release';
import type { LoadedRelease } from '../spec/release';
import { newDeploymentId } from './deployment-ref';
import { deploymentHandle, type DeploymentHandle } from './handle';

export async function startRelease(
  client: Client,
  taskQueue: string,
  loaded: LoadedRelease,
  requestedBy: string,
): Promise<{ releaseId: string; handle: DeploymentHandle; input: ReleaseInput }> {
  await refuseBusyServices(client, loaded);
  const releaseId = newDeploymentId();
  const input: ReleaseInput = {
    releaseId,
    name: loaded.name,
    mode: loaded.mode,
    services: loaded.specs.map((spec) => ({ deploymentId: newDeploymentId(), spec })),
    testsTimeoutMs: loaded.testsTimeoutMs,
    approval: loaded.approval,
    ...(loaded.plan ? { plan: loaded.plan } : {}),
    requestedBy,
  };
  const workflowId = releaseWorkflowId(loaded.name);
  try {
    const started = await client.workflow.start('release', {
      taskQueue,
      workflowId,
      workflowIdConflictPolicy: 'FAIL',
      args: [input],
      memo: { deploymentId: releaseId, release: loaded.name },
      typedSearchAttributes: new TypedSearchAttributes([
        { key: searchAttributes.deploymentId, value: releaseId },
        { key: searchAttributes.release, value: releaseId },
        { key: searchAttributes.phase, value: 'pending' },
      ]),
      staticSummary: `release ${loaded.name} (${loaded.mode}): ${loaded.specs.map((s) => `${s.service}/${s.environment}`).join(', ')}`,
      staticDetails: `release ${releaseId}, requested by ${requestedBy}`,
    });
    return { releaseId, handle: deploymentHandle(client, workflowId, started.firstExecutionRunId), input };
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    const running = await client.workflow.getHandle(workflowId).describe();
    const runningId = String(running.memo?.deploymentId ?? 'unknown');
    throw new UserError(
      `release ${loaded.name} is already running: ${runningId}. Wait for it (switchyard status ${runningId}) or roll it back (switchyard rollback ${runningId}).`,
    );
  }
}

/** Every service that a deployment (its own, or another release's) holds now, named with that deployment. */
async function refuseBusyServices(client: Client, loaded: LoadedRelease): Promise<void> {
  const busy: string[] = [];
  for (const spec of loaded.specs) {
    const description = await client.workflow
      .getHandle(serviceWorkflowId(spec.service, spec.environment))
      .describe()
      .catch((err: unknown) => {
        if (err instanceof WorkflowNotFoundError) return undefined;
        throw err;
      });
    if (description?.status.name !== 'RUNNING') continue;
    const id = String(description.memo?.deploymentId ?? 'unknown');
    const of = description.memo?.releaseId ? ` of release ${String(description.memo.releaseId)}` : '';
    busy.push(`${spec.service}/${spec.environment} (deployment ${id}${of} is running)`);
  }
  if (busy.length)
    throw new UserError(
      `refusing to start release ${loaded.name}: busy: ${busy.join('; ')}. Wait for it or roll it back (switchyard rollback <id>), then release again.`,
    );
}
