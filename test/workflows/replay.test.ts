// Replays recorded deployment histories (test/histories, recorded by the end-to-end tests with
// SWITCHYARD_RECORD_HISTORIES=1) against today's workflow code: a change that would break deployments
// already running (non-determinism) fails here. Re-record only when such a break is intended and guarded
// with patched().
import fs from 'node:fs';
import path from 'node:path';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { Worker } from '@temporalio/worker';
import { servers } from '../support/servers';

const dir = path.resolve(__dirname, '..', 'histories');
const files = fs.readdirSync(dir).filter((f) => f.endsWith('.json'));

describe('replay of recorded deployments', () => {
  it('has histories to replay', () => {
    expect(files).toEqual(expect.arrayContaining(['second-deployment-approved.json', 'rollback-while-draining.json', 'progressive-rollback-at-50-percent.json', 'progressive-paused-resumed-promoted.json', 'rolling-success.json', 'rolling-circuit-breaker-rollback.json']));
  });

  it.each(files)('%s replays without non-determinism', async (file) => {
    const history = historyFromJSON(JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8')));
    await expect(
      Worker.runReplayHistory({ workflowBundle: { codePath: servers.workflowBundlePath }, replayName: file }, history),
    ).resolves.toBeUndefined();
  });
});
