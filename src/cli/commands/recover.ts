// `switchyard recover <deployment>`: the way out for a deployment that can no longer make progress
// (src/client/recover.ts).
import type { RecoverOptions } from '../../client/recover';
import { SwitchyardClient } from '../../client/switchyard-client';
import type { Config } from '../../config';
import type { RecoveryReport } from '../../shared/recovery';

export async function recoverCommand(config: Config, ref: string, opts: RecoverOptions, progress: (line: string) => void): Promise<RecoveryReport> {
  return SwitchyardClient.using(config.temporal, (client) => client.recover(ref, opts, progress));
}
