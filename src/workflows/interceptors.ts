// Workflow interceptors: every activity a deployment schedules carries its deployment id in a header, so
// the worker's activity logs say which deployment made each AWS change (src/telemetry/activity-context.ts).
// Headers are not part of what a replay compares, so histories recorded without them still replay.
import { defaultPayloadConverter } from '@temporalio/common';
import { workflowInfo, type WorkflowInterceptorsFactory } from '@temporalio/workflow';
import { deploymentIdHeader } from '../shared/naming';

type Headers = Record<string, ReturnType<typeof defaultPayloadConverter.toPayload>>;

function withDeploymentId(headers: Headers): Headers {
  const id = (workflowInfo().memo as { deploymentId?: unknown } | undefined)?.deploymentId;
  return typeof id === 'string' ? { ...headers, [deploymentIdHeader]: defaultPayloadConverter.toPayload(id) } : headers;
}

export const interceptors: WorkflowInterceptorsFactory = () => ({
  outbound: [
    {
      scheduleActivity: (input, next) => next({ ...input, headers: withDeploymentId(input.headers) }),
      scheduleLocalActivity: (input, next) => next({ ...input, headers: withDeploymentId(input.headers) }),
    },
  ],
});
