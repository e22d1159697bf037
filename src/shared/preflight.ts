// What a preflight checks and reports; shared by the workflow, the CLI and the tests.

export interface PreflightInput {
  cluster: string;
  loadBalancer: string;
  listenerPort?: number;
  hostedZone: string;
}

export interface PreflightCheck {
  resource: 'cluster' | 'loadBalancer' | 'listener' | 'hostedZone';
  name: string;
  ok: boolean;
  detail: string;
}

export interface PreflightReport {
  ok: boolean;
  checks: PreflightCheck[];
}
