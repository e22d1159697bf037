// `switchyard init`: prepares a Temporal namespace (a real cluster, or docker-compose.temporal.yml)
// for Switchyard by registering its search attributes. Safe to run again.
import { connectClient } from '../../client';
import type { TemporalConfig } from '../../config';
import { registerSearchAttributes } from '../../search-attribute-registration';
import { allSearchAttributes } from '../../shared/naming';

export async function initCommand(temporal: TemporalConfig): Promise<{ added: string[]; present: string[] }> {
  const session = await connectClient(temporal);
  try {
    const added = await registerSearchAttributes(session.connection, temporal.namespace, allSearchAttributes);
    return { added, present: allSearchAttributes.map((k) => k.name).filter((n) => !added.includes(n)) };
  } finally {
    await session.close();
  }
}
