// Every AWS wrapper says what it tried and keeps the cause. Errors AWS will answer the same way
// on retry (validation, access denied) become non-retryable failures, so a deployment fails fast.
import { ApplicationFailure } from '@temporalio/common';

const permanentErrorNames = new Set([
  'ValidationError',
  'ValidationException',
  'InvalidParameterException',
  'InvalidParameterValue',
  'InvalidInput',
  'AccessDenied',
  'AccessDeniedException',
  'UnauthorizedOperation',
  'InvalidClientTokenId',
  'UnrecognizedClientException',
  // Route 53's ChangeResourceRecordSets: the batch breaks a rule of the zone as it stands (a record of
  // another type at the name, e.g. a CNAME where an alias goes; a DELETE of a record that is not there),
  // HTTP 400: the same batch is refused again. PriorRequestNotComplete is the one to retry.
  // https://docs.aws.amazon.com/Route53/latest/APIReference/API_ChangeResourceRecordSets.html#API_ChangeResourceRecordSets_Errors
  'InvalidChangeBatch',
]);

export async function attempt<T>(what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    throw wrapAwsError(what, err);
  }
}

export function wrapAwsError(what: string, err: unknown): ApplicationFailure {
  const name = err instanceof Error ? err.name : 'UnknownError';
  const message = err instanceof Error ? err.message : String(err);
  return ApplicationFailure.create({
    message: `${what}: ${name}: ${message}`,
    type: name,
    nonRetryable: permanentErrorNames.has(name),
    cause: err instanceof Error ? err : undefined,
  });
}

/** True when the error is one of these AWS error names (e.g. a "not found" the caller turns into `undefined`). */
export function isAwsError(err: unknown, ...names: string[]): boolean {
  return err instanceof Error && names.includes(err.name);
}
