// `switchyard deploy -f spec.yaml [--image REF] [--wait]`: validates the spec before anything else,
// refuses when what it names does not exist (preflight), starts the deployment, and with --wait follows
// it; the exit code says how it ended.
import { connectClient, assertWorkerPolling, runPreflight, type TemporalSession } from '../../client';
import type { Config } from '../../config';
import { assertSearchAttributesRegistered, followDeployment, startDeployment } from '../../deployment-client';
import { loadSpec } from '../../spec/load';
import { isRolling, type AnySpec, type DeploymentResult, type DeploymentStatus } from '../../shared/deployment';
import { UserError } from '../../shared/errors';
import { alarmsOf } from '../../shared/traffic';

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
    await refuseMissingPrerequisites(session, config, spec);
    const { deploymentId, handle } = await startDeployment(session, config.temporal, spec, opts.by);
    onStarted(deploymentId);
    if (!opts.wait) return { deploymentId, workflowId: handle.workflowId };
    const result = await followDeployment(handle, onProgress);
    return { deploymentId, workflowId: handle.workflowId, result };
  } finally {
    await session.close();
  }
}

/**
 * What a blue/green deployment needs and cannot create (cluster, load balancer, hosted zone, the alarms
 * its gates watch, its capacity providers), checked through the preflight workflow before the deployment
 * starts: a miss is invalid input (exit 1), and nothing is started. The deployment checks again, as
 * things change meanwhile.
 */
async function refuseMissingPrerequisites(session: TemporalSession, config: Config, spec: AnySpec): Promise<void> {
  if (isRolling(spec)) return;
  const { report } = await runPreflight(session, config.temporal, {
    cluster: spec.cluster,
    loadBalancer: spec.loadBalancer.name,
    hostedZone: spec.hostedZone,
    alarms: spec.traffic ? alarmsOf(spec.traffic) : [],
    capacityProviders: (spec.capacityProviderStrategy ?? []).map((p) => p.capacityProvider),
  });
  const missing = report.checks.filter((c) => !c.ok);
  if (missing.length === 0) return;
  throw new UserError(`refusing to start ${spec.service}/${spec.environment}, missing: ${missing.map((c) => `${c.resource} ${c.name} (${c.detail})`).join('; ')}`);
}
