// Recovery of a CodeDeploy-mode deployment (see ../recover.ts): the CodeDeploy deployment it started, if
// still in flight, stopped with rollback and awaited until the service runs one task set again; then
// the stuck deployment's revision deregistered unless that task set runs it.
import type { CodeDeploySpec } from '../../shared/deployment';
import { resourceNames } from '../../shared/naming';
import { aws, undo, waitOptions } from '../common/activities';
import { descriptionOf } from '../code-deploy/context';
import type { Recovery } from './recovery';

export async function recoverCodeDeploy(rec: Recovery, spec: CodeDeploySpec): Promise<void> {
  const { input, report, did, remove } = rec;
  const stopped = await undo.stopCodeDeployDeployment({
    application: spec.codeDeploy.application,
    deploymentGroup: spec.codeDeploy.deploymentGroup,
    description: descriptionOf(input.deploymentId, spec),
  });
  if (stopped.id) did(`CodeDeploy deployment ${stopped.id} stopped with rollback (${stopped.status})`);
  const service = await aws.describeTaskSets({ cluster: spec.cluster, name: spec.ecsService });
  const primary = service?.taskSets.find((t) => t.status === 'PRIMARY');
  if (!service || !primary) {
    report.leftovers.push(`ECS service ${spec.ecsService} has no PRIMARY task set: nothing serves`);
    return;
  }
  await aws.waitForOnlyTaskSet.executeWithOptions(
    waitOptions(spec.timeouts.steadyMs, `wait for ${spec.ecsService} to run only its PRIMARY task set`),
    [
      {
        cluster: spec.cluster,
        name: spec.ecsService,
        taskSetArn: primary.arn,
        deadline: Date.now() + spec.timeouts.steadyMs,
        intervalMs: input.pollIntervalMs ?? 5_000,
      },
    ],
  );
  report.production = stopped.status === 'Succeeded' ? 'kept' : 'restored';
  report.live = primary.taskDefinition;
  did(`${spec.ecsService} runs ${primary.taskDefinition} only`);
  const family =
    typeof spec.taskDefinition.family === 'string'
      ? spec.taskDefinition.family
      : resourceNames(spec, input.deploymentId).family;
  await remove(`task definition revision of ${input.deploymentId}`, () =>
    undo.deregisterTaskDefinition({ family, deploymentId: input.deploymentId, keep: report.live }),
  );
}
