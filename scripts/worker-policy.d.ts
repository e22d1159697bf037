// Types of scripts/worker-policy.js, for the tests that import it.
import type { Policy } from '../src/dev/emulator/iam-policy';

export interface WorkerPolicyParams {
  partition?: string;
  account?: string;
  region?: string;
  clusters?: string[];
  namePrefixes?: string[];
  services?: string[];
  families?: string[];
  loadBalancers?: string[];
  hostedZones?: string[];
  repositories?: string[];
  passRoles?: string[];
  codeDeployApplications?: string[];
  codeDeployGroups?: string[];
  codeDeployConfigs?: string[];
  roleBoundary?: string;
}
export function commandActions(): string[];
export function workerPolicy(params?: WorkerPolicyParams): Policy;
export const resourceTypes: Record<
  string,
  { page: string; resourceTypes: { type: string; required: boolean; arn: string }[]; conditionKeys: string[] }
>;
export const widening: string[];
export const policyFile: string;
