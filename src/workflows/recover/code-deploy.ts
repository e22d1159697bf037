// Recovery of a CodeDeploy-mode deployment (see ../recover.ts): the CodeDeploy deployment it started, if
// still in flight, stopped with rollback and awaited until the service runs one task set again; then
// the stuck deployment's revision deregistered unless that task set runs it. (A service left with no
// task set, or two, after the steady timeout is a failed recovery: the wait's failure says which.)
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
  if (stopped.id) did(`CodeDeploy deployment ${stopped.id}: stop with rollback requested (it is ${stopped.status})`);
  else did('no CodeDeploy deployment of it is in flight: production is as CodeDeploy left it');
  // The rollback runs on CodeDeploy's side, as a deployment of its own: until it has removed the
  // replacement, which task set will remain is not known. Whichever it is, it then serves alone.
  const service = await aws.waitForOnlyTaskSet.executeWithOptions(
    waitOptions(spec.timeouts.steadyMs, `wait for ${spec.ecsService} to run one task set`),
    [
      {
        cluster: spec.cluster,
        name: spec.ecsService,
        deadline: Date.now() + spec.timeouts.steadyMs,
        intervalMs: input.pollIntervalMs ?? 5_000,
      },
    ],
  );
  const live = service.taskSets[0].taskDefinition;
  report.production = !stopped.id ? 'none' : stopped.status === 'Succeeded' ? 'kept' : 'restored';
  report.live = live;
  did(`${spec.ecsService} runs ${live} only`);
  const family =
    typeof spec.taskDefinition.family === 'string'
      ? spec.taskDefinition.family
      : resourceNames(spec, input.deploymentId).family;
  await remove(`task definition revision of ${input.deploymentId}`, () =>
    undo.deregisterTaskDefinition({ family, deploymentId: input.deploymentId, keep: report.live }),
  );
}
