// `switchyard deploy -f spec.yaml [--image REF] [--wait]`: validates the spec before anything else,
// refuses when what it names does not exist (preflight), starts the deployment, and with --wait follows
// it; the exit code says how it ended. Without a spec, the ecs-deploy one-liner: `switchyard deploy
// --cluster C --service S --image I [--container N] --wait` rolls the service's running revision to the
// image, and `--force-new-deployment` starts new tasks of it as it is.
import type { Command } from 'commander';
import { SwitchyardClient } from '../../client/switchyard-client';
import { loadConfig } from '../../config';
import { loadSpec, rollingSpecFromFlags } from '../../spec/load';
import { isBlueGreen, type AnySpec, type DeploymentResult } from '../../shared/deployment';
import { UserError } from '../../shared/errors';
import { alarmsOf } from '../../shared/traffic';
import { exitCodeOf, type Cli, type Reply } from '../command';
import { defaultActor, withOutput, type OutputFormat } from '../options';
import { formatResult, printSteps } from '../output';

export interface DeployOptions {
  file?: string;
  image?: string;
  cluster?: string;
  service?: string;
  container?: string;
  name?: string;
  environment?: string;
  forceNewDeployment: boolean;
  pinImageDigest: boolean;
  timeout?: string;
  wait: boolean;
  by: string;
  output: OutputFormat;
}

export interface DeployOutcome {
  deploymentId: string;
  workflowId: string;
  result?: DeploymentResult;
}

export function registerDeploy(program: Command, cli: Cli): void {
  withOutput(program.command('deploy'))
    .description(
      'start a deployment from a spec (blue/green, or rolling when the spec says so), or roll a service to an image without one (--cluster, --service, --image); prints its id (with --wait: follows it to the end)',
    )
    .option('-f, --file <spec>', 'deployment spec (YAML or JSON)')
    .option('--image <ref>', 'container image, overriding the spec')
    .option('--cluster <name>', 'without a spec: the ECS cluster of the service to roll')
    .option('--service <name>', "without a spec: the ECS service, rolled from the revision it runs (ecs-deploy's way)")
    .option(
      '--container <name>',
      "without a spec: the container whose image changes (default: the revision's only one)",
    )
    .option('--force-new-deployment', 'without a spec: new tasks of the running revision, no new revision', false)
    .option('--name <name>', "without a spec: the deployment's service name (default: --service)")
    .option('--environment <name>', "without a spec: the deployment's environment (default: the cluster's name)")
    .option('--timeout <duration>', 'without a spec: how long the rollout may take (default 15m)')
    .option('--no-pin-image-digest', 'without a spec: deploy the image as given, its tag not pinned to a digest')
    .option('--wait', 'follow the deployment until it is active, rolled back or failed', false)
    .option('--by <name>', 'who asks (recorded in the deployment)', defaultActor())
    .action(cli.action((opts: DeployOptions) => deploy(opts, cli)));
}

/** Prints the deployment's id once started (unless --json), and with --wait its steps as progress. */
export async function deploy(opts: DeployOptions, cli: Pick<Cli, 'print' | 'progress'>): Promise<Reply<DeployOutcome>> {
  const config = loadConfig();
  const spec = specOf(opts);
  const outcome = await SwitchyardClient.using(config.temporal, async (client): Promise<DeployOutcome> => {
    await client.assertReady();
    await refuseMissingPrerequisites(client, spec);
    const { deploymentId, handle } = await client.start(spec, opts.by);
    if (opts.output === 'text') cli.print(deploymentId);
    if (!opts.wait) return { deploymentId, workflowId: handle.workflowId };
    const result = await client.follow(handle, (_status, steps) => printSteps(cli, opts.output, deploymentId, steps));
    return { deploymentId, workflowId: handle.workflowId, result };
  });
  const { result } = outcome;
  return {
    data: outcome,
    format: opts.output,
    text: () => (result ? formatResult(result) : undefined),
    exitCode: result && exitCodeOf(result),
  };
}

const specLessFlags = ['cluster', 'service', 'container', 'name', 'environment', 'timeout'] as const;

/** The spec file's, or the one-liner's: one or the other, before anything connects. */
function specOf(opts: DeployOptions): AnySpec {
  const given: string[] = specLessFlags.filter((flag) => opts[flag] !== undefined);
  if (opts.forceNewDeployment) given.push('force-new-deployment');
  if (!opts.pinImageDigest) given.push('no-pin-image-digest');
  if (opts.file) {
    if (given.length)
      throw new UserError(
        `switchyard deploy: --${given.join(', --')} without a spec only: with -f, say it in the spec (ecsService, container.name, forceNewDeployment, pinImageDigest…)`,
      );
    return loadSpec(opts.file, { image: opts.image });
  }
  if (!opts.cluster || !opts.service)
    throw new UserError(
      'switchyard deploy: expected -f <spec>, or --cluster and --service (with --image, or --force-new-deployment) to roll a service without one',
    );
  return rollingSpecFromFlags({ ...opts, cluster: opts.cluster, service: opts.service });
}

/**
 * What a blue/green deployment needs and cannot create (cluster, load balancer, hosted zone, the alarms
 * its gates watch, its capacity providers), checked through the preflight workflow before the deployment
 * starts: a miss is invalid input (exit 1), and nothing is started. The deployment checks again, as
 * things change meanwhile.
 */
export async function refuseMissingPrerequisites(client: SwitchyardClient, spec: AnySpec): Promise<void> {
  if (!isBlueGreen(spec)) return;
  const { report } = await client.preflight({
    cluster: spec.cluster,
    loadBalancer: spec.loadBalancer.name,
    hostedZone: spec.hostedZone,
    alarms: spec.traffic ? alarmsOf(spec.traffic) : [],
    capacityProviders: (spec.capacityProviderStrategy ?? []).map((p) => p.capacityProvider),
  });
  const missing = report.checks.filter((c) => !c.ok);
  if (missing.length === 0) return;
  throw new UserError(
    `refusing to start ${spec.service}/${spec.environment}, missing: ${missing.map((c) => `${c.resource} ${c.name} (${c.detail})`).join('; ')}`,
  );
}
