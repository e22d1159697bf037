// Authenticated Temporal through the real CLI and worker: the dev server behind test-only fronts, one
// terminating TLS and mTLS, one refusing gRPC calls without the expected `authorization` header (with TLS
// in front, as an API key needs). The worker connects with mTLS through a profile of a Temporal config
// file, the CLI with an API key or a client certificate from TEMPORAL_* variables, and one deployment
// runs end to end that way; wrong or missing credentials are refused with a line that says what to set.
// The fronts listen on 127.0.0.1 and the server certificate names localhost: TEMPORAL_TLS_SERVER_NAME says
// so (an IP address as TLS server name draws a deprecation warning from Node).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { destroyAwsClients } from '../../src/aws/clients';
import { demoAccount } from '../../src/dev/demo';
import { seedAccount, type AccountClients } from '../../src/dev/seed';
import { cleanEnv, runCli, startCli } from '../support/cli';
import { blueGreenSpec, writeSpec } from '../support/e2e-spec';
import { deploymentIdOf, startE2eWorker, type E2eWorker } from '../support/e2e-worker';
import { atAwsPace, awsClientsOnMoto, resetAws, servers } from '../support/servers';
import {
  makeCertificates,
  startAuthFront,
  startTlsFront,
  type Certificates,
  type Front,
} from '../support/temporal-fronts';

const service = `auth${Date.now().toString(36).slice(-6)}`;
const apiKey = `test-key-${Date.now().toString(36)}`;

describe('authenticated Temporal: TLS, mTLS, API keys and profiles, through the CLI and the worker', () => {
  let dir: string;
  let certs: Certificates;
  let clients: AccountClients;
  let tlsFront: Front;
  let mtlsFront: Front;
  let authFront: Front;
  let apiKeyFront: Front;
  let worker: E2eWorker | undefined;
  let specFile: string;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchyard-auth-'));
    certs = makeCertificates();
    tlsFront = await startTlsFront({ upstream: servers.temporalAddress, certs, requireClientCert: false });
    mtlsFront = await startTlsFront({ upstream: servers.temporalAddress, certs, requireClientCert: true });
    authFront = await startAuthFront({ upstream: servers.temporalAddress, expected: `Bearer ${apiKey}` });
    apiKeyFront = await startTlsFront({ upstream: authFront.address, certs, requireClientCert: false });
    await resetAws();
    clients = awsClientsOnMoto();
    await seedAccount(clients, demoAccount);
    specFile = writeSpec(dir, blueGreenSpec(service, { approval: { required: false } }));
  });

  afterAll(async () => {
    await worker?.stop();
    for (const front of [apiKeyFront, authFront, mtlsFront, tlsFront]) await front?.close();
    if (clients) destroyAwsClients(clients);
    fs.rmSync(dir, { recursive: true, force: true });
    fs.rmSync(certs.dir, { recursive: true, force: true });
  });

  /** The CLI's environment on the worker's task queue, with these Temporal settings instead of the worker's. */
  function cliEnv(temporal: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
    return cleanEnv({ SWITCHYARD_TASK_QUEUE: worker!.env.SWITCHYARD_TASK_QUEUE, ...temporal });
  }

  const without = (env: NodeJS.ProcessEnv, ...names: string[]) =>
    Object.fromEntries(Object.entries(env).filter(([k]) => !names.includes(k)));
  const withApiKey = (key = apiKey) => ({
    TEMPORAL_ADDRESS: apiKeyFront.address,
    TEMPORAL_API_KEY: key,
    TEMPORAL_TLS_SERVER_CA_CERT_PATH: certs.caCert,
    TEMPORAL_TLS_SERVER_NAME: 'localhost',
  });
  const withClientCert = () => ({
    TEMPORAL_ADDRESS: mtlsFront.address,
    TEMPORAL_TLS_CLIENT_CERT_PATH: certs.clientCert,
    TEMPORAL_TLS_CLIENT_KEY_PATH: certs.clientKey,
    TEMPORAL_TLS_SERVER_CA_CERT_PATH: certs.caCert,
    TEMPORAL_TLS_SERVER_NAME: 'localhost',
  });

  it(
    'a worker on mTLS from a profile and a CLI with an API key run a deployment to the end',
    async () => {
      const configFile = path.join(dir, 'temporal.toml');
      fs.writeFileSync(
        configFile,
        [
          '[profile.default]',
          'address = "127.0.0.1:1"',
          '[profile.secure]',
          `address = "${mtlsFront.address}"`,
          'namespace = "default"',
          '[profile.secure.tls]',
          `client_cert_path = "${certs.clientCert}"`,
          `client_key_path = "${certs.clientKey}"`,
          `server_ca_cert_path = "${certs.caCert}"`,
          'server_name = "localhost"',
          '',
        ].join('\n'),
      );
      const handshakesBefore = mtlsFront.refused();
      worker = await startE2eWorker('auth', { TEMPORAL_CONFIG_FILE: configFile, TEMPORAL_PROFILE: 'secure' });
      expect(worker.worker.output()).toContain(`on ${mtlsFront.address} (mTLS; profile secure of ${configFile}); AWS`);

      const deploy = startCli(['deploy', '-f', specFile, '--wait'], cliEnv(withApiKey()));
      const id = await deploymentIdOf(deploy);
      await deploy.waitForOutput(/awaiting_tests/);
      // The gate opens through the other front, with a client certificate instead of the key.
      const passed = await runCli(['tests-passed', id], cliEnv(withClientCert()));
      expect(passed).toMatchObject({ code: 0 });
      expect(await deploy.exited).toBe(0);
      expect(deploy.output()).toContain(`deployment ${id}: active`);
      const status = await runCli(['status', id, '-o', 'json'], cliEnv(withApiKey()));
      expect(JSON.parse(status.stdout)).toMatchObject({ deploymentId: id, phase: 'active' });
      expect(mtlsFront.refused()).toBe(handshakesBefore);
    },
    atAwsPace(180_000),
  );

  it('a CLI without the API key, or with a wrong one, is refused (exit 1) with what to set', async () => {
    const refusedBefore = authFront.refused();
    const noKey = without(withApiKey(), 'TEMPORAL_API_KEY');
    const missing = await runCli(['list'], cliEnv({ ...noKey, TEMPORAL_TLS: 'true' }));
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe(
      `switchyard: Temporal at ${apiKeyFront.address} refused the call (16 missing authorization header); ` +
        'we sent no credentials. Set TEMPORAL_API_KEY, or TEMPORAL_TLS_CLIENT_CERT_PATH and ' +
        'TEMPORAL_TLS_CLIENT_KEY_PATH for mTLS, or TEMPORAL_PROFILE.\n',
    );
    const wrong = await runCli(['list'], cliEnv(withApiKey('not-the-key')));
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain('refused the call (16 wrong authorization header); we sent an API key.');
    expect(authFront.refused()).toBe(refusedBefore + 2);
    // The right key, for contrast: the same command succeeds.
    expect(await runCli(['list'], cliEnv(withApiKey()))).toMatchObject({ code: 0 });
  });

  it('a self-hosted header check: TEMPORAL_GRPC_META_AUTHORIZATION on plain gRPC', async () => {
    const env = cliEnv({ TEMPORAL_ADDRESS: authFront.address, TEMPORAL_GRPC_META_AUTHORIZATION: `Bearer ${apiKey}` });
    expect(await runCli(['list'], env)).toMatchObject({ code: 0 });
  });

  it('mTLS without a client certificate, or TLS against an unknown CA, fails the handshake with a TLS hint', async () => {
    const noCert = without(withClientCert(), 'TEMPORAL_TLS_CLIENT_CERT_PATH', 'TEMPORAL_TLS_CLIENT_KEY_PATH');
    const before = mtlsFront.refused();
    const noClientCert = await runCli(['list'], cliEnv(noCert));
    expect(noClientCert.code).toBe(1);
    expect(noClientCert.stderr).toMatch(
      new RegExp(`^switchyard: cannot reach Temporal at ${mtlsFront.address} with TLS \\(.+\\)\\. Check TEMPORAL_TLS`),
    );
    expect(mtlsFront.refused()).toBeGreaterThan(before);

    const unknownCa = await runCli(
      ['list'],
      cliEnv({
        TEMPORAL_ADDRESS: tlsFront.address,
        TEMPORAL_TLS_SERVER_CA_CERT_PATH: certs.otherCaCert,
        TEMPORAL_TLS_SERVER_NAME: 'localhost',
      }),
    );
    expect(unknownCa.code).toBe(1);
    expect(unknownCa.stderr).toContain(`cannot reach Temporal at ${tlsFront.address} with TLS (`);
    // Server TLS alone, with the right CA: fine.
    const env = cliEnv({
      TEMPORAL_ADDRESS: tlsFront.address,
      TEMPORAL_TLS_SERVER_CA_CERT_PATH: certs.caCert,
      TEMPORAL_TLS_SERVER_NAME: 'localhost',
    });
    expect(await runCli(['list'], env)).toMatchObject({ code: 0 });
  });

  it('a worker without its client certificate exits 1 before polling, saying why', async () => {
    const noCert = without(withClientCert(), 'TEMPORAL_TLS_CLIENT_CERT_PATH', 'TEMPORAL_TLS_CLIENT_KEY_PATH');
    const env = { ...without(worker!.env, 'TEMPORAL_CONFIG_FILE', 'TEMPORAL_PROFILE'), ...noCert };
    const lone = await runCli(['worker'], env, 60_000);
    expect(lone.code).toBe(1);
    expect(lone.stderr).toContain(`switchyard: cannot reach Temporal at ${mtlsFront.address} with TLS (`);
  });

  it('settings that cannot work are refused before connecting, naming the variable', async () => {
    const missingProfile = await runCli(
      ['list'],
      cliEnv({ TEMPORAL_CONFIG_FILE: path.join(dir, 'temporal.toml'), TEMPORAL_PROFILE: 'staging' }),
    );
    expect(missingProfile).toMatchObject({
      code: 1,
      stderr: `switchyard: TEMPORAL_PROFILE="staging": ${path.join(dir, 'temporal.toml')} has no [profile.staging].\n`,
    });
    const missingCert = await runCli(
      ['list'],
      cliEnv({ ...withClientCert(), TEMPORAL_TLS_CLIENT_CERT_PATH: path.join(dir, 'nope.pem') }),
    );
    expect(missingCert.code).toBe(1);
    expect(missingCert.stderr).toContain(`cannot read ${path.join(dir, 'nope.pem')}`);
  });
});
