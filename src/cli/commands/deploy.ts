// `switchyard deploy -f spec.yaml [--image REF] [--wait]`: validates the spec before anything else,
// starts the deployment, and with --wait follows it; the exit code says how it ended.
import { connectClient, assertWorkerPolling } from '../../client';
import type { Config } from '../../config';
import { assertSearchAttributesRegistered, followDeployment, startDeployment } from '../../deployment-client';
import { loadSpec } from '../../spec/load';
import type { DeploymentResult, DeploymentStatus } from '../../shared/deployment';

export interface DeployOptions {
  file: string;
  image?: string;
  wait: boolean;
  by: string;
}

export interface DeployOutcome {
  deploymentId: string;
  workflowId: string;
  result?: DeploymentResult;
}

export async function deployCommand(
  config: Config,
  opts: DeployOptions,
  onStarted: (deploymentId: string) => void,
  onProgress: (status: DeploymentStatus, steps: DeploymentStatus['history']) => void,
): Promise<DeployOutcome> {
  const spec = loadSpec(opts.file, { image: opts.image });
  const session = await connectClient(config.temporal);
  try {
    await assertWorkerPolling(session, config.temporal);
    await assertSearchAttributesRegistered(session, config.temporal);
    const { deploymentId, handle } = await startDeployment(session, config.temporal, spec, opts.by);
    onStarted(deploymentId);
    if (!opts.wait) return { deploymentId, workflowId: handle.workflowId };
    const result = await followDeployment(handle, onProgress);
    return { deploymentId, workflowId: handle.workflowId, result };
  } finally {
    await session.close();
  }
}
