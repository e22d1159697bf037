// Types that cross the workflow / activity / CLI boundary for a deployment. Safe for workflow code.
import type { AdoptSpec, AutoScalingSpec, CircuitBreakerSpec, ProductionRuleSpec, ServiceFieldsSpec } from './adoption';
import type { CapacityProviderItem } from './launch';
import type { NotificationFailure, Webhook } from './notify';
import type { ReleaseMembership } from './release';
import type { AnalysisResult, TrafficPlan } from './traffic';

export interface HealthCheckSpec {
  path: string;
  intervalSeconds: number;
  timeoutSeconds: number;
  healthyThreshold: number;
  unhealthyThreshold: number;
  matcher: string;
}

export interface NetworkSpec {
  subnets: string[];
  securityGroups: string[];
  assignPublicIp: boolean;
}

/** A container definition as ECS takes it (only the fields Switchyard reads are typed). */
export interface ContainerDefinition {
  name: string;
  image?: string;
  [key: string]: unknown;
}

/**
 * Fields DescribeTaskDefinition answers with that RegisterTaskDefinition refuses (ecspresso and ecs-deploy
 * strip the same ones): the ECS model's TaskDefinition members that RegisterTaskDefinitionRequest lacks
 * (test/unit/task-definition-fields.test.ts checks them against the model).
 */
export const describedOnlyTaskDefinitionFields = [
  'taskDefinitionArn',
  'revision',
  'status',
  'requiresAttributes',
  'compatibilities',
  'registeredAt',
  'registeredBy',
  'deregisteredAt',
  'deleteRequestedAt',
] as const;

export interface TaskDefinitionSpec {
  containerDefinitions: ContainerDefinition[];
  [key: string]: unknown;
}

/** A validated blue/green spec with the task definition resolved and every duration in milliseconds. */
export interface DeploymentSpec extends ServiceFieldsSpec {
  strategy?: 'blueGreen';
  /** Webhooks told of its events (absent: none). */
  notify?: Webhook[];
  service: string;
  environment: string;
  cluster: string;
  taskDefinition: TaskDefinitionSpec;
  image: string;
  container: { name: string; port: number };
  desiredCount: number;
  /** Absent: the load balancer's subnets and security groups. */
  network?: NetworkSpec;
  loadBalancer: { name: string; listenerPort: number };
  /** overwriteProductionRecord: absent in deployments started before it existed (false). */
  /** productionRecord: absent in deployments started before it existed ('manage'). */
  hosts: {
    production: string;
    stage: string;
    overwriteProductionRecord?: boolean;
    productionRecord?: 'manage' | 'leave';
  };
  /** Production's rule conditions beyond the host; absent: the host alone. */
  productionRule?: ProductionRuleSpec;
  /** What becomes of a production Switchyard did not create; absent: left as it is. */
  adopt?: AdoptSpec;
  /** The new service's Application Auto Scaling; absent: none. */
  autoScaling?: AutoScalingSpec;
  hostedZone: string;
  healthCheck: HealthCheckSpec;
  timeouts: { steadyMs: number; testsMs: number };
  approval: { required: boolean; timeoutMs: number; onTimeout: 'rollback' | 'continue' };
  /** Absent in deployments started before traffic plans existed: all at once. */
  traffic?: TrafficPlan;
  drainMs: number;
  /**
   * How long ECS ignores the load balancer's health checks of a new task (healthCheckGracePeriodSeconds).
   * Absent in deployments started before it was in the spec: ECS's own default, 0.
   */
  healthCheckGracePeriodMs?: number;
  /** Absent: the launch type the task definition asks for (src/shared/launch.ts). */
  capacityProviderStrategy?: CapacityProviderItem[];
  /** How long a role IAM has just created is left to propagate before tasks start with it. Absent: 10 s. */
  iamPropagationMs?: number;
  /**
   * The image's tag is resolved to its digest in ECR before anything changes, and the revision names the
   * digest. Absent in deployments started before pinning existed (and in specs built in code): as given.
   */
  pinImageDigest?: boolean;
}

/** A validated rolling-update spec: the service stays in place and gets a new task definition revision. */
export interface RollingSpec {
  strategy: 'rolling';
  /** Webhooks told of its events (absent: none). */
  notify?: Webhook[];
  service: string;
  environment: string;
  cluster: string;
  /** Absent: the revision the service runs, with the image swapped (ecs-deploy's way). */
  taskDefinition?: TaskDefinitionSpec;
  /** Absent only with forceNewDeployment: the running revision as it is. */
  image?: string;
  /** name absent: the base revision's only container. */
  container: { name?: string };
  /** No new revision: new tasks of the running one (update-service --force-new-deployment). */
  forceNewDeployment?: boolean;
  /** The existing ECS service to update. */
  ecsService: string;
  timeouts: { steadyMs: number };
  /** Set on the service with the update; absent: the service's own. */
  deploymentCircuitBreaker?: CircuitBreakerSpec;
  /** As in DeploymentSpec. */
  iamPropagationMs?: number;
  /** As in DeploymentSpec. */
  pinImageDigest?: boolean;
}

/** The AppSpec hooks of an ECS deployment (Lambda functions CodeDeploy invokes), in the order it runs them. */
export const codeDeployHooks = [
  'BeforeInstall',
  'AfterInstall',
  'AfterAllowTestTraffic',
  'BeforeAllowTraffic',
  'AfterAllowTraffic',
] as const;
export type CodeDeployHook = (typeof codeDeployHooks)[number];

/**
 * A validated CodeDeploy spec: the ECS service (deployment controller CODE_DEPLOY) stays as it is, and its
 * CodeDeploy deployment group deploys a new revision; Switchyard holds it at the ready wait for its gates.
 */
export interface CodeDeploySpec {
  strategy: 'codeDeploy';
  /** Webhooks told of its events (absent: none). */
  notify?: Webhook[];
  service: string;
  environment: string;
  cluster: string;
  /** The existing ECS service, whose deployment controller is CODE_DEPLOY. */
  ecsService: string;
  taskDefinition: TaskDefinitionSpec;
  image: string;
  /** The container and port the AppSpec's LoadBalancerInfo names. */
  container: { name: string; port: number };
  codeDeploy: {
    application: string;
    deploymentGroup: string;
    /** Absent: the deployment group's. */
    deploymentConfig?: string;
    /** AppSpec hooks passed through: Lambda function names or ARNs. */
    hooks?: Partial<Record<CodeDeployHook, string>>;
    /** A deployment group that shifts traffic on its own (no ready wait) is deployed without gates. */
    acceptAutoContinue: boolean;
  };
  /** steadyMs: for the replacement task set to come up (the traffic shift adds CodeDeploy's own times). */
  timeouts: { steadyMs: number; testsMs: number };
  approval: { required: boolean; timeoutMs: number; onTimeout: 'rollback' | 'continue' };
  /** As in DeploymentSpec. */
  iamPropagationMs?: number;
  /** As in DeploymentSpec. */
  pinImageDigest?: boolean;
}

export type AnySpec = DeploymentSpec | RollingSpec | CodeDeploySpec;

export function isRolling(spec: AnySpec): spec is RollingSpec {
  return spec.strategy === 'rolling';
}

export function isCodeDeploy(spec: AnySpec): spec is CodeDeploySpec {
  return spec.strategy === 'codeDeploy';
}

/** Switchyard's own blue/green (`strategy` blueGreen, or absent in deployments started before strategies). */
export function isBlueGreen(spec: AnySpec): spec is DeploymentSpec {
  return !isRolling(spec) && !isCodeDeploy(spec);
}

/** What a deployment deploys, in a line: its image, or the running revision that a forced redeploy restarts. */
export function deployedImage(spec: AnySpec): string {
  return spec.image ?? 'the running revision, as it is';
}

export const phases = [
  'pending',
  'staging',
  'awaiting_tests',
  'awaiting_approval',
  'activating',
  'baking',
  'draining',
  'updating',
  'tearing_down',
  'rolling_back',
  'active',
  'rolled_back',
  'failed',
] as const;
export type Phase = (typeof phases)[number];

export type TerminalPhase = Extract<Phase, 'active' | 'rolled_back' | 'failed'>;

/** Whether the deployment has ended in this phase. */
export function isTerminal(phase: Phase): phase is TerminalPhase {
  return phase === 'active' || phase === 'rolled_back' || phase === 'failed';
}

export interface DeploymentInput<S extends AnySpec = DeploymentSpec> {
  deploymentId: string;
  spec: S;
  requestedBy: string;
  /** How often waits describe AWS (default 5 s); tests use less. */
  pollIntervalMs?: number;
  /** Set when the deployment is one service of a release (src/shared/release.ts). */
  release?: ReleaseMembership;
}

export interface StepRecord {
  at: string;
  phase: Phase;
  note: string;
}

export interface DeploymentResources {
  loadBalancerArn?: string;
  listenerArn?: string;
  taskDefinitionArn?: string;
  targetGroupArn?: string;
  serviceName?: string;
  stageRuleArn?: string;
  productionRuleArn?: string;
  /** CodeDeploy mode: the deployment CodeDeploy runs for this one. */
  codeDeployDeploymentId?: string;
}

export interface PreviousDeployment {
  deploymentId: string;
  targetGroupArn: string;
  serviceName?: string;
  taskDefinitionArn?: string;
  /** Tasks its service ran or wanted when it was found, whichever is more. */
  tasks?: number;
}

export interface DeploymentStatus {
  deploymentId: string;
  service: string;
  environment: string;
  /** The image as given (a tag, say). */
  image: string;
  /** The image the revision names, its tag resolved to a digest when the spec pins it. */
  pinnedImage?: string;
  phase: Phase;
  startedAt: string;
  updatedAt: string;
  requestedBy: string;
  /** The release this deployment is one service of. */
  releaseId?: string;
  waitingFor?: string;
  /** Who approved the latest approval gate passed. */
  approvedBy?: string;
  /** Every approval gate passed, in order (since plan approval steps). */
  approvals?: ApprovalRecord[];
  testsReportedBy?: string;
  rollbackRequestedBy?: string;
  reason?: string;
  previous?: PreviousDeployment;
  /** Progressive traffic: where the plan is and what production sends to the new deployment. */
  traffic?: TrafficStatus;
  /** Rolling updates: the revision a failure rolls back to. */
  knownGoodTaskDefinition?: string;
  resources: DeploymentResources;
  /** What could not be cleaned up (only when failed). */
  leftovers: string[];
  history: StepRecord[];
  /** Notifications sent, and the webhooks that could not be reached (the deployment went on regardless). */
  notifications?: { sent: number; failed: NotificationFailure[] };
}

export interface TrafficStatus {
  plan: string;
  /** Index of the step running now (0-based) and how many there are. */
  step: number;
  steps: number;
  /** Percent of production on the new deployment, as last read back from the load balancer. */
  percent: number;
  paused: boolean;
  promoted: boolean;
  /** The latest analysis round, and every failed one. */
  lastAnalysis?: AnalysisResult;
  failedAnalyses: AnalysisResult[];
  /** When a rollback restored production to the previous deployment (read back), and how long it took. */
  restoredAt?: string;
  restoreMs?: number;
}

export interface DeploymentResult {
  deploymentId: string;
  phase: TerminalPhase;
  reason?: string;
  leftovers: string[];
}

export interface ActorMessage {
  /** Who sends it, as they say (`--by`). */
  by?: string;
  reason?: string;
  /** The sending client's Temporal identity (the CLI's: pid@host), recorded with `by`. */
  identity?: string;
}

/** What an accepted message (sent as an Update) answers once it has taken effect. */
export interface MessageAnswer {
  /** The deployment's phase then. */
  phase: Phase;
  /** What happened, in a line. */
  note: string;
  /**
   * A rollback: how long after the request production read back on the previous deployment (workflow
   * time; absent when production never left it, or had been restored before the request).
   */
  restoreMs?: number;
}

/** An approval gate passed (before the switch, or an `approval` step of the traffic plan). */
export interface ApprovalRecord {
  at: string;
  /** Which gate: "before the switch", "step 3 of 5". */
  gate: string;
  /** Who approved (absent: the gate's timeout continued, as the spec allowed). */
  by?: string;
  identity?: string;
}
