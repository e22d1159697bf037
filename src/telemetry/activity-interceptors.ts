// Activity interceptors: the deployment id the workflow put in each activity's headers
// (src/workflows/interceptors.ts) goes on every log line of that activity.
import { defaultPayloadConverter } from '@temporalio/common';
import type { ActivityInterceptorsFactory } from '@temporalio/worker';
import { deploymentIdHeader } from '../shared/naming';

export const deploymentIdInLogs: ActivityInterceptorsFactory = () => {
  let deploymentId: string | undefined;
  return {
    inbound: {
      execute(input, next) {
        const header = input.headers[deploymentIdHeader];
        if (header) deploymentId = defaultPayloadConverter.fromPayload<string>(header);
        return next(input);
      },
    },
    outbound: {
      getLogAttributes: (attributes, next) => next(deploymentId ? { ...attributes, deploymentId } : attributes),
    },
  };
};
