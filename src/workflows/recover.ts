// Recovery of a deployment whose workflow can no longer make progress (a non-determinism error, a
// poisoned task). `switchyard recover` ends that workflow and runs this one under the service's own
// workflow id, so no deployment of the service can start while it runs. What to do is read from AWS,
// never from the stuck workflow:
// - production goes to 100% on the last known-good deployment: one that can serve (its ECS service
//   ACTIVE with every desired task running, its targets healthy, or registered and unused when no rule
//   forwards to them), the one production weights most; among several with no weight, none is guessed;
// - if none qualifies and the stuck deployment holds all of production and can serve, it stays;
// - with no production rule at all (a first deployment that never went live), there is nothing to restore;
// - otherwise production is left exactly as it is and nothing it forwards to is removed (the report
//   says what is left, and the CLI exits 1): recovery never raises the stuck deployment's weight and
//   never empties production;
// - then every other deployment tagged for the service and environment is removed.
import { sleep } from '@temporalio/workflow';
import { isCodeDeploy, isRolling } from '../shared/deployment';
import { formatDuration } from '../shared/duration';
import type { RecoveryInput, RecoveryReport } from '../shared/recovery';
import { recoverBlueGreen } from './recover/blue-green';
import { recoverCodeDeploy } from './recover/code-deploy';
import { createRecovery } from './recover/recovery';
import { recoverRolling } from './recover/rolling';

export async function recoverDeployment(input: RecoveryInput): Promise<RecoveryReport> {
  const rec = createRecovery(input);
  // Attempts of the ended workflow's activities may still run (terminating a workflow does not stop
  // them): let them finish before reading what AWS has.
  if (input.settleMs) {
    rec.did(`waited ${formatDuration(input.settleMs)} for the ended workflow's running activities`);
    await sleep(input.settleMs, { summary: 'let the ended workflow’s activities finish' });
  }
  if (isRolling(input.spec)) await recoverRolling(rec, input.spec);
  else if (isCodeDeploy(input.spec)) await recoverCodeDeploy(rec, input.spec);
  else await recoverBlueGreen(rec, input.spec);
  return rec.report;
}
