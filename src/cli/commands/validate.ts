// `switchyard validate -f spec.yaml [--image REF] [-o json]`: checks a spec offline (ecspresso's `verify`
// without the account): the schema, the traffic plan, the task definition it names and the image, every
// problem with its field at once. Nothing connects: no AWS, no Temporal. Exit 0 valid, 1 not.
import type { Command } from 'commander';
import { loadSpec, SpecError } from '../../spec/load';
import { deployedImage, isCodeDeploy, isRolling, type AnySpec } from '../../shared/deployment';
import type { Cli, Reply } from '../command';
import { withOutput, type OutputFormat } from '../options';
import { ExitCode } from '../../shared/errors';

interface ValidateOptions {
  file: string;
  image?: string;
  output: OutputFormat;
}

export interface Validation {
  file: string;
  valid: boolean;
  /** Each as "field: what is wrong" (empty when valid). */
  problems: string[];
  /** What the spec deploys, when valid. */
  summary?: string;
}

export function registerValidate(program: Command, cli: Cli): void {
  withOutput(program.command('validate'))
    .description('check a spec offline, every problem with its field at once: exit 0 valid, 1 not (nothing connects)')
    .requiredOption('-f, --file <spec>', 'deployment spec (YAML or JSON)')
    .option('--image <ref>', 'container image, overriding the spec (as deploy takes it)')
    .action(cli.action(async (opts: ValidateOptions) => validate(opts)));
}

export function validate(opts: ValidateOptions): Reply<Validation> {
  let validation: Validation;
  try {
    const spec = loadSpec(opts.file, { image: opts.image });
    validation = { file: opts.file, valid: true, problems: [], summary: summarize(spec) };
  } catch (err) {
    // Unreadable files and the like stay errors of their own (one line, exit 1); a spec's problems are data.
    if (!(err instanceof SpecError) || opts.output === 'text') throw err;
    validation = { file: opts.file, valid: false, problems: err.problems };
  }
  return {
    data: validation,
    format: opts.output,
    text: (v) => `${v.file}: valid ${v.summary}`,
    exitCode: validation.valid ? ExitCode.ok : ExitCode.failed,
  };
}

function summarize(spec: AnySpec): string {
  const what = `${spec.service}/${spec.environment} on cluster ${spec.cluster}, image ${deployedImage(spec)}`;
  if (isRolling(spec)) return `rolling update of ECS service ${spec.ecsService}: ${what}`;
  if (isCodeDeploy(spec))
    return `CodeDeploy deployment of ECS service ${spec.ecsService} by ${spec.codeDeploy.application}/${spec.codeDeploy.deploymentGroup}: ${what}${spec.approval.required ? ', approval required' : ''}`;
  const plan = spec.traffic;
  const steps = plan ? `, traffic ${plan.name} (${plan.steps.length} step(s))` : '';
  return `blue/green deployment of ${what}${steps}${spec.approval.required ? ', approval required' : ''}`;
}
