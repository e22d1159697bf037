// `switchyard status <deployment-id | service>` and `switchyard list`.
import { SwitchyardClient } from '../../client/switchyard-client';
import type { DeploymentReport, DeploymentRow } from '../../client/inspect';
import type { Config } from '../../config';

export async function statusCommand(config: Config, ref: string): Promise<DeploymentReport> {
  return SwitchyardClient.using(config.temporal, async (client) => client.inspect(await client.find(ref)));
}

export async function listCommand(config: Config, limit: number): Promise<DeploymentRow[]> {
  return SwitchyardClient.using(config.temporal, (client) => client.list(limit));
}
