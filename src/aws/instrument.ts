// What every AWS call made in an activity leaves behind: metrics by service and operation (calls by
// outcome, retries, throttled attempts) on the activity's metric meter, and, for a call that changes
// something, one log line on the activity's logger (which carries the deployment id) naming the
// operation and the resources it addressed: only names, ARNs and ids, never a value that could be a
// secret (environment variables, policy documents and task definitions stay out). With tracing on, each
// call is a span (`aws ecs CreateService`) under the activity's.
import { Context } from '@temporalio/activity';
import { inSpan } from '../telemetry/tracing';

/** What this adds to an AWS SDK v3 client's middleware stack (its generic types do not matter here). */
interface Stack {
  add(middleware: unknown, options: { step: string; name: string; priority?: string }): void;
}

interface CallContext {
  commandName?: string;
}

type Call = (args: { input: unknown }) => Promise<{ output: Attempted }>;

interface Attempted {
  $metadata?: { attempts?: number; httpStatusCode?: number };
  name?: string;
}

const reads = /^(Describe|List|Get|BatchGet|Test|Check|Lookup|Search)/;
const identifying = /(name|arn|id)s?$/i;
const throttling = /throttl|toomanyrequests|requestlimitexceeded|slowdown/i;

function activity(): Context | undefined {
  try {
    return Context.current();
  } catch {
    return undefined; // not in an activity (`switchyard init` reading a live service): nothing to record
  }
}

/** The addressed resources of a call's input: its top-level names, ARNs and ids. */
export function resourcesOf(input: unknown): Record<string, string | string[]> {
  const found: Record<string, string | string[]> = {};
  for (const [key, value] of Object.entries((input ?? {}) as Record<string, unknown>)) {
    if (!identifying.test(key)) continue;
    if (typeof value === 'string') found[key] = value;
    else if (Array.isArray(value) && value.every((v) => typeof v === 'string')) found[key] = value as string[];
  }
  return found;
}

export function instrument<C extends { middlewareStack: object }>(client: C, service: string): C {
  const stack = client.middlewareStack as Stack;
  const operationOf = (context: CallContext) => (context.commandName ?? 'Unknown').replace(/Command$/, '');
  // Around the whole call, retries included: its span, its outcome, its retries, its log line.
  stack.add(
    (next: Call, context: CallContext) => async (args: { input: unknown }) => {
      const operation = operationOf(context);
      const attributes = { 'rpc.system': 'aws-api', 'rpc.service': service, 'rpc.method': operation };
      return inSpan(`aws ${service} ${operation}`, attributes, () => recorded(next, args, operation));
    },
    { step: 'initialize', name: 'switchyardCallTelemetry', priority: 'high' },
  );

  /** The call, with its metrics and (for a change) its log line when it is made in an activity. */
  async function recorded(next: Call, args: { input: unknown }, operation: string) {
    const ctx = activity();
    if (!ctx) return next(args);
    const tags = { service, operation };
    const record = (outcome: 'ok' | 'error', attempts = 1) => {
      ctx.metricMeter.createCounter('switchyard_aws_calls', '1', 'AWS calls, by outcome').add(1, { ...tags, outcome });
      if (attempts > 1)
        ctx.metricMeter.createCounter('switchyard_aws_retries', '1', 'AWS call retries').add(attempts - 1, tags);
    };
    try {
      const result = await next(args);
      record('ok', result.output.$metadata?.attempts);
      if (!reads.test(operation)) ctx.log.info(`aws ${service} ${operation}`, { aws: resourcesOf(args.input) });
      return result;
    } catch (err) {
      record('error', (err as Attempted).$metadata?.attempts);
      throw err;
    }
  }

  // Around each attempt: a throttled attempt is counted whether or not a retry then succeeds.
  stack.add(
    (next: (args: unknown) => Promise<unknown>, context: CallContext) => async (args: unknown) => {
      try {
        return await next(args);
      } catch (err) {
        const e = err as Attempted;
        if (e.$metadata?.httpStatusCode === 429 || throttling.test(e.name ?? ''))
          activity()
            ?.metricMeter.createCounter('switchyard_aws_throttles', '1', 'throttled AWS attempts')
            .add(1, { service, operation: operationOf(context) });
        throw err;
      }
    },
    { step: 'deserialize', name: 'switchyardAttemptTelemetry', priority: 'high' },
  );
  return client;
}
