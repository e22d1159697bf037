// Recovery of a rolling update (see ../recover.ts): the service back on its known-good revision when
// one is still registered, else left on what it runs; the stuck deployment's revision deregistered
// unless the service runs it.
import type { RollingSpec } from '../../shared/deployment';
import { resourceNames } from '../../shared/naming';
import { aws, undo, waitOptions } from '../common/activities';
import type { Recovery } from './recovery';

export async function recoverRolling(rec: Recovery, spec: RollingSpec): Promise<void> {
  const { input, report, did, remove } = rec;
  const service = await aws.describeRollout({ cluster: spec.cluster, name: spec.ecsService });
  // A revision based on the running one is in that one's family (task-definition/<family>:<revision>).
  const family = !spec.taskDefinition
    ? service?.taskDefinition.split('/').pop()?.replace(/:\d+$/, '')
    : typeof spec.taskDefinition.family === 'string'
      ? spec.taskDefinition.family
      : resourceNames(spec, input.deploymentId).family;
  if (!service || !family) {
    report.leftovers.push(`ECS service ${spec.ecsService} not found: nothing serves`);
    if (!family) return;
    return remove(`task definition revision of ${input.deploymentId}`, () =>
      undo.deregisterTaskDefinition({ family, deploymentId: input.deploymentId }),
    );
  }
  // The revision to go back to: the one Switchyard recorded as known good; on a first rolling update,
  // the one ECS is still replacing (the service's ACTIVE deployment beside the new PRIMARY).
  const knownGood =
    service.knownGood ??
    service.deployments.find((d) => d.status === 'ACTIVE' && d.taskDefinition !== service.taskDefinition)
      ?.taskDefinition;
  if (knownGood && (await aws.taskDefinitionStatus({ taskDefinition: knownGood })) === 'ACTIVE') {
    if (service.taskDefinition !== knownGood || service.deployments.length !== 1) {
      await aws.updateServiceRevision({ cluster: spec.cluster, name: spec.ecsService, taskDefinitionArn: knownGood });
      await aws.waitForRollout.executeWithOptions(
        waitOptions(spec.timeouts.steadyMs, `wait for ${spec.ecsService} to run ${knownGood}`),
        [
          {
            cluster: spec.cluster,
            name: spec.ecsService,
            taskDefinitionArn: knownGood,
            deadline: Date.now() + spec.timeouts.steadyMs,
            intervalMs: input.pollIntervalMs ?? 5_000,
          },
        ],
      );
      did(`${spec.ecsService} rolled back to its known-good revision ${knownGood}`);
    }
    report.production = 'restored';
    report.live = knownGood;
  } else {
    report.production = 'kept';
    report.live = service.taskDefinition;
    did(`${spec.ecsService} has no known-good revision to go back to: it stays on ${service.taskDefinition}`);
  }
  // The stuck deployment's revision goes, unless the service runs it.
  await remove(`task definition revision of ${input.deploymentId}`, () =>
    undo.deregisterTaskDefinition({ family, deploymentId: input.deploymentId, keep: report.live }),
  );
}
