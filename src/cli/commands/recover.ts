// `switchyard recover <deployment>`: the way out for a deployment that can no longer make progress (its
// workflow task keeps failing, so it answers no rollback). Ends its workflow with the reason, then has a
// worker put production back on the last known-good deployment and remove what the stuck one created
// (src/workflows/recover.ts). Refuses a deployment that is not stuck unless --force.
import { assertWorkerPolling, connectClient } from '../../client';
import type { Config } from '../../config';
import { deploymentInputOf, describeStuck, findDeployment, stuckTask } from '../../deployment-client';
import { UserError } from '../../shared/errors';
import { recoveryWorkflowId, type RecoveryReport } from '../../shared/recovery';
import type { recoverDeployment } from '../../workflows';

export interface RecoverOptions {
  by: string;
  reason?: string;
  force: boolean;
}

export async function recoverCommand(config: Config, ref: string, opts: RecoverOptions, progress: (line: string) => void): Promise<RecoveryReport> {
  const session = await connectClient(config.temporal);
  try {
    const handle = await findDeployment(session, ref);
    const input = await deploymentInputOf(handle);
    const id = input.deploymentId;
    const workflowStatus = (await handle.describe()).status.name;
    let reason = opts.reason;
    if (workflowStatus === 'RUNNING') {
      const stuck = await stuckTask(handle);
      if (!stuck && !opts.force) {
        throw new UserError(`deployment ${id} is not stuck (its workflow tasks complete): roll it back with \`switchyard rollback ${id}\`, or pass --force to recover it anyway`);
      }
      reason ??= stuck ? `it could not make progress (${stuck.cause})` : 'forced';
      // Nothing changes unless a worker can do the recovery.
      await assertWorkerPolling(session, config.temporal);
      if (stuck) progress(describeStuck(id, stuck));
      await handle.terminate(`switchyard recover by ${opts.by}: ${reason}`);
      progress(`ended the workflow of deployment ${id}`);
    } else if (workflowStatus === 'TERMINATED') {
      // Ended by a recovery cut short, or by hand: what it left behind is still to clean up.
      await assertWorkerPolling(session, config.temporal);
      reason ??= 'its workflow was terminated';
    } else {
      throw new UserError(`deployment ${id} has ended (${workflowStatus}): nothing to recover`);
    }
    const workflowId = recoveryWorkflowId(input.spec, id);
    progress(`recovering ${input.spec.service}/${input.spec.environment} (workflow ${workflowId}): reading production and what ${id} created from AWS`);
    return await session.client.workflow.execute<typeof recoverDeployment>('recoverDeployment', {
      taskQueue: config.temporal.taskQueue,
      workflowId,
      workflowIdConflictPolicy: 'USE_EXISTING',
      args: [{ deploymentId: id, spec: input.spec, requestedBy: opts.by, reason, pollIntervalMs: input.pollIntervalMs }],
      staticSummary: `recover ${input.spec.service}/${input.spec.environment}: deployment ${id}`,
      staticDetails: `requested by ${opts.by}: ${reason}`,
    });
  } finally {
    await session.close();
  }
}
