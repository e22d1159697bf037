// The revision a rolling update registers: the spec's task definition, or (ecs-deploy's way) the one the
// service runs, described and registered again with the named container's image swapped; the image
// pinned to its digest when the spec says so.
import { ApplicationFailure } from '@temporalio/workflow';
import type { TaskDefinitionSpec } from '../../shared/deployment';
import { failureTypes } from '../../shared/failures';
import { aws } from '../common/activities';
import { pinnedImage } from '../common/image';
import { registerRevision } from '../common/revision';
import type { RollingContext, RunningService } from './context';

export async function registerNext(ctx: RollingContext, service: RunningService): Promise<string> {
  const { spec, names, tags, deploymentId, tracker } = ctx;
  const base = spec.taskDefinition
    ? {
        family: typeof spec.taskDefinition.family === 'string' ? spec.taskDefinition.family : names.family,
        taskDefinition: spec.taskDefinition,
      }
    : await runningRevision(ctx, service.taskDefinition);
  const containerName = containerOf(ctx, base.taskDefinition);
  const image = await pinnedImage(tracker, spec.image!, spec.pinImageDigest);
  return registerRevision(
    ctx,
    { names, family: base.family, taskDefinition: base.taskDefinition, containerName, image, tags, deploymentId },
    'missing',
  );
}

async function runningRevision(ctx: RollingContext, arn: string) {
  const described = await aws.describeRevision({ taskDefinition: arn });
  ctx.tracker.note(`based on the running revision ${described.arn}`);
  return described;
}

/** The container whose image changes: the spec's, or the revision's only one. */
function containerOf(ctx: RollingContext, taskDefinition: TaskDefinitionSpec): string {
  const { spec } = ctx;
  const names = taskDefinition.containerDefinitions.map((c) => c.name);
  const name = spec.container.name ?? (names.length === 1 ? names[0] : undefined);
  if (name && names.includes(name)) return name;
  throw ApplicationFailure.nonRetryable(
    name
      ? `container ${name} is not in the revision ${spec.ecsService} runs (it has ${names.join(', ')})`
      : `the revision ${spec.ecsService} runs has ${names.length} containers (${names.join(', ')}): name the one to update (--container or container.name)`,
    failureTypes.prerequisite,
  );
}
