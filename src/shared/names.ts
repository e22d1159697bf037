// Names that cross the workflow / activity / CLI boundary. Safe to import from workflow code.
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

export const DEFAULT_TASK_QUEUE = 'switchyard';

/** Search attributes that make deployments findable in the Temporal web UI (registered by `switchyard dev`). */
export const searchAttributes = {
  service: defineSearchAttributeKey('SwitchyardService', SearchAttributeType.KEYWORD),
  environment: defineSearchAttributeKey('SwitchyardEnvironment', SearchAttributeType.KEYWORD),
  phase: defineSearchAttributeKey('SwitchyardPhase', SearchAttributeType.KEYWORD),
  image: defineSearchAttributeKey('SwitchyardImage', SearchAttributeType.KEYWORD),
  deploymentId: defineSearchAttributeKey('SwitchyardDeploymentId', SearchAttributeType.KEYWORD),
} as const;

export const allSearchAttributes = Object.values(searchAttributes);
