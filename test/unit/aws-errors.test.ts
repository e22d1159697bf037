import { wrapAwsError } from '../../src/activities/errors';

function awsError(name: string, message: string): Error {
  return Object.assign(new Error(message), { name });
}

describe('wrapAwsError', () => {
  it.each([
    [
      'InvalidChangeBatch',
      'RRSet of type A with DNS name stage.web.example.com is not permitted because a conflicting RRSet of type  CNAME with the same DNS name already exists',
      true,
    ],
    ['ValidationError', 'bad', true],
    [
      'PriorRequestNotComplete',
      'The request was rejected because Route 53 was still processing a prior request',
      false,
    ],
    ['ThrottlingException', 'Rate exceeded', false],
  ])('%s (%s): nonRetryable %s', (name, message, permanent) => {
    const failure = wrapAwsError('upsert the stage record', awsError(name, message));
    expect(failure).toMatchObject({ type: name, nonRetryable: permanent });
    expect(failure.message).toBe(`upsert the stage record: ${name}: ${message}`);
  });
});
