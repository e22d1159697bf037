// Recovering a deployment that can no longer make progress (its workflow task keeps failing, so it
// answers no rollback): ends its workflow with the reason, then has a worker put production back on the
// last known-good deployment and remove what the stuck one created (src/workflows/recover.ts), under the
// service's own workflow id: no deployment of the service can start meanwhile. Refuses a deployment
// that is not stuck unless forced.
import { WorkflowExecutionAlreadyStartedError, WorkflowFailedError } from '@temporalio/client';
import { UserError } from '../shared/errors';
import { serviceWorkflowId } from '../shared/naming';
import type { RecoveryReport } from '../shared/recovery';
import type { recoverDeployment as recoverWorkflow } from '../workflows';
import { deploymentInputOf } from './handle';
import { describeStuck, stuckTask } from './stuck';
import type { SwitchyardClient } from './switchyard-client';

export interface RecoverOptions {
  by: string;
  reason?: string;
  force: boolean;
}

/** How long an activity attempt of the ended workflow may still run (the start-to-close of its steps). */
const activityAttemptMs = 30_000;

export async function recoverDeployment(
  client: SwitchyardClient,
  ref: string,
  opts: RecoverOptions,
  progress: (line: string) => void,
): Promise<RecoveryReport> {
  const handle = await client.find(ref);
  const description = await handle.describe();
  if (description.type === 'release')
    throw new UserError(
      `${ref} is a release: roll it back with \`switchyard rollback ${ref}\`, or recover each of its services' deployments (\`switchyard status ${ref}\` lists them)`,
    );
  const input = await deploymentInputOf(handle);
  const id = input.deploymentId;
  const workflowStatus = description.status.name;
  let reason = opts.reason;
  let settleMs = 0;
  if (workflowStatus === 'RUNNING') {
    const stuck = await stuckTask(handle, description);
    if (!stuck && !opts.force) {
      throw new UserError(
        `deployment ${id} is not stuck (its workflow tasks complete): roll it back with \`switchyard rollback ${id}\`, or pass --force to recover it anyway`,
      );
    }
    reason ??= stuck ? `it could not make progress (${stuck.cause})` : 'forced';
    // Nothing changes unless a worker can do the recovery.
    await client.assertWorkerPolling();
    if (stuck) progress(describeStuck(id, stuck));
    // Waits only read AWS; any other activity still running may still change it.
    const running = (description.raw.pendingActivities ?? []).filter(
      (a) => !a.activityType?.name?.startsWith('waitFor'),
    );
    if (running.length) settleMs = activityAttemptMs;
    await handle.terminate(`switchyard recover by ${opts.by}: ${reason}`);
    progress(
      `ended the workflow of deployment ${id}${running.length ? `; ${running.length} of its activities may still be running: waiting ${activityAttemptMs / 1000} s for them` : ''}`,
    );
  } else if (workflowStatus === 'TERMINATED') {
    // Ended by a recovery cut short, or by hand: what it left behind is still to clean up.
    await client.assertWorkerPolling();
    reason ??= 'its workflow was terminated';
  } else {
    throw new UserError(`deployment ${id} has ended (${workflowStatus}): nothing to recover`);
  }
  const { service, environment } = input.spec;
  progress(`recovering ${service}/${environment}: reading production and what ${id} created from AWS`);
  try {
    return await client.temporal.workflow.execute<typeof recoverWorkflow>('recoverDeployment', {
      taskQueue: client.config.taskQueue,
      workflowId: serviceWorkflowId(service, environment),
      // Holds the service's id, as a deployment does. Just ended the stuck one: anything running now
      // started in between and is ended too (the recovery removes what it made). A terminated
      // deployment's clean-up waits for a running deployment instead.
      workflowIdConflictPolicy: workflowStatus === 'RUNNING' ? 'TERMINATE_EXISTING' : 'FAIL',
      memo: { deploymentId: id, recovery: true },
      args: [
        {
          deploymentId: id,
          spec: input.spec,
          requestedBy: opts.by,
          reason,
          pollIntervalMs: input.pollIntervalMs,
          settleMs,
        },
      ],
      staticSummary: `recover ${service}/${environment}: deployment ${id}`,
      staticDetails: `requested by ${opts.by}: ${reason}`,
    });
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) {
      throw new UserError(
        `another deployment of ${service}/${environment} is running: recover ${id} once it has ended (\`switchyard status ${service}/${environment}\`)`,
      );
    }
    if (err instanceof WorkflowFailedError) {
      const cause =
        (err.cause as { cause?: { message?: string }; message?: string } | undefined)?.cause?.message ??
        err.cause?.message ??
        err.message;
      throw new UserError(
        `the recovery of ${id} failed: ${cause}. Its workflow is ended; run \`switchyard recover ${id}\` again to carry on`,
      );
    }
    throw err;
  }
}
