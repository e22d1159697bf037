// IAM's policy evaluation, for the emulator's task launches (can the execution role read the secrets?)
// and the tests of the worker's policy: an explicit Deny
// wins, then an Allow is needed; a role with a permissions boundary may do only what both its policies
// and the boundary allow (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html,
// .../access_policies_boundaries.html). The condition operators are those the project's policies use
// (.../reference_policies_elements_condition_operators.html); any other is refused, not guessed.
import { wildcardMatches } from '../../shared/wildcards';

export interface Statement {
  Sid?: string;
  Effect: 'Allow' | 'Deny' | string;
  Action: string | string[];
  Resource: string | string[];
  Condition?: Record<string, Record<string, string | string[]>>;
}

export interface Policy {
  Version?: string;
  Statement: Statement[];
}

/** One authorization: the action, the resource's ARN and the request's condition keys (absent: not in the request). */
export interface Request {
  action: string;
  resource: string;
  context?: Record<string, string | undefined>;
}

export type Decision = 'allowed' | 'explicitly denied' | 'not allowed';

const list = (value: string | string[]) => (Array.isArray(value) ? value : [value]);

/** An ARN pattern matches segment by segment (ArnLike): `*` in one segment does not cross a `:`. */
function arnMatches(pattern: string, arn: string): boolean {
  const [p, a] = [pattern.split(':'), arn.split(':')];
  if (p.length < 6 || a.length < 6) return false;
  const head = (parts: string[]) => [...parts.slice(0, 5), parts.slice(5).join(':')];
  return head(p).every((segment, i) => wildcardMatches(segment, head(a)[i], false));
}

const operators: Record<string, (expected: string, actual: string) => boolean> = {
  StringEquals: (e, a) => e === a,
  StringLike: (e, a) => wildcardMatches(e, a, false),
  ArnEquals: (e, a) => arnMatches(e, a),
  ArnLike: (e, a) => arnMatches(e, a),
};

function conditionHolds(condition: Statement['Condition'], context: Request['context'] = {}): boolean {
  return Object.entries(condition ?? {}).every(([operator, keys]) =>
    Object.entries(keys).every(([key, expected]) => {
      const actual = context[key];
      if (operator === 'Null') return list(expected).every((e) => (e === 'true') === (actual === undefined));
      const test = operators[operator];
      if (!test)
        throw new Error(
          `condition operator ${operator} is not evaluated here: add it to src/dev/emulator/iam-policy.ts`,
        );
      // A key the request lacks fails every operator but Null (no ...IfExists in our policies).
      return actual !== undefined && list(expected).some((e) => test(e, actual));
    }),
  );
}

function applies(statement: Statement, request: Request): boolean {
  return (
    list(statement.Action).some((a) => wildcardMatches(a, request.action, true)) &&
    list(statement.Resource).some((r) => r === '*' || arnMatches(r, request.resource)) &&
    conditionHolds(statement.Condition, request.context)
  );
}

/** What an identity with these policies may do. */
export function decide(policies: Policy[], request: Request): Decision {
  const statements = policies.flatMap((p) => p.Statement).filter((s) => applies(s, request));
  if (statements.some((s) => s.Effect === 'Deny')) return 'explicitly denied';
  return statements.some((s) => s.Effect === 'Allow') ? 'allowed' : 'not allowed';
}

/** What a role may do: its policies' Allow within its boundary's (no boundary: its policies alone). */
export function decideAsRole(policies: Policy[], boundary: Policy | undefined, request: Request): Decision {
  const own = decide(policies, request);
  if (own !== 'allowed' || !boundary) return own;
  return decide([boundary], request);
}
