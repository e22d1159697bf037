// With SWITCHYARD_RECORD_HISTORIES=1, end-to-end tests save the histories of chosen deployments to
// test/histories, which test/workflows/replay.test.ts replays against the current workflow code.
import fs from 'node:fs';
import path from 'node:path';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { SwitchyardClient } from '../../src/client/switchyard-client';
import { DEFAULT_TASK_QUEUE } from '../../src/shared/naming';
import { servers } from './servers';

export async function recordHistory(name: string, deploymentId: string): Promise<void> {
  if (!process.env.SWITCHYARD_RECORD_HISTORIES) return;
  const history = await historyOf(deploymentId);
  fs.writeFileSync(path.resolve(__dirname, '..', 'histories', `${name}.json`), historyToJSON(history));
}

/** A deployment's history, from the run's dev server. */
export function historyOf(deploymentId: string) {
  return SwitchyardClient.using(
    { address: servers.temporalAddress, namespace: 'default', taskQueue: DEFAULT_TASK_QUEUE },
    async (client) => (await client.find(deploymentId)).fetchHistory(),
  );
}
