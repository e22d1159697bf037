// With SWITCHYARD_RECORD_HISTORIES=1, end-to-end tests save the histories of chosen deployments to
// test/histories, which test/workflows/replay.test.ts replays against the current workflow code.
import fs from 'node:fs';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { findDeployment } from '../../src/deployment-client';
import { servers } from './servers';

export async function recordHistory(name: string, deploymentId: string): Promise<void> {
  if (!process.env.SWITCHYARD_RECORD_HISTORIES) return;
  const connection = await Connection.connect({ address: servers.temporalAddress });
  try {
    const handle = await findDeployment({ client: new Client({ connection }), connection, close: async () => undefined }, deploymentId);
    const history = await handle.fetchHistory();
    fs.writeFileSync(path.resolve(__dirname, '..', 'histories', `${name}.json`), historyToJSON(history));
  } finally {
    await connection.close();
  }
}
