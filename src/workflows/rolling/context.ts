// The one context a rolling update's modules share: what it updates (the input, names, tags), how it is
// steered, and the undo stack. Each module takes it as its first argument.
import { CancellationScope } from '@temporalio/workflow';
import type { DeploymentInput, DeploymentStatus, RollingSpec } from '../../shared/deployment';
import { deploymentTags, resourceNames, type ResourceNames, type Tag } from '../../shared/naming';
import { CompensationStack } from '../common/compensation';
import type { RollbackRequest } from '../common/rollback-request';
import { TaskRoles } from '../common/roles';
import { DeploymentTracker, trackedDeployment } from '../common/tracker';

export interface RollingContext {
  readonly spec: RollingSpec;
  readonly deploymentId: string;
  readonly names: ResourceNames;
  readonly tags: Tag[];
  readonly tracker: DeploymentTracker;
  readonly status: DeploymentStatus;
  readonly undos: CompensationStack;
  readonly roles: TaskRoles;
  readonly rollback: RollbackRequest;
  /** The scope the update runs in: a rollback request cancels it. */
  readonly main: CancellationScope;
  readonly pollIntervalMs: number;
}

/** The service as found before anything changes. */
export interface RunningService {
  arn: string;
  /** The revision it runs, steady. */
  taskDefinition: string;
  /** The revision a failure rolls back to: Switchyard's last successful one, or the one running now. */
  knownGood: string;
  /** Its one (PRIMARY, COMPLETED) deployment: the one a forced redeploy replaces. */
  deploymentId: string;
}

export function createRollingContext(input: DeploymentInput<RollingSpec>): RollingContext {
  const tracker = new DeploymentTracker(trackedDeployment(input));
  return {
    spec: input.spec,
    deploymentId: input.deploymentId,
    names: resourceNames(input.spec, input.deploymentId),
    tags: deploymentTags(input.spec, input.deploymentId),
    tracker,
    status: tracker.status,
    undos: new CompensationStack(),
    roles: new TaskRoles(tracker, input.spec.iamPropagationMs),
    rollback: {},
    main: new CancellationScope(),
    pollIntervalMs: input.pollIntervalMs ?? 5_000,
  };
}
