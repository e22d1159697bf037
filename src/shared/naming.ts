// Names that cross the workflow / activity / CLI boundary: the task queue, the search attributes, and
// the names and tags of everything a deployment creates, derived from the service, environment and
// deployment id within AWS limits. Pure, and safe to import from workflow code.
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import type { DeploymentSpec } from './deployment';

export const DEFAULT_TASK_QUEUE = 'switchyard';

/** The activity header that carries the deployment id (set by src/workflows/interceptors.ts). */
export const deploymentIdHeader = 'switchyard-deployment-id';

/** Search attributes that make deployments findable in the Temporal web UI (registered by `switchyard dev`). */
export const searchAttributes = {
  service: defineSearchAttributeKey('SwitchyardService', SearchAttributeType.KEYWORD),
  environment: defineSearchAttributeKey('SwitchyardEnvironment', SearchAttributeType.KEYWORD),
  phase: defineSearchAttributeKey('SwitchyardPhase', SearchAttributeType.KEYWORD),
  image: defineSearchAttributeKey('SwitchyardImage', SearchAttributeType.KEYWORD),
  deploymentId: defineSearchAttributeKey('SwitchyardDeploymentId', SearchAttributeType.KEYWORD),
  /** On a release and on each of its services' deployments. */
  release: defineSearchAttributeKey('SwitchyardRelease', SearchAttributeType.KEYWORD),
} as const;

export const allSearchAttributes = Object.values(searchAttributes);

export const tagKeys = {
  service: 'switchyard:service',
  environment: 'switchyard:environment',
  deployment: 'switchyard:deployment',
  /** On a rolling-updated ECS service: the task definition of Switchyard's last successful rollout. */
  knownGood: 'switchyard:known-good',
} as const;

/** 8 lowercase base-36 characters: short enough for target group names, random enough per service. */
export function isDeploymentId(value: string): boolean {
  return /^[a-z0-9]{8}$/.test(value);
}

export interface ResourceNames {
  workflowId: string;
  family: string;
  ecsService: string;
  targetGroup: string;
  taskRole: string;
  executionRole: string;
}

export function serviceWorkflowId(service: string, environment: string): string {
  return `switchyard-${service}-${environment}`;
}

export function resourceNames(
  spec: Pick<DeploymentSpec, 'service' | 'environment'>,
  deploymentId: string,
): ResourceNames {
  const base = `${spec.service}-${spec.environment}`;
  // Target group names: at most 32 characters, no leading/trailing hyphen; the id keeps them unique.
  const tgPrefix = base.slice(0, 32 - 1 - deploymentId.length).replace(/-+$/, '');
  return {
    workflowId: serviceWorkflowId(spec.service, spec.environment),
    family: base,
    ecsService: `${base}-${deploymentId}`,
    targetGroup: `${tgPrefix}-${deploymentId}`,
    taskRole: `switchyard-${base}-task`,
    executionRole: `switchyard-${base}-execution`,
  };
}

export interface Tag {
  key: string;
  value: string;
}

export function deploymentTags(spec: Pick<DeploymentSpec, 'service' | 'environment'>, deploymentId: string): Tag[] {
  return [
    { key: tagKeys.service, value: spec.service },
    { key: tagKeys.environment, value: spec.environment },
    { key: tagKeys.deployment, value: deploymentId },
  ];
}
