// The task definition revision a deployment runs: the roles its tasks use, its undo, its registration.
// Both strategies register through here. They differ on one point, named by `roles` below.
import { patched } from '@temporalio/workflow';
import type { RegisterTaskDefinitionInput } from '../../activities/ecs';
import type { DeploymentStatus } from '../../shared/deployment';
import type { ResourceNames } from '../../shared/naming';
import { secretReferences } from '../../shared/secrets';
import { executionRoleReadsSecrets } from '../patches';
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

/** Ensures the roles (and what the execution role reads), pushes the revision's undo, registers it; returns its ARN. */
export async function registerRevision(steps: RevisionSteps, revision: Revision, choice: RoleChoice): Promise<string> {
  const { tracker, status, undos, roles } = steps;
  const { names, family, taskDefinition, containerName, image, tags, deploymentId } = revision;
  const named = taskDefinition as { taskRoleArn?: string; executionRoleArn?: string };
  const own = choice === 'missing' ? named : {};
  const [taskRoleArn, executionRoleArn] = await Promise.all([
    own.taskRoleArn ?? roles.ensure({ name: names.taskRole, managedPolicies: [], tags }),
    own.executionRoleArn ?? roles.ensure({ name: names.executionRole, managedPolicies: [executionRolePolicy], tags }),
  ]);
  // ECS reads the revision's secrets with the execution role: Switchyard's, unless the revision names its own.
  if (!named.executionRoleArn && patched(executionRoleReadsSecrets)) {
    roles.secretReadsOn = names.executionRole;
    const valueFroms = secretReferences(taskDefinition);
    if (valueFroms.length) {
      undos.push('secret reads', () => undo.revokeSecretReads({ role: names.executionRole, deploymentId }));
      await aws.grantSecretReads({ role: names.executionRole, deploymentId, valueFroms });
      tracker.note(`${names.executionRole} may read ${valueFroms.join(', ')}`);
    }
  }
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
