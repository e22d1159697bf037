// `switchyard deploy -f spec.yaml [--image REF] [--wait]`: validates the spec before anything else,
// refuses when what it names does not exist (preflight), starts the deployment, and with --wait follows
// it; the exit code says how it ended.
import { SwitchyardClient } from '../../client/switchyard-client';
import type { Config } from '../../config';
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
  return SwitchyardClient.using(config.temporal, async (client) => {
    await client.assertReady();
    await refuseMissingPrerequisites(client, spec);
    const { deploymentId, handle } = await client.start(spec, opts.by);
    onStarted(deploymentId);
    if (!opts.wait) return { deploymentId, workflowId: handle.workflowId };
    const result = await client.follow(handle, onProgress);
    return { deploymentId, workflowId: handle.workflowId, result };
  });
}

/**
 * What a blue/green deployment needs and cannot create (cluster, load balancer, hosted zone, the alarms
 * its gates watch, its capacity providers), checked through the preflight workflow before the deployment
 * starts: a miss is invalid input (exit 1), and nothing is started. The deployment checks again, as
 * things change meanwhile.
 */
async function refuseMissingPrerequisites(client: SwitchyardClient, spec: AnySpec): Promise<void> {
  if (isRolling(spec)) return;
  const { report } = await client.preflight({
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
