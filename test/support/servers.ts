// What the global setup started, for test files: addresses, the workflow bundle, AWS clients on moto.
import { Connection } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { InternalConnectionOptionsSymbol } from '@temporalio/client/lib/connection';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { NativeConnection, Runtime } from '@temporalio/worker';
import { createActivities, type Activities } from '../../src/activities';
import { destroyAwsClients, sdkClientsOf } from '../../src/aws/clients';
import { demoAccount, emulatorCredentials } from '../../src/dev/demo';
import { createAccountClients, seedAccount, type AccountClients } from '../../src/dev/seed';
import { EmulatorControl } from '../../src/dev/emulator/control';
import { observerHeader, type BehaviourScenarioJson } from '../../src/dev/emulator/server';
import { resetMoto } from '../../src/dev/emulator/moto';
import { awsDelaysMs } from '../../src/dev/emulator/behaviours/conformance';

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run the tests through jest (test/support/global-setup.ts)`);
  return value;
}

export const servers = {
  get timeSkippingAddress() {
    return required('SWITCHYARD_TEST_TIME_SKIPPING_ADDRESS');
  },
  get temporalAddress() {
    return required('SWITCHYARD_TEST_TEMPORAL_ADDRESS');
  },
  get awsEndpoint() {
    return required('SWITCHYARD_TEST_AWS_ENDPOINT');
  },
  get workflowBundlePath() {
    return required('SWITCHYARD_TEST_WORKFLOW_BUNDLE');
  },
  /** moto itself, behind no proxy: for a test that puts its own proxy in front (test/conformance). */
  get motoEndpoint() {
    return required('SWITCHYARD_TEST_MOTO_ENDPOINT');
  },
  /** The behaviour proxy's control routes: scenario, reset, counts (src/dev/emulator/control.ts). */
  get emulator(): EmulatorControl {
    return new EmulatorControl(this.awsEndpoint);
  },
};

export const testRegion = 'us-east-1';

/** AWS's delays in the tests, as a fraction of AWS's own (global setup; never zero). */
export const testAwsTimeScale = 0.02;

/** This run's factor: the tests' own, or SWITCHYARD_AWS_TIME_SCALE (1 in the full-scale run). */
export const awsTimeScale = Number(process.env.SWITCHYARD_AWS_TIME_SCALE ?? testAwsTimeScale);

/**
 * The specs' iamPropagation: how long the emulated IAM takes to make a new role usable (AWS's 10 s at
 * this run's scale), so a first deployment waits what the emulator needs and no longer.
 */
export const iamPropagationMs = Math.ceil(awsDelaysMs.iamPropagation * awsTimeScale);

/**
 * A test's timeout, sized for the tests' scaled AWS delays, stretched for a run at a larger scale: each
 * deployment then waits out what AWS makes it wait (health checks, INSYNC, IAM, MISSING). Only a bound:
 * a passing test takes what it takes.
 */
export function atAwsPace(ms: number): number {
  return Math.round(ms * (1 + Math.max(0, awsTimeScale - testAwsTimeScale) * 20));
}

export function awsClientsOnMoto(): AccountClients {
  return createAccountClients({ region: testRegion, endpoint: servers.awsEndpoint, credentials: emulatorCredentials });
}

/** Clients for watching the account while a scenario runs: the proxy neither counts nor faults their calls. */
export function observerClientsOnMoto(): AccountClients {
  const clients = awsClientsOnMoto();
  for (const client of sdkClientsOf(clients)) {
    (client as { middlewareStack: { add: (mw: unknown, opts: unknown) => void } }).middlewareStack.add(
      (next: (args: { request: { headers: Record<string, string> } }) => unknown) =>
        (args: { request: { headers: Record<string, string> } }) => {
          args.request.headers[observerHeader] = '1';
          return next(args);
        },
      { step: 'build', name: 'switchyardObserver' },
    );
  }
  return clients;
}

/**
 * Runs an activity function the way a worker would under Temporal's default retry policy (1 s, doubling,
 * retryable failures only), for fixtures that call activities directly in bursts: AWS's rate limits are on,
 * and a burst of creates is throttled as it would be in an account.
 */
export async function retriedAsTemporalWould<T>(call: () => Promise<T>, maxAttempts = 8): Promise<T> {
  for (let attempt = 1, delayMs = 1000; ; attempt++, delayMs *= 2) {
    try {
      return await call();
    } catch (err) {
      if (!(err instanceof ApplicationFailure) || err.nonRetryable || attempt >= maxAttempts) throw err;
      await new Promise((resolve) => setTimeout(resolve, delayMs));
    }
  }
}

/**
 * For a test file: SDK clients and activities on moto, made once; before each test the account is emptied
 * and seeded with the demo's cluster, load balancer and zone. Read `.clients` and `.aws` inside tests.
 */
export function useSeededMoto(): { clients: AccountClients; aws: Activities } {
  const moto = {} as { clients: AccountClients; aws: Activities };
  beforeAll(() => {
    moto.clients = awsClientsOnMoto();
    moto.aws = createActivities(moto.clients);
  });
  afterAll(() => destroyAwsClients(moto.clients));
  beforeEach(async () => {
    await resetAws();
    await seedAccount(moto.clients, demoAccount);
  });
  return moto;
}

/** Empties the emulated account and returns the behaviour proxy to its benign scenario. */
export async function resetAws(): Promise<void> {
  await resetMoto(servers.awsEndpoint);
  await servers.emulator.reset();
}

/** Makes the emulated AWS misbehave for the rest of the test (until resetAws). */
export async function setAwsScenario(scenario: BehaviourScenarioJson): Promise<void> {
  await servers.emulator.setScenario(scenario);
}

/**
 * An ACM certificate in the emulated account, for an HTTPS listener (the account's side of a test: the
 * product never asks ACM). A JSON-protocol call straight to moto, as the SDK has no ACM client here.
 */
export async function requestTestCertificate(domain: string): Promise<string> {
  const res = await fetch(servers.motoEndpoint, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/x-amz-json-1.1',
      'X-Amz-Target': 'CertificateManager.RequestCertificate',
      Authorization: `AWS4-HMAC-SHA256 Credential=test/20260101/${testRegion}/acm/aws4_request, SignedHeaders=host, Signature=0`,
    },
    body: JSON.stringify({ DomainName: domain }),
  });
  if (!res.ok) throw new Error(`ACM RequestCertificate ${domain}: HTTP ${res.status} ${await res.text()}`);
  return ((await res.json()) as { CertificateArn: string }).CertificateArn;
}

/**
 * A time-skipping environment on the run's shared test server. The SDK only offers time skipping on a
 * server it starts itself; this attaches to the one global setup started, with the same internal
 * connection option the SDK uses (so env.sleep and time-skipping result waits work).
 */
class AttachedTimeSkippingEnvironment extends TestWorkflowEnvironment {
  static async attach(address: string): Promise<TestWorkflowEnvironment> {
    const internal = { [InternalConnectionOptionsSymbol]: { supportsTestService: true } };
    const nativeConnection = await NativeConnection.connect({ address, ...internal });
    const connection = await Connection.connect({ address, ...internal });
    const options = {
      server: { type: 'existing' },
      client: {},
      plugins: [],
    } as unknown as TestWorkflowEnvironment['options'];
    return new this(Runtime.instance(), options, true, 'existing', connection, nativeConnection, 'default', address);
  }
}

export function attachTimeSkipping(): Promise<TestWorkflowEnvironment> {
  return AttachedTimeSkippingEnvironment.attach(servers.timeSkippingAddress);
}

export function attachDevServer(): Promise<TestWorkflowEnvironment> {
  return TestWorkflowEnvironment.createFromExistingServer({ address: servers.temporalAddress });
}

let queueCounter = 0;
/** A task queue of a test's own, so workers of different tests never pick up each other's tasks. */
export function uniqueTaskQueue(label: string): string {
  queueCounter += 1;
  return `test-${label}-${process.pid}-${Date.now().toString(36)}-${queueCounter}`;
}
