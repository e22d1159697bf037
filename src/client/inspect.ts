// What `status` and `list` show: a deployment's status with its workflow's state (read from its history
// when it cannot answer the query), and the recent deployments from visibility.
import type { Client } from '@temporalio/client';
import { temporal as proto } from '@temporalio/proto';
import { deployedImage, phases, type DeploymentStatus, type Phase } from '../shared/deployment';
import { searchAttributes } from '../shared/naming';
import { isReleaseStatus, type ReleaseStatus } from '../shared/release';
import { statusQuery } from '../workflows/messages';
import { listedWorkflowTypes } from './deployment-ref';
import { deploymentInputOf, findInHistoryFromEnd, type DeploymentHandle } from './handle';
import { stuckTask, type StuckTask } from './stuck';

/** What `status` shows: the deployment's own status, and what Temporal says of its workflow. */
export interface DeploymentReport extends DeploymentStatus {
  /** RUNNING, COMPLETED, TERMINATED... */
  workflowStatus: string;
  stuck?: StuckTask;
  /** A release: each service's deployment as it reports itself (absent where it cannot answer). */
  services?: DeploymentStatus[];
}

const { EventType } = proto.api.enums.v1;

/**
 * The deployment's status with its workflow's state. A stuck deployment, or an ended one whose history
 * no longer replays (recovered), cannot answer the status query: its status is then read from its
 * history and search attributes.
 */
export async function inspectDeployment(handle: DeploymentHandle): Promise<DeploymentReport> {
  const description = await handle.describe();
  const workflowStatus = description.status.name;
  const stuck = workflowStatus === 'RUNNING' ? await stuckTask(handle, description) : undefined;
  // Ended from outside (`switchyard recover`, or by hand): why, whatever its last status says.
  const terminated =
    workflowStatus === 'TERMINATED'
      ? await findInHistoryFromEnd(handle, (e) =>
          e.eventType === EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED
            ? (e.workflowExecutionTerminatedEventAttributes?.reason ?? '')
            : undefined,
        )
      : undefined;
  if (!stuck) {
    // A terminated deployment that still replays answers with its status as it was when it was ended.
    const status = await handle.query(statusQuery).catch(() => undefined);
    if (status)
      return {
        ...status,
        reason: terminated ? `terminated: ${terminated}` : status.reason,
        workflowStatus,
        ...(isReleaseStatus(status) ? { services: await servicesOf(handle, status) } : {}),
      };
  }
  const input = await deploymentInputOf(handle);
  const phase = description.typedSearchAttributes.get(searchAttributes.phase) as Phase | undefined;
  return {
    deploymentId: input.deploymentId,
    service: input.spec.service,
    environment: input.spec.environment,
    image: deployedImage(input.spec),
    phase: phase && phases.includes(phase) ? phase : 'pending',
    startedAt: description.startTime.toISOString(),
    updatedAt: (description.closeTime ?? description.executionTime ?? description.startTime).toISOString(),
    requestedBy: input.requestedBy,
    reason: terminated ? `terminated: ${terminated}` : undefined,
    resources: {},
    leftovers: [],
    history: [],
    workflowStatus,
    stuck,
  };
}

/** Each service of a release as its own deployment says (its workflow's latest run, if it is that deployment). */
async function servicesOf(handle: DeploymentHandle, release: ReleaseStatus): Promise<DeploymentStatus[]> {
  const found = await Promise.all(
    release.release.services.map((s) =>
      handle.client
        .getHandle(s.workflowId)
        .query(statusQuery)
        .then((status) => (status.deploymentId === s.deploymentId ? status : undefined))
        .catch(() => undefined),
    ),
  );
  return found.filter((s): s is DeploymentStatus => s !== undefined);
}

export interface DeploymentRow {
  deploymentId: string;
  service: string;
  environment: string;
  phase: string;
  image: string;
  startedAt: string;
  workflowStatus: string;
}

/** Up to `limit` recent deployments of either strategy, newest first. */
export async function listDeployments(client: Client, limit: number): Promise<DeploymentRow[]> {
  const rows: DeploymentRow[] = [];
  for await (const wf of client.workflow.list({
    query: `WorkflowType IN (${listedWorkflowTypes.map((t) => `'${t}'`).join(', ')})`,
    pageSize: limit,
  })) {
    const sa = wf.typedSearchAttributes;
    rows.push({
      deploymentId: sa.get(searchAttributes.deploymentId) ?? '',
      service: sa.get(searchAttributes.service) ?? (wf.memo?.release ? `release ${String(wf.memo.release)}` : ''),
      environment: sa.get(searchAttributes.environment) ?? '',
      phase: sa.get(searchAttributes.phase) ?? '',
      image: sa.get(searchAttributes.image) ?? '',
      startedAt: wf.startTime.toISOString(),
      workflowStatus: wf.status.name,
    });
    if (rows.length >= limit) break;
  }
  return rows.sort((a, b) => b.startedAt.localeCompare(a.startedAt));
}
