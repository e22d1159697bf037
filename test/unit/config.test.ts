import { loadConfig } from '../../src/config';
import { UserError } from '../../src/shared/errors';

describe('loadConfig', () => {
  it('defaults to the embedded stack for Temporal and to the SDK resolution for AWS', () => {
    expect(loadConfig({})).toEqual({
      temporal: { address: '127.0.0.1:7233', namespace: 'default', taskQueue: 'switchyard' },
      aws: { region: undefined, endpoint: undefined },
    });
  });

  it('takes the usual environment variable names', () => {
    const config = loadConfig({
      TEMPORAL_ADDRESS: 'temporal.internal:7233',
      TEMPORAL_NAMESPACE: 'deploys',
      SWITCHYARD_TASK_QUEUE: 'switchyard-prod',
      AWS_REGION: 'eu-west-1',
      AWS_ENDPOINT_URL: 'http://127.0.0.1:5000',
    });
    expect(config).toEqual({
      temporal: { address: 'temporal.internal:7233', namespace: 'deploys', taskQueue: 'switchyard-prod' },
      aws: { region: 'eu-west-1', endpoint: 'http://127.0.0.1:5000' },
    });
  });

  it('falls back to AWS_DEFAULT_REGION and treats empty values as unset', () => {
    const config = loadConfig({ AWS_DEFAULT_REGION: 'ap-southeast-2', TEMPORAL_ADDRESS: '', AWS_ENDPOINT_URL: '' });
    expect(config.aws).toEqual({ region: 'ap-southeast-2', endpoint: undefined });
    expect(config.temporal.address).toBe('127.0.0.1:7233');
  });

  it.each([
    [
      { TEMPORAL_ADDRESS: 'http://temporal:7233' },
      'TEMPORAL_ADDRESS="http://temporal:7233" is not valid: expected host:port',
    ],
    [{ TEMPORAL_ADDRESS: 'temporal' }, 'TEMPORAL_ADDRESS="temporal" is not valid: expected host:port'],
    [{ AWS_ENDPOINT_URL: 'localhost:5000' }, 'AWS_ENDPOINT_URL="localhost:5000" is not valid: expected an http(s) URL'],
    [{ AWS_ENDPOINT_URL: 'ftp://x' }, 'AWS_ENDPOINT_URL="ftp://x" is not valid: expected an http(s) URL'],
    [{ AWS_REGION: 'US East' }, 'AWS_REGION="US East" is not valid: expected an AWS region such as us-east-1'],
  ])('rejects %j with a message naming the variable', (env, message) => {
    expect(() => loadConfig(env)).toThrow(UserError);
    expect(() => loadConfig(env)).toThrow(message);
  });
});
