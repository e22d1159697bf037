// Types that cross the workflow / activity / CLI boundary for a deployment. Safe for workflow code.

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

export interface TaskDefinitionSpec {
  containerDefinitions: ContainerDefinition[];
  [key: string]: unknown;
}

/** A validated spec with the task definition resolved and every duration in milliseconds. */
export interface DeploymentSpec {
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
  hosts: { production: string; stage: string };
  hostedZone: string;
  healthCheck: HealthCheckSpec;
  timeouts: { steadyMs: number; testsMs: number };
  approval: { required: boolean; timeoutMs: number; onTimeout: 'rollback' | 'continue' };
  drainMs: number;
}

export const phases = [
  'pending',
  'staging',
  'awaiting_tests',
  'awaiting_approval',
  'activating',
  'draining',
  'tearing_down',
  'rolling_back',
  'active',
  'rolled_back',
  'failed',
] as const;
export type Phase = (typeof phases)[number];

export type TerminalPhase = Extract<Phase, 'active' | 'rolled_back' | 'failed'>;

export function isTerminal(phase: Phase): phase is TerminalPhase {
  return phase === 'active' || phase === 'rolled_back' || phase === 'failed';
}

export interface DeploymentInput {
  deploymentId: string;
  spec: DeploymentSpec;
  requestedBy: string;
  /** How often waits describe AWS (default 5 s); tests use less. */
  pollIntervalMs?: number;
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
}

export interface PreviousDeployment {
  deploymentId: string;
  targetGroupArn: string;
  serviceName?: string;
  taskDefinitionArn?: string;
}

export interface DeploymentStatus {
  deploymentId: string;
  service: string;
  environment: string;
  image: string;
  phase: Phase;
  startedAt: string;
  updatedAt: string;
  requestedBy: string;
  waitingFor?: string;
  approvedBy?: string;
  testsReportedBy?: string;
  rollbackRequestedBy?: string;
  reason?: string;
  previous?: PreviousDeployment;
  resources: DeploymentResources;
  /** What could not be cleaned up (only when failed). */
  leftovers: string[];
  history: StepRecord[];
}

export interface DeploymentResult {
  deploymentId: string;
  phase: TerminalPhase;
  reason?: string;
  leftovers: string[];
}

export interface ActorMessage {
  by?: string;
  reason?: string;
}
