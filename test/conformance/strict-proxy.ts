// A behaviour proxy of a test file's own in front of the run's moto, with the conformance layer on: the
// refusals a test provokes on purpose are counted there, not by the run's shared proxy (global-teardown
// fails on those).
import { ApplicationAutoScalingClient } from '@aws-sdk/client-application-auto-scaling';
import { emulatorCredentials } from '../../src/dev/demo';
import { sdkClientsOf } from '../../src/aws/clients';
import { createAccountClients, type AccountClients } from '../../src/dev/seed';
import { readToolPaths } from '../../src/dev/tools';
import { startAwsBehaviourProxy, type AwsBehaviourProxy } from '../../src/dev/emulator/server';
import type { ConformanceOptions } from '../../src/dev/emulator/behaviours/conformance';
import { servers, testRegion } from '../support/servers';

export const timeScale = 0.02;

export async function strictProxy(
  options: Partial<ConformanceOptions> = {},
): Promise<{ proxy: AwsBehaviourProxy; clients: AccountClients }> {
  const proxy = await startAwsBehaviourProxy({
    motoEndpoint: servers.motoEndpoint,
    port: 0,
    region: testRegion,
    awsModels: readToolPaths().awsModels,
    conformance: { timeScale, ...options },
  });
  const clients = createAccountClients({
    region: testRegion,
    endpoint: proxy.endpoint,
    credentials: emulatorCredentials,
  });
  // One attempt: the refusal itself is what is looked at, not the SDK's retries.
  for (const client of sdkClientsOf(clients)) oneAttempt(client);
  return { proxy, clients };
}

/** Application Auto Scaling through the proxy (the product has no client for it yet). */
export function autoScalingClient(proxy: AwsBehaviourProxy): ApplicationAutoScalingClient {
  const client = new ApplicationAutoScalingClient({
    region: testRegion,
    endpoint: proxy.endpoint,
    credentials: emulatorCredentials,
  });
  oneAttempt(client);
  return client;
}

function oneAttempt(client: unknown): void {
  (client as { config: { maxAttempts: () => Promise<number> } }).config.maxAttempts = async () => 1;
}

export const refusal = (err: unknown) => ({ name: (err as Error).name, message: (err as Error).message });
