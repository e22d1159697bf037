// How a deployment takes a message, both ways under one name (../messages.ts). A rule says why the
// message makes no sense now (if it does not), what it does, and when it has taken effect:
// - sent as an Update, a refusal rejects it before it is accepted (the sender is told why, the history
//   keeps nothing), and an accepted one answers once it has taken effect;
// - sent as a Signal, a refusal is recorded as ignored.
import { ApplicationFailure, setHandler } from '@temporalio/workflow';
import type { ActorMessage, MessageAnswer } from '../../shared/deployment';
import { failureTypes } from '../../shared/failures';
import { signals, updates, type MessageName, type MessageUpdate } from '../messages';
import type { DeploymentTracker } from './tracker';

export interface MessageRule {
  /** How the history names it: "approval", "tests passed". */
  label: string;
  /** Why it makes no sense now; undefined when it does. Read-only: it is the update's validator. */
  refusal(): string | undefined;
  /** Acts on it as it is received, and says what it did. */
  apply(msg: ActorMessage): string;
  /** Waits until what it asked for has happened, and answers (default: at once, with what it did). */
  answer?(did: string): Promise<MessageAnswer>;
}

export function acceptMessage(tracker: DeploymentTracker, name: MessageName, rule: MessageRule): void {
  setHandler(signals[name], (msg) => {
    const why = rule.refusal();
    if (why) return tracker.ignored(rule.label, why);
    rule.apply(msg ?? {});
  });
  setHandler<MessageAnswer, [ActorMessage], MessageUpdate>(
    updates[name],
    async (msg?: ActorMessage): Promise<MessageAnswer> => {
      const did = rule.apply(msg ?? {});
      return rule.answer ? await rule.answer(did) : { phase: tracker.phase, note: did };
    },
    {
      validator: () => {
        const why = rule.refusal();
        if (why) throw ApplicationFailure.nonRetryable(`${rule.label} refused: ${why}`, failureTypes.messageRefused);
      },
    },
  );
}

/** Who sent a message, as the history says it: `--by`, and the client's identity when it gave one. */
export function sender(msg: ActorMessage): string {
  return `${msg.by ?? 'unknown'}${msg.identity ? ` (${msg.identity})` : ''}`;
}
