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
