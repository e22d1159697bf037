// The task definition revision a deployment runs: the roles its tasks use, its undo, its registration.
// Both strategies register through here. They differ on one point, named by `roles` below.
import type { RegisterTaskDefinitionInput } from '../../activities/ecs';
import type { DeploymentStatus } from '../../shared/deployment';
import type { ResourceNames } from '../../shared/naming';
import { aws, executionRolePolicy, undo } from './activities';
import type { CompensationStack } from './compensation';
import type { TaskRoles } from './roles';
import type { DeploymentTracker } from './tracker';

/**
 * Which of Switchyard's roles a strategy ensures:
 * - `both` (blue/green): the task and execution roles are always ensured, and registerTaskDefinition
 *   keeps the roles the task definition names itself, so Switchyard's go unused then;
 * - `missing` (rolling): only the roles the task definition does not name.
 * One rule for both would change the commands running deployments send, which takes a patch.
 */
export type RoleChoice = 'both' | 'missing';

export interface RevisionSteps {
  readonly tracker: DeploymentTracker;
  readonly status: DeploymentStatus;
  readonly undos: CompensationStack;
  readonly roles: TaskRoles;
}

export type Revision = Omit<RegisterTaskDefinitionInput, 'taskRoleArn' | 'executionRoleArn'> & {
  readonly names: Pick<ResourceNames, 'taskRole' | 'executionRole'>;
};

/** Ensures the roles, pushes the revision's undo, registers it; returns its ARN. */
export async function registerRevision(steps: RevisionSteps, revision: Revision, choice: RoleChoice): Promise<string> {
  const { tracker, status, undos, roles } = steps;
  const { names, family, taskDefinition, containerName, image, tags, deploymentId } = revision;
  const own = choice === 'missing' ? (taskDefinition as { taskRoleArn?: string; executionRoleArn?: string }) : {};
  const [taskRoleArn, executionRoleArn] = await Promise.all([
    own.taskRoleArn ?? roles.ensure({ name: names.taskRole, managedPolicies: [], tags }),
    own.executionRoleArn ?? roles.ensure({ name: names.executionRole, managedPolicies: [executionRolePolicy], tags }),
  ]);
  undos.push('task definition', () => undo.deregisterTaskDefinition({ family, deploymentId }));
  const arn = await aws.registerTaskDefinition({
    family,
    taskDefinition,
    containerName,
    image,
    taskRoleArn,
    executionRoleArn,
    tags,
    deploymentId,
  });
  status.resources.taskDefinitionArn = arn;
  tracker.note(`registered ${arn}`);
  return arn;
}
