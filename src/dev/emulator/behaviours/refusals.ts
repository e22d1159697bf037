// What a rule of the conformance layer answers: the rule's name (the counts are by it) and AWS's refusal.
import type { AwsErrorBody } from './faults';

/** What AWS answers a call it refuses. */
export type Refusal = AwsErrorBody;

/** A rule the call breaks, and AWS's answer to it. */
export interface RuleBreak {
  rule: string;
  refusal: Refusal;
}

export type Json = Record<string, unknown>;

/** The caller's mistake, as every AWS protocol reports one: HTTP 400, a code and a message. */
export function refused(code: string, message: string): Refusal {
  return { status: 400, code, message, fault: 'Sender' };
}

export function broken(rule: string, code: string, message: string): RuleBreak {
  return { rule, refusal: refused(code, message) };
}
