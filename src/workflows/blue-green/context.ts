// The one context a blue/green deployment's modules share: what the deployment is (its input and the
// names and tags derived from it), what it has found and staged so far, how people steer it, and the undo
// stack. Each module takes it as its first argument. The status the `status` query returns is a view
// (statusView): modules write what they found and did into it for people to read, and read their own
// state from the context, never from the status.
import { CancellationScope } from '@temporalio/workflow';
import type { ScalingSuspension } from '../../activities/application-autoscaling';
import type { HostRule, LoadBalancerSummary } from '../../activities/elbv2';
import type { ServiceScaling } from '../../shared/adoption';
import type {
  DeploymentInput,
  DeploymentSpec,
  DeploymentStatus,
  PreviousDeployment,
  TrafficStatus,
} from '../../shared/deployment';
import { deploymentTags, resourceNames, type ResourceNames, type Tag } from '../../shared/naming';
import type { RecordSnapshot } from '../../shared/records';
import { trafficPlanOf, type TrafficPlan } from '../../shared/traffic';
import { CompensationStack } from '../common/compensation';
import type { Steering } from '../common/gates';
import { TaskRoles } from '../common/roles';
import { DeploymentTracker, trackedDeployment } from '../common/tracker';
import { releaseHoldOf, type ReleaseHold } from './release-hold';

/** What the deployment needs and found before creating anything (prerequisites.ts). */
export interface Found {
  /** The image the revision names: its tag pinned to a digest (since pin-image-digest, when the spec pins). */
  image: string;
  lb: LoadBalancerSummary;
  zoneId: string;
  listenerArn: string;
  /** The production host's records as found before staging (since production-record-kept). */
  productionRecords?: RecordSnapshot[];
  /** What production forwards to now, if it is a deployment (of Switchyard's or not). */
  previous?: PreviousDeployment;
  /**
   * Whether the deployment runs with adopt-live-service: decided once, here (patched() called again later
   * would answer differently for a deployment that started before the patch and goes on after it).
   */
  adopting: boolean;
  /** Production's rule as found (since adopt-live-service): a rollback writes its actions back exactly. */
  productionRule?: HostRule;
  /** How many tasks the new service starts with, and its autoscaling (since adopt-live-service). */
  capacity?: Capacity;
}

/** The new service's size: production's count at least, and the autoscaling it gets. */
export interface Capacity {
  startCount: number;
  /** Tasks production ran (or wanted) when it was read. */
  productionCount: number;
  scaling?: ServiceScaling;
  /** The ECS service behind production when Switchyard did not create it (retired as adopt.retire says). */
  adoptedService?: string;
}

/** What stage.ts created for the new deployment. */
export interface Staged {
  taskDefinitionArn: string;
  targetGroupArn: string;
}

export interface BlueGreenContext {
  readonly input: DeploymentInput;
  readonly spec: DeploymentSpec;
  readonly deploymentId: string;
  readonly names: ResourceNames;
  readonly tags: Tag[];
  readonly plan: TrafficPlan;
  /** How often waits describe AWS. */
  readonly pollIntervalMs: number;
  readonly tracker: DeploymentTracker;
  /** The view the `status` query returns (the tracker's). */
  readonly status: DeploymentStatus;
  readonly undos: CompensationStack;
  readonly roles: TaskRoles;
  /** Everything before teardown runs in it: a rollback request cancels it. */
  readonly main: CancellationScope;
  readonly steering: Steering;
  /** The production rule as last found or written: weight changes and the restore address it by ARN. */
  productionRuleArn?: string;
  /**
   * The production rule's fingerprint as Switchyard last read or wrote it (since adopt-live-service): a
   * weight change finding it otherwise pauses the deployment. Cleared by a resume, which takes it as it is.
   */
  productionRuleFingerprint?: string;
  /** Its frame (everything but the forward's weights), read with it. */
  productionRuleFrame?: string;
  /** The previous service's scaling suspension before Switchyard held its scale-in (traffic.ts). */
  previousScaling?: ScalingSuspension;
  /** Where the traffic plan is, from activation on (traffic.ts starts it; steering and bakes move it). */
  traffic?: TrafficStatus;
  /** Set when the deployment is one service of a release, held where the release says (release-hold.ts). */
  readonly release?: ReleaseHold;
}

/** What the `status` query returns: the tracker's status with the traffic plan's progress. */
export function statusView(ctx: BlueGreenContext): DeploymentStatus {
  return ctx.traffic ? { ...ctx.status, traffic: ctx.traffic } : ctx.status;
}

export function createContext(input: DeploymentInput): BlueGreenContext {
  const { spec, deploymentId } = input;
  const tracker = new DeploymentTracker(trackedDeployment(input));
  return {
    input,
    spec,
    deploymentId,
    names: resourceNames(spec, deploymentId),
    tags: deploymentTags(spec, deploymentId),
    plan: trafficPlanOf(spec),
    pollIntervalMs: input.pollIntervalMs ?? 5_000,
    tracker,
    status: tracker.status,
    undos: new CompensationStack(),
    roles: new TaskRoles(tracker, spec.iamPropagationMs),
    main: new CancellationScope(),
    steering: { approved: false, rollback: {} },
    release: releaseHoldOf(input),
  };
}
