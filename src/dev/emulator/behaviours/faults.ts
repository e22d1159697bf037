// Faults the way each AWS protocol reports them, so the SDK's own retry logic classifies them as it
// would in AWS: JSON protocols (ECS, CloudWatch) with `__type`, query protocols (ELBv2, IAM) and
// REST-XML (Route 53) with an <ErrorResponse> document.
import crypto from 'node:crypto';

export type FaultKind = 'throttle' | '5xx' | 'latency' | 'drop';
export const faultKinds: FaultKind[] = ['throttle', '5xx', 'latency', 'drop'];

export interface FaultScenario {
  /** Share of matching calls that get a fault, 0-1. */
  rate: number;
  /** Which faults to draw from (default all). */
  kinds?: FaultKind[];
  /** Only operations whose name matches. */
  operations?: RegExp;
  /** Delay of a `latency` fault (default 500 ms). */
  latencyMs?: number;
  /** Seed of the draw: the same seed and the same calls in the same order give the same faults. */
  seed?: number;
}

/** A fault scenario ready to draw from: its own random sequence, started from its seed. */
export interface FaultDraw extends FaultScenario {
  random: () => number;
}

/** mulberry32: a small, well-mixed 32-bit generator; enough to replay a chaos run's fault sequence. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export type Protocol = 'json' | 'query' | 'rest-xml';

export interface AwsErrorBody {
  status: number;
  code: string;
  message: string;
  /** Sender: the caller's mistake (or too many calls); Receiver: the service's fault. */
  fault: 'Sender' | 'Receiver';
  /** The code a query-compatible JSON service (CloudWatch) gives in x-amzn-query-error, when it differs. */
  queryCode?: string;
}

/** An error as the protocol carries it, so the SDK parses code and message as it would from AWS. */
export function awsErrorResponse(
  protocol: Protocol,
  error: AwsErrorBody,
  jsonVersion = '1.1',
): { status: number; headers: Record<string, string>; body: string } {
  const requestId = crypto.randomUUID();
  if (protocol === 'json') {
    return {
      status: error.status,
      // x-amzn-query-error: the code a query-compatible JSON service (CloudWatch) reports.
      headers: {
        'content-type': `application/x-amz-json-${jsonVersion}`,
        'x-amzn-requestid': requestId,
        'x-amzn-query-error': `${error.queryCode ?? error.code};${error.fault}`,
      },
      body: JSON.stringify({ __type: error.code, message: error.message }),
    };
  }
  const xmlns = protocol === 'rest-xml' ? ' xmlns="https://route53.amazonaws.com/doc/2013-04-01/"' : '';
  return {
    status: error.status,
    headers: { 'content-type': 'text/xml', 'x-amzn-requestid': requestId },
    body: `<ErrorResponse${xmlns}><Error><Type>${error.fault}</Type><Code>${error.code}</Code><Message>${escapeXml(error.message)}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`,
  };
}

export function errorResponse(
  protocol: Protocol,
  kind: 'throttle' | '5xx',
  jsonVersion = '1.1',
): { status: number; headers: Record<string, string>; body: string } {
  const throttle = kind === 'throttle';
  const queryCode = throttle ? 'Throttling' : 'ServiceUnavailable';
  const code = protocol === 'json' ? (throttle ? 'ThrottlingException' : 'ServiceUnavailableException') : queryCode;
  return awsErrorResponse(
    protocol,
    {
      status: throttle ? 400 : 503,
      code,
      queryCode,
      message: throttle ? 'Rate exceeded' : 'Service is unavailable, try again later',
      fault: throttle ? 'Sender' : 'Receiver',
    },
    jsonVersion,
  );
}

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** The fault to inject into this call, if any. */
export function drawFault(scenario: FaultDraw | undefined, operation: string): FaultKind | undefined {
  if (!scenario || scenario.rate <= 0) return undefined;
  if (scenario.operations && !scenario.operations.test(operation)) return undefined;
  if (scenario.random() >= scenario.rate) return undefined;
  const kinds = scenario.kinds?.length ? scenario.kinds : faultKinds;
  return kinds[Math.floor(scenario.random() * kinds.length)];
}
