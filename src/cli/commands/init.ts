// `switchyard init`: prepares a Temporal namespace (a real cluster, or docker-compose.temporal.yml)
// for Switchyard by registering its search attributes. Safe to run again.
import { SwitchyardClient } from '../../client/switchyard-client';
import type { TemporalConfig } from '../../config';

export async function initCommand(temporal: TemporalConfig): Promise<{ added: string[]; present: string[] }> {
  return SwitchyardClient.using(temporal, (client) => client.registerSearchAttributes());
}
