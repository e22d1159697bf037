// Types of scripts/worker-policy.js, for the tests that import it.
export function commandActions(): string[];
export function workerPolicy(): {
  Version: string;
  Statement: { Sid: string; Effect: string; Action: string[]; Resource: string }[];
};
export const policyFile: string;
