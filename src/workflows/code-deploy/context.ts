// The one context a CodeDeploy-mode deployment's modules share: the input and the names derived from it,
// the deployment group as found before anything changed, the CodeDeploy deployment and how far it has
// got, how people steer it, and the undo stack. Each module takes it as its first argument.
import { CancellationScope } from '@temporalio/workflow';
import type { CodeDeployProgress, DeploymentGroupSetup } from '../../activities/codedeploy';
import type { CodeDeploySpec, DeploymentInput, DeploymentStatus, TrafficStatus } from '../../shared/deployment';
import { deploymentTags, resourceNames, type ResourceNames, type Tag } from '../../shared/naming';
import { CompensationStack } from '../common/compensation';
import type { Gated, Steering } from '../common/gates';
import { TaskRoles } from '../common/roles';
import { DeploymentTracker, trackedDeployment } from '../common/tracker';

/** What the deployment found before changing anything (setup.ts). */
export interface Setup {
  group: DeploymentGroupSetup;
  /** The task set production runs on now: a rollback puts production back on it. */
  original: { taskSetArn: string; taskDefinition: string; targetGroupArn?: string };
  /** The test listener's port (absent: the group has no test listener). */
  testPort?: number;
  /** How long CodeDeploy takes from the ready wait's end to success: its traffic shift and termination wait. */
  afterReadyMs: number;
}

export interface CodeDeployContext extends Gated {
  readonly spec: CodeDeploySpec;
  readonly deploymentId: string;
  readonly names: ResourceNames;
  readonly tags: Tag[];
  readonly undos: CompensationStack;
  readonly roles: TaskRoles;
  /** Everything before CodeDeploy's success runs in it: a rollback request cancels it. */
  readonly main: CancellationScope;
  readonly steering: Steering;
  readonly pollIntervalMs: number;
  /** How CodeDeploy knows Switchyard's deployment: a retry finds it by this description. */
  readonly description: string;
  /** The ECS target's id in the CodeDeploy deployment: `<cluster>:<service>`. */
  readonly targetId: string;
  /** The CodeDeploy deployment, once started. */
  codeDeployId?: string;
  /** Where it was when last followed. */
  progress?: CodeDeployProgress;
  /** Production traffic as CodeDeploy shifts it, from the ready wait's end on. */
  traffic?: TrafficStatus;
  /** A rollback's undo has read production back on the original task set. */
  restored?: { restoreMs?: number };
}

export function createCodeDeployContext(input: DeploymentInput<CodeDeploySpec>): CodeDeployContext {
  const { spec, deploymentId } = input;
  const tracker = new DeploymentTracker(trackedDeployment(input));
  return {
    spec,
    deploymentId,
    names: resourceNames(spec, deploymentId),
    tags: deploymentTags(spec, deploymentId),
    tracker,
    status: tracker.status,
    undos: new CompensationStack(),
    roles: new TaskRoles(tracker, spec.iamPropagationMs),
    main: new CancellationScope(),
    steering: { approved: false, rollback: {} },
    pollIntervalMs: input.pollIntervalMs ?? 5_000,
    description: descriptionOf(deploymentId, spec),
    targetId: `${spec.cluster.split('/').pop()}:${spec.ecsService}`,
  };
}

/** How CodeDeploy knows the deployment Switchyard started: its description, which a retry finds it by. */
export function descriptionOf(deploymentId: string, spec: Pick<CodeDeploySpec, 'service' | 'environment'>): string {
  return `switchyard deployment ${deploymentId} of ${spec.service}/${spec.environment}`;
}

/** What the `status` query returns: the tracker's status with CodeDeploy's traffic progress. */
export function statusView(ctx: CodeDeployContext): DeploymentStatus {
  return ctx.traffic ? { ...ctx.status, traffic: ctx.traffic } : ctx.status;
}
