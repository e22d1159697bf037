// `switchyard tests-passed|tests-failed|approve|rollback|pause|resume|promote <deployment-id> [--by NAME] [--reason TEXT]`.
import type { MessageName } from '../../client/steer';
import { SwitchyardClient } from '../../client/switchyard-client';
import type { Config } from '../../config';

export async function messageCommand(config: Config, name: MessageName, ref: string, message: { by: string; reason?: string }): Promise<void> {
  await SwitchyardClient.using(config.temporal, async (client) => client.send(await client.find(ref), name, message));
}
