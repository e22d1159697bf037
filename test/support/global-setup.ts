// One run of jest starts, once: the time-skipping test server and a Temporal dev server (both from the
// binaries scripts/setup.js installed, through the SDK's existing-path option), moto behind the behaviour
// proxy (src/dev/emulator/server.ts), and one
// bundle of the workflow code. Tests find them through the SWITCHYARD_TEST_* variables (test/support/servers.ts).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode } from '@temporalio/worker';
import { startAwsBehaviourProxy, type AwsBehaviourProxy } from '../../src/dev/emulator/server';
import { conformanceFromEnv } from '../../src/dev/emulator/behaviours/conformance';
import { startMotoServer } from '../../src/dev/emulator/moto';
import { readToolPaths } from '../../src/dev/tools';
import { indexedValueType } from '../../src/client/search-attributes';
import { allSearchAttributes } from '../../src/shared/naming';
import { freePort } from '../../src/dev/processes';
import { workflowInterceptorModules } from '../../src/worker';
import { testAwsTimeScale } from './servers';

// AWS's delays in tests (testAwsTimeScale, 0.02): a 60 s drain takes 1.2 s, Route 53's 30 s to INSYNC 0.6 s.

export interface HarnessState {
  environments: TestWorkflowEnvironment[];
  proxy?: AwsBehaviourProxy;
  stopMoto?: () => Promise<void>;
  tmpDir: string;
}

declare global {
  var switchyardHarness: HarnessState | undefined;
}

export default async function globalSetup(): Promise<void> {
  const tools = readToolPaths();
  const tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchyard-test-'));
  const state: HarnessState = { environments: [], tmpDir };
  globalThis.switchyardHarness = state;

  const [timeSkipping, dev, moto, bundle] = await Promise.all([
    TestWorkflowEnvironment.createTimeSkipping({
      server: { executable: { type: 'existing-path', path: tools.temporalTestServer } },
    }),
    TestWorkflowEnvironment.createLocal({
      server: {
        executable: { type: 'existing-path', path: tools.temporal },
        searchAttributes: allSearchAttributes,
        ip: '127.0.0.1',
      },
    }),
    freePort().then((port) => startMotoServer({ python: tools.python, port, logFile: path.join(tmpDir, 'moto.log') })),
    bundleWorkflowCode({
      workflowsPath: require.resolve('../../src/workflows'),
      workflowInterceptorModules,
      logger: quietLogger,
    }),
  ]);
  state.environments.push(timeSkipping, dev);
  // The time-skipping server takes no --search-attribute flag and cannot list them: add them all.
  await timeSkipping.connection.operatorService.addSearchAttributes({
    namespace: 'default',
    searchAttributes: Object.fromEntries(allSearchAttributes.map((k) => [k.name, indexedValueType[k.type]])),
  });
  // The conformance layer is on for every test, at AWS's delays scaled down (never to zero) unless
  // SWITCHYARD_AWS_TIME_SCALE says otherwise (1: the full-scale run).
  const proxy = await startAwsBehaviourProxy({
    motoEndpoint: moto.endpoint,
    port: 0,
    region: 'us-east-1',
    awsModels: tools.awsModels,
    // Throttling at the published rates is on, as in AWS (SWITCHYARD_AWS_THROTTLING=off turns it off).
    conformance: { timeScale: testAwsTimeScale, throttling: true, ...conformanceFromEnv() },
  });
  state.proxy = proxy;
  state.stopMoto = () => proxy.close().then(() => moto.process.stop());

  const bundlePath = path.join(tmpDir, 'workflow-bundle.js');
  fs.writeFileSync(bundlePath, bundle.code);

  process.env.SWITCHYARD_TEST_TIME_SKIPPING_ADDRESS = timeSkipping.address;
  process.env.SWITCHYARD_TEST_TEMPORAL_ADDRESS = dev.address;
  process.env.SWITCHYARD_TEST_AWS_ENDPOINT = proxy.endpoint;
  process.env.SWITCHYARD_TEST_MOTO_ENDPOINT = moto.endpoint;
  process.env.SWITCHYARD_TEST_WORKFLOW_BUNDLE = bundlePath;
}

const quietLogger = {
  log: () => undefined,
  trace: () => undefined,
  debug: () => undefined,
  info: () => undefined,
  warn: (message: string) => console.warn(message),
  error: (message: string) => console.error(message),
};
