// `switchyard tests-passed|tests-failed|approve|rollback|pause|resume|promote <deployment-id> [--by NAME] [--reason TEXT]`.
import { connectClient } from '../../client';
import type { Config } from '../../config';
import { findDeployment, sendMessage, type MessageName } from '../../deployment-client';

export async function messageCommand(config: Config, name: MessageName, ref: string, message: { by: string; reason?: string }): Promise<void> {
  const session = await connectClient(config.temporal);
  try {
    await sendMessage(await findDeployment(session, ref), name, message);
  } finally {
    await session.close();
  }
}
