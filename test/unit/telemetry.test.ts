// The worker's telemetry settings and what its logs may say: bad settings are refused naming the
// variable; an AWS call's log line carries only the names, ARNs and ids it addressed.
import { loadTelemetryConfig } from '../../src/config';
import { resourcesOf } from '../../src/aws/instrument';
import { jsonLine, textLine } from '../../src/telemetry/runtime';

describe('telemetry settings', () => {
  it('defaults to info, text, and no metrics endpoint', () => {
    expect(loadTelemetryConfig({})).toEqual({ logLevel: 'INFO', logFormat: 'text' });
    expect(loadTelemetryConfig({}, 'WARN').logLevel).toBe('WARN');
  });

  it('reads the level in any case, the format and the metrics address', () => {
    expect(
      loadTelemetryConfig({
        SWITCHYARD_LOG_LEVEL: 'debug',
        SWITCHYARD_LOG_FORMAT: 'json',
        SWITCHYARD_METRICS_ADDRESS: '0.0.0.0:9464',
      }),
    ).toEqual({ logLevel: 'DEBUG', logFormat: 'json', metricsAddress: '0.0.0.0:9464' });
  });

  it.each([
    [
      { SWITCHYARD_LOG_LEVEL: 'verbose' },
      'SWITCHYARD_LOG_LEVEL="verbose" is not valid: expected trace, debug, info, warn or error.',
    ],
    [{ SWITCHYARD_LOG_FORMAT: 'logfmt' }, 'SWITCHYARD_LOG_FORMAT="logfmt" is not valid: expected text or json.'],
    [
      { SWITCHYARD_METRICS_ADDRESS: '9464' },
      'SWITCHYARD_METRICS_ADDRESS="9464" is not valid: expected host:port, e.g. 0.0.0.0:9464.',
    ],
  ])('refuses %j', (env, message) => {
    expect(() => loadTelemetryConfig(env)).toThrow(message);
  });
});

describe('what the logs say of an AWS call', () => {
  it('names, ARNs and ids only: never environment values, documents or definitions', () => {
    expect(
      resourcesOf({
        family: 'web-prod',
        executionRoleArn: 'arn:aws:iam::123456789012:role/exec',
        containerDefinitions: [{ name: 'web', environment: [{ name: 'API_TOKEN', value: 'secret' }] }],
        PolicyDocument: '{"Statement":[]}',
        TargetGroupArns: ['arn:a', 'arn:b'],
        HostedZoneId: 'Z123',
        desiredCount: 2,
      }),
    ).toEqual({
      executionRoleArn: 'arn:aws:iam::123456789012:role/exec',
      TargetGroupArns: ['arn:a', 'arn:b'],
      HostedZoneId: 'Z123',
    });
  });
});

describe('log lines', () => {
  const entry = {
    level: 'INFO' as const,
    message: 'aws ecs CreateService',
    timestampNanos: 1_764_000_000_123_000_000n,
    meta: { deploymentId: 'abcd1234', aws: { serviceName: 'web-prod-abcd1234' } },
  };

  it('json: one object with time, level, msg and the attributes', () => {
    expect(JSON.parse(jsonLine(entry))).toEqual({
      time: '2025-11-24T16:00:00.123Z',
      level: 'info',
      msg: 'aws ecs CreateService',
      deploymentId: 'abcd1234',
      aws: { serviceName: 'web-prod-abcd1234' },
    });
  });

  it('text: time, level, message, then key=value', () => {
    expect(textLine(entry)).toBe(
      '2025-11-24T16:00:00.123Z INFO aws ecs CreateService deploymentId=abcd1234 aws={"serviceName":"web-prod-abcd1234"}',
    );
  });
});
