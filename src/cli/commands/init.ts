// `switchyard init CLUSTER/SERVICE` (or --cluster C --service S): a blue/green spec from a service that
// already runs, read from AWS (src/client/live-service) and written as YAML to stdout or -o FILE, once it
// loads as `switchyard deploy` would load it. Anything Switchyard could not adopt is refused before a
// byte is written. Without an argument: the old `switchyard init`, now `switchyard setup`, with a warning.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { createAwsClients, destroyAwsClients } from '../../aws/clients';
import { readLiveService } from '../../client/live-service';
import { specFromService } from '../../client/spec-from-service';
import { loadConfig } from '../../config';
import { environmentName, hostname, serviceName } from '../../spec/fields';
import { loadSpec } from '../../spec/load';
import { UserError } from '../../shared/errors';
import type { Cli, Reply } from '../command';
import { setup } from './setup';

export interface InitOptions {
  cluster?: string;
  service?: string;
  output?: string;
  force: boolean;
  name?: string;
  environment?: string;
  stageHost?: string;
  retire: 'leave' | 'scaleToZero';
  scalingFromSpec: boolean;
}

export interface InitResult {
  spec: string;
  file?: string;
}

/** An option checked by one of the spec's own field schemas, so what it accepts is what the spec does. */
function specField(schema: { safeParse(v: unknown): { success: boolean; error?: { issues: { message: string }[] } } }) {
  return (value: string) => {
    const parsed = schema.safeParse(value);
    if (!parsed.success) throw new InvalidArgumentError(parsed.error!.issues[0].message);
    return value;
  };
}

function retire(value: string): InitOptions['retire'] {
  if (value !== 'leave' && value !== 'scaleToZero') throw new InvalidArgumentError('expected leave or scaleToZero');
  return value;
}

export function registerInit(program: Command, cli: Cli): void {
  program
    .command('init')
    .argument('[cluster/service]', 'the ECS service to generate a spec from (or a service ARN)')
    .description('print a blue/green spec for an ECS service that already runs (ecspresso init, for Switchyard)')
    .option('--cluster <name>', 'ECS cluster name or ARN (with --service, instead of CLUSTER/SERVICE)')
    .option('--service <name>', 'ECS service name')
    .option('-o, --output <file>', 'write the spec to this file instead of stdout')
    .option('--force', 'overwrite the --output file if it exists', false)
    .option(
      '--name <service>',
      "the spec's service name (default: from the ECS service's name)",
      specField(serviceName),
    )
    .option(
      '--environment <env>',
      "the spec's environment (default: from the ECS service's name, else prod)",
      specField(environmentName),
    )
    .option(
      '--stage-host <host>',
      'the stage host (default: stage-<production host>, in its zone)',
      specField(hostname),
    )
    .option('--retire <how>', 'the adopted service once production has left it: leave or scaleToZero', retire, 'leave')
    .option(
      '--scaling-from-spec',
      "write the service's scaling bounds and policies into the spec instead of from: production",
      false,
    )
    .action(cli.action((target: string | undefined, opts: InitOptions) => init(target, opts, cli)));
}

/** CLUSTER/SERVICE, a service ARN (arn:aws:ecs:<region>:<account>:service/<cluster>/<service>), or the flags. */
export function targetOf(target: string | undefined, opts: Pick<InitOptions, 'cluster' | 'service'>) {
  if (target && (opts.cluster || opts.service))
    throw new UserError('give the service as CLUSTER/SERVICE or as --cluster C --service S, not both');
  if (!target) {
    if (!opts.cluster || !opts.service) throw new UserError('--cluster and --service go together: name both');
    return { cluster: opts.cluster, service: opts.service };
  }
  const arn = /^arn:aws[a-z-]*:ecs:[a-z0-9-]+:\d{12}:service\/([^/]+)\/([^/]+)$/.exec(target);
  if (arn) return { cluster: arn[1], service: arn[2] };
  const at = target.lastIndexOf('/');
  if (at <= 0 || at === target.length - 1)
    throw new UserError(`expected CLUSTER/SERVICE (e.g. main/web-prod), got ${JSON.stringify(target)}`);
  return { cluster: target.slice(0, at), service: target.slice(at + 1) };
}

export async function init(
  target: string | undefined,
  opts: InitOptions,
  cli: Pick<Cli, 'progress'>,
): Promise<Reply<InitResult | { added: string[]; present: string[] }>> {
  const forASpec = opts.output || opts.name || opts.environment || opts.stageHost || opts.scalingFromSpec;
  if (!target && !opts.cluster && !opts.service && forASpec)
    throw new UserError('name the ECS service to read: switchyard init CLUSTER/SERVICE (or --cluster C --service S)');
  if (!target && !opts.cluster && !opts.service) {
    // Until the next release: CI scripts that prepare a namespace with `switchyard init` keep working.
    cli.progress('switchyard: `switchyard init` without a service is deprecated; use `switchyard setup`');
    return setup({ output: 'text' });
  }
  return generate(targetOf(target, opts), opts, cli);
}

async function generate(
  target: { cluster: string; service: string },
  opts: InitOptions,
  cli: Pick<Cli, 'progress'>,
): Promise<Reply<InitResult>> {
  if (opts.output && fs.existsSync(opts.output) && !opts.force)
    throw new UserError(`${opts.output} exists; refusing to overwrite it (--force does)`);
  const { aws } = loadConfig();
  const clients = createAwsClients(aws);
  let spec: string;
  try {
    spec = specFromService(await readLiveService(clients, target), opts);
  } finally {
    destroyAwsClients(clients);
  }
  assertLoads(spec, target.service);
  if (!opts.output) return { data: { spec }, text: (r) => r.spec.replace(/\n$/, '') };
  fs.writeFileSync(opts.output, spec, { flag: opts.force ? 'w' : 'wx' });
  cli.progress(`wrote ${opts.output}: the spec of ECS service ${target.service} in cluster ${target.cluster}`);
  return { data: { spec, file: opts.output } };
}

/** The spec loads as `switchyard deploy` loads it, or nothing is written. */
function assertLoads(spec: string, service: string): void {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchyard-init-'));
  try {
    const file = path.join(dir, 'spec.yaml');
    fs.writeFileSync(file, spec);
    loadSpec(file);
  } catch (err) {
    if (!(err instanceof UserError)) throw err;
    const problems = err.message.split('\n').slice(1).join('\n');
    throw new UserError(
      `the spec generated from ECS service ${service} would not load (--name, --environment and --stage-host set those fields):\n${problems}`,
    );
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
