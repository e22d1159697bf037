// The embedded dev stack: Temporal dev server (with web UI and a SQLite file), moto, search attributes
// registered and the emulated account seeded. The worker is started by the caller (src/cli/commands/dev.ts);
// the stack's one Temporal client serves the caller too (the demo), and is closed by stop().
import fs from 'node:fs';
import path from 'node:path';
import { destroyAwsClients } from '../aws/clients';
import type { Config } from '../config';
import { SwitchyardClient } from '../client/switchyard-client';
import { demoAccount, demoImages, emulatorCredentials } from './demo';
import { startAwsBehaviourProxy } from './emulator/server';
import { conformanceFromEnv } from './emulator/behaviours/conformance';
import { startMotoServer, type MotoServer } from './emulator/moto';
import { freePort } from './processes';
import { createAccountClients, seedAccount, seedImages } from './seed';
import { startTemporalDevServer, type TemporalDevServer } from './temporal-dev-server';
import { readToolPaths, switchyardHome } from './tools';

export interface DevStackOptions {
  temporalPort: number;
  uiPort: number;
  awsPort: number;
  namespace: string;
  taskQueue: string;
  /** Where the SQLite file and logs go (default .switchyard/state). */
  stateDir?: string;
  progress?: (line: string) => void;
  /** Seed the demo account (default); false: an empty account for a caller to fill (rehearse). */
  seedDemo?: boolean;
  /** No web UI (uiPort unused): a stack nobody watches, such as a rehearsal's. */
  headless?: boolean;
}

export interface DevStack {
  config: Config;
  /** Connected to the stack's Temporal until stop(). */
  client: SwitchyardClient;
  /** Absent when headless. */
  uiUrl?: string;
  stateDir: string;
  seeded: string[];
  stop(): Promise<void>;
}

export async function startDevStack(opts: DevStackOptions): Promise<DevStack> {
  const progress = opts.progress ?? (() => undefined);
  const tools = readToolPaths();
  const stateDir = opts.stateDir ?? path.join(switchyardHome(), 'state');
  fs.mkdirSync(stateDir, { recursive: true });

  const started: { process: { stop(): Promise<void> } }[] = [];
  const stopAll = async () => {
    for (const part of started.reverse()) await part.process.stop();
  };
  try {
    progress(`starting moto (AWS emulator) on 127.0.0.1:${opts.awsPort || 'a free port'}`);
    const moto: MotoServer = await startMotoServer({
      python: tools.python,
      port: await freePort([opts.temporalPort, opts.uiPort, opts.awsPort]),
      logFile: path.join(stateDir, 'moto.log'),
    });
    started.push(moto);
    // In front of moto: ECS services that run and register healthy targets, and what AWS refuses refused,
    // with AWS's delays (SWITCHYARD_AWS_TIME_SCALE shortens them).
    const proxy = await startAwsBehaviourProxy({
      motoEndpoint: moto.endpoint,
      port: opts.awsPort,
      region: demoAccount.region,
      awsModels: tools.awsModels,
      conformance: conformanceFromEnv(),
    });
    started.push({ process: { stop: () => proxy.close() } });

    const ui = opts.headless ? 'no web UI' : `web UI ${opts.uiPort}`;
    progress(`starting Temporal dev server on 127.0.0.1:${opts.temporalPort} (${ui})`);
    const temporal: TemporalDevServer = await startTemporalDevServer({
      cli: tools.temporal,
      port: opts.temporalPort,
      uiPort: opts.uiPort,
      headless: opts.headless,
      namespace: opts.namespace,
      dbFile: path.join(stateDir, 'temporal.db'),
      logFile: path.join(stateDir, 'temporal.log'),
    });
    started.push(temporal);

    const config: Config = {
      temporal: { address: temporal.address, namespace: opts.namespace, taskQueue: opts.taskQueue },
      aws: { region: demoAccount.region, endpoint: proxy.endpoint },
    };
    const client = await SwitchyardClient.connect(config.temporal);
    started.push({ process: { stop: () => client.close() } });
    const { added } = await client.registerSearchAttributes();
    if (added.length) progress(`registered search attributes ${added.join(', ')}`);
    const clients = createAccountClients({ ...config.aws, credentials: emulatorCredentials });
    let seeded: string[];
    try {
      seeded =
        opts.seedDemo === false
          ? []
          : [...(await seedAccount(clients, demoAccount)), ...(await seedImages(clients, demoImages))];
    } finally {
      destroyAwsClients(clients);
    }
    if (seeded.length) progress(`seeded the emulated account: ${seeded.join(', ')}`);

    return { config, client, uiUrl: temporal.uiUrl, stateDir, seeded, stop: stopAll };
  } catch (err) {
    await stopAll();
    throw err;
  }
}
