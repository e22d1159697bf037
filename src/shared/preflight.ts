// What a preflight checks and reports; shared by the workflow, the CLI and the tests.

export interface PreflightInput {
  cluster: string;
  loadBalancer: string;
  listenerPort?: number;
  hostedZone: string;
  /** CloudWatch alarms the deployment's analysis gates watch. */
  alarms?: string[];
  /** Capacity providers the deployment's strategy names: each must be associated with the cluster. */
  capacityProviders?: string[];
}

export interface PreflightCheck {
  resource: 'cluster' | 'loadBalancer' | 'listener' | 'hostedZone' | 'alarm' | 'capacityProvider';
  name: string;
  ok: boolean;
  detail: string;
}

export interface PreflightReport {
  ok: boolean;
  checks: PreflightCheck[];
}
