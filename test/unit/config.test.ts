import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig, temporalUnreachable } from '../../src/config';
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
    [{ TEMPORAL_TLS: 'yes' }, 'TEMPORAL_TLS="yes" is not valid: expected true or false'],
    [
      { TEMPORAL_CONFIG_FILE: '/nonexistent/temporal.toml' },
      'TEMPORAL_CONFIG_FILE="/nonexistent/temporal.toml": no such file',
    ],
    [{ TEMPORAL_PROFILE: 'prod', HOME: '/nonexistent' }, 'TEMPORAL_PROFILE="prod": there is no Temporal config file'],
  ])('rejects %j with a message naming the variable', (env, message) => {
    expect(() => loadConfig(env)).toThrow(UserError);
    expect(() => loadConfig(env)).toThrow(message);
  });

  describe('Temporal connection settings (@temporalio/envconfig)', () => {
    let dir: string;
    let file: string;
    beforeAll(() => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchyard-config-'));
      file = path.join(dir, 'temporal.toml');
      fs.writeFileSync(path.join(dir, 'ca.pem'), 'CA PEM');
      fs.writeFileSync(
        file,
        [
          '[profile.default]',
          'address = "temporal.internal:7233"',
          '[profile.cloud]',
          'address = "prod.a1b2c.tmprl.cloud:7233"',
          'namespace = "prod.a1b2c"',
          'api_key = "profile-key"',
          '[profile.selfhosted]',
          'address = "temporal.corp:7233"',
          '[profile.selfhosted.tls]',
          `server_ca_cert_path = "${path.join(dir, 'ca.pem')}"`,
          'server_name = "temporal.corp"',
          '[profile.broken]',
          'address = "http://temporal.corp"',
          '',
        ].join('\n'),
      );
    });
    afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

    it('an API key turns TLS on (system roots) unless TEMPORAL_TLS=false', () => {
      expect(loadConfig({ TEMPORAL_ADDRESS: 'x.tmprl.cloud:7233', TEMPORAL_API_KEY: 'k' }).temporal).toEqual({
        address: 'x.tmprl.cloud:7233',
        namespace: 'default',
        taskQueue: 'switchyard',
        apiKey: 'k',
        tls: true,
      });
      const plain = loadConfig({ TEMPORAL_API_KEY: 'k', TEMPORAL_TLS: 'false' }).temporal;
      expect(plain).toMatchObject({ apiKey: 'k', tls: false });
    });

    it('a client pair and CA from files, and gRPC headers from TEMPORAL_GRPC_META_*', () => {
      const ca = path.join(dir, 'ca.pem');
      const { temporal } = loadConfig({
        TEMPORAL_TLS_SERVER_CA_CERT_PATH: ca,
        TEMPORAL_TLS_CLIENT_CERT_DATA: 'CERT',
        TEMPORAL_TLS_CLIENT_KEY_DATA: 'KEY',
        TEMPORAL_TLS_SERVER_NAME: 'temporal.corp',
        TEMPORAL_GRPC_META_AUTHORIZATION: 'Bearer abc',
      });
      expect(temporal.tls).toEqual({
        serverNameOverride: 'temporal.corp',
        serverRootCACertificate: Buffer.from('CA PEM'),
        clientCertPair: { crt: Buffer.from('CERT'), key: Buffer.from('KEY') },
      });
      expect(temporal.metadata).toEqual({ authorization: 'Bearer abc' });
    });

    it('the config file: the default profile, a named one, and variables over either', () => {
      expect(loadConfig({ TEMPORAL_CONFIG_FILE: file }).temporal).toMatchObject({
        address: 'temporal.internal:7233',
        source: `profile default of ${file}`,
      });
      expect(loadConfig({ TEMPORAL_CONFIG_FILE: file, TEMPORAL_PROFILE: 'cloud' }).temporal).toMatchObject({
        address: 'prod.a1b2c.tmprl.cloud:7233',
        namespace: 'prod.a1b2c',
        apiKey: 'profile-key',
        tls: true,
      });
      const selfHosted = loadConfig({ TEMPORAL_CONFIG_FILE: file, TEMPORAL_PROFILE: 'selfhosted' }).temporal;
      expect(selfHosted.tls).toMatchObject({ serverNameOverride: 'temporal.corp' });
      const overridden = loadConfig({
        TEMPORAL_CONFIG_FILE: file,
        TEMPORAL_PROFILE: 'cloud',
        TEMPORAL_NAMESPACE: 'staging.a1b2c',
        TEMPORAL_API_KEY: 'env-key',
      }).temporal;
      expect(overridden).toMatchObject({ namespace: 'staging.a1b2c', apiKey: 'env-key' });
      // The file found through XDG_CONFIG_HOME, as the Temporal CLI finds it.
      fs.mkdirSync(path.join(dir, 'xdg', 'temporalio'), { recursive: true });
      fs.copyFileSync(file, path.join(dir, 'xdg', 'temporalio', 'temporal.toml'));
      expect(loadConfig({ XDG_CONFIG_HOME: path.join(dir, 'xdg') }).temporal.address).toBe('temporal.internal:7233');
    });

    it('a bad value in a profile names the profile and the file', () => {
      expect(() => loadConfig({ TEMPORAL_CONFIG_FILE: file, TEMPORAL_PROFILE: 'broken' })).toThrow(
        `profile broken of ${file}: address="http://temporal.corp" is not valid: expected host:port`,
      );
      expect(() => loadConfig({ TEMPORAL_CONFIG_FILE: file, TEMPORAL_PROFILE: 'nope' })).toThrow(
        `TEMPORAL_PROFILE="nope": ${file} has no [profile.nope].`,
      );
      const empty = path.join(dir, 'empty.toml');
      fs.writeFileSync(empty, '');
      expect(loadConfig({ TEMPORAL_CONFIG_FILE: empty }).temporal.address).toBe('127.0.0.1:7233');
      const bad = path.join(dir, 'bad.toml');
      fs.writeFileSync(bad, '[profile.default\naddress = 1');
      expect(() => loadConfig({ TEMPORAL_CONFIG_FILE: bad })).toThrow(`the Temporal config file ${bad} is not valid`);
    });

    it('the embedded stack takes only TEMPORAL_NAMESPACE', () => {
      const env = { TEMPORAL_CONFIG_FILE: file, TEMPORAL_API_KEY: 'k', TEMPORAL_NAMESPACE: 'dev' };
      expect(loadConfig(env, { embeddedTemporal: true }).temporal).toEqual({
        address: '127.0.0.1:7233',
        namespace: 'dev',
        taskQueue: 'switchyard',
      });
    });

    it('a refused call says what was sent and what to set', () => {
      const grpc = Object.assign(new Error('16 UNAUTHENTICATED: bad key'), { code: 16, details: 'bad key' });
      const wrapped = new Error('Failed to connect to Temporal server', { cause: grpc });
      const config = loadConfig({ TEMPORAL_ADDRESS: 'x.tmprl.cloud:7233', TEMPORAL_API_KEY: 'k' }).temporal;
      expect(temporalUnreachable(config, wrapped).message).toBe(
        'Temporal at x.tmprl.cloud:7233 refused the call (16 bad key); we sent an API key. Set TEMPORAL_API_KEY, ' +
          'or TEMPORAL_TLS_CLIENT_CERT_PATH and TEMPORAL_TLS_CLIENT_KEY_PATH for mTLS, or TEMPORAL_PROFILE.',
      );
      const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:7233'), { code: 'ECONNREFUSED' });
      expect(temporalUnreachable(loadConfig({}).temporal, refused).message).toBe(
        'cannot reach Temporal at 127.0.0.1:7233 (ECONNREFUSED). Start the embedded stack with `npm run dev`, ' +
          'or set TEMPORAL_ADDRESS to your Temporal frontend.',
      );
    });
  });
});
