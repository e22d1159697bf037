// Who the worker is: the account (and partition) its credentials belong to, which the ARN of the task
// roles' permissions boundary names. GetCallerIdentity needs no permission.
// https://docs.aws.amazon.com/STS/latest/APIReference/API_GetCallerIdentity.html
import { GetCallerIdentityCommand, type STSClient } from '@aws-sdk/client-sts';
import { attempt } from './errors';

/** The name the worker's IAM policy allows as a boundary (examples/iam/task-role-boundary.json). */
export const defaultRoleBoundary = 'policy/switchyard/task-role-boundary';

/**
 * The boundary's ARN: `configured` when set, else the default policy in the worker's own account; read
 * once (a failed read is tried again on the next call).
 */
export function roleBoundaryOf(sts: STSClient, configured?: string): () => Promise<string> {
  let boundary: Promise<string> | undefined;
  return () => {
    if (configured) return Promise.resolve(configured);
    boundary ??= attempt('read the worker account (sts GetCallerIdentity)', () =>
      sts.send(new GetCallerIdentityCommand({})),
    ).then(
      (who) => `arn:${who.Arn!.split(':')[1]}:iam::${who.Account}:${defaultRoleBoundary}`,
      (err: unknown) => {
        boundary = undefined;
        throw err;
      },
    );
    return boundary;
  };
}
