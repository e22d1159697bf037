// `switchyard status <deployment-id | service>` and `switchyard list`.
import { connectClient } from '../../client';
import type { Config } from '../../config';
import { deploymentWorkflowTypes, findDeployment, inspectDeployment, type DeploymentReport } from '../../deployment-client';
import { searchAttributes } from '../../shared/naming';

export async function statusCommand(config: Config, ref: string): Promise<DeploymentReport> {
  const session = await connectClient(config.temporal);
  try {
    return await inspectDeployment(await findDeployment(session, ref));
  } finally {
    await session.close();
  }
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

export async function listCommand(config: Config, limit: number): Promise<DeploymentRow[]> {
  const session = await connectClient(config.temporal);
  try {
    const rows: DeploymentRow[] = [];
    for await (const wf of session.client.workflow.list({ query: `WorkflowType IN (${deploymentWorkflowTypes.map((t) => `'${t}'`).join(', ')})`, pageSize: limit })) {
      const sa = wf.typedSearchAttributes;
      rows.push({
        deploymentId: sa.get(searchAttributes.deploymentId) ?? '',
        service: sa.get(searchAttributes.service) ?? '',
        environment: sa.get(searchAttributes.environment) ?? '',
        phase: sa.get(searchAttributes.phase) ?? '',
        image: sa.get(searchAttributes.image) ?? '',
        startedAt: wf.startTime.toISOString(),
        workflowStatus: wf.status.name,
      });
      if (rows.length >= limit) break;
    }
    return rows.sort((a, b) => b.startedAt.localeCompare(a.startedAt));
  } finally {
    await session.close();
  }
}
