// An HTTP proxy in front of moto that adds what moto does not emulate (../shared/MOTO-NOTES.md), so the
// same product code that runs against AWS can be exercised locally:
// - ECS services run: a created service's tasks register as IP targets in its target group (moto never
//   registers any), DescribeServices reports running = desired with a COMPLETED rollout, and an
//   UpdateService to a new revision rolls out over successive describes (src/dev/aws-behaviour/ecs-rollouts.ts);
// - target health follows a script per target group (initial, then healthy, or unhealthy from a time on);
// - scenarios make things go wrong on purpose: services that never become steady, unhealthy targets,
//   failing rollouts, and faults in each protocol's own error shape (throttling, 5xx, latency, dropped
//   connections);
// - every call is counted by operation, every fault by kind (GET /switchyard-proxy/stats).
// Used by the dev stack (benign scenario) and the tests (any scenario). Not product code: src/ talks to
// whatever AWS_ENDPOINT_URL names, AWS or this.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ElasticLoadBalancingV2Client, RegisterTargetsCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { EcsRollouts, type RolloutScenario } from './aws-behaviour/ecs-rollouts';
import { drawFault, errorResponse, seededRandom, type FaultDraw, type FaultKind, type FaultScenario, type Protocol } from './aws-behaviour/faults';

export interface TargetHealthScript {
  /** Target groups whose ARN matches. */
  targetGroup: RegExp;
  /** Targets report `initial` this long after they registered. */
  initialForMs?: number;
  /** Targets report `unhealthy` from this long after they registered. */
  unhealthyAfterMs?: number;
}

export interface BehaviourScenario extends RolloutScenario {
  /** ECS services whose name matches never reach running = desired. */
  neverSteady?: RegExp;
  /** Target groups whose ARN matches report their targets unhealthy. */
  unhealthyTargets?: RegExp;
  targetHealth?: TargetHealthScript[];
  faults?: FaultDraw;
}

/** A scenario as sent to the control API: regular expressions as strings. */
export interface BehaviourScenarioJson {
  neverSteady?: string;
  unhealthyTargets?: string;
  failingImages?: string;
  stuckImages?: string;
  rolloutDescribes?: number;
  targetHealth?: { targetGroup: string; initialForMs?: number; unhealthyAfterMs?: number }[];
  faults?: Omit<FaultScenario, 'operations'> & { operations?: string };
}

export interface ProxyStats {
  calls: Record<string, number>;
  faults: Partial<Record<FaultKind, number>>;
}

export interface AwsBehaviourProxy {
  endpoint: string;
  scenario: BehaviourScenario;
  stats: ProxyStats;
  /** Clears the scenario, the counts and what the proxy learned (moto's own reset goes through it too). */
  reset(): void;
  close(): Promise<void>;
}

interface Call {
  protocol: Protocol;
  /** "ECS.DescribeServices", "ELBv2.ModifyRule", "Route53.POST rrset"... */
  operation: string;
  jsonVersion: string;
}

export const controlPath = '/switchyard-proxy';
/** Requests carrying this header are neither counted nor faulted: a test watching the account. */
export const observerHeader = 'x-switchyard-observer';

function classify(req: http.IncomingMessage, body: string): Call {
  const target = req.headers['x-amz-target'];
  if (typeof target === 'string') {
    const [prefix, op] = target.split('.');
    const service = prefix.startsWith('AmazonEC2ContainerService') ? 'ECS' : prefix.startsWith('GraniteService') ? 'CloudWatch' : prefix;
    return { protocol: 'json', operation: `${service}.${op}`, jsonVersion: service === 'CloudWatch' ? '1.0' : '1.1' };
  }
  if (req.url?.startsWith('/2013-04-01/')) return { protocol: 'rest-xml', operation: `Route53.${route53Operation(req.method ?? 'GET', req.url)}`, jsonVersion: '' };
  const params = new URLSearchParams(body);
  const version = params.get('Version');
  const service = version === '2015-12-01' ? 'ELBv2' : version === '2010-05-08' ? 'IAM' : version === '2016-11-15' ? 'EC2' : 'Query';
  return { protocol: 'query', operation: `${service}.${params.get('Action') ?? ''}`, jsonVersion: '' };
}

/** Route 53 is REST: its operation comes from the method and the path (the calls Switchyard and the seed make). */
function route53Operation(method: string, url: string): string {
  const parts = url.split('?')[0].split('/').filter(Boolean).slice(1);
  const [resource, id, sub] = parts;
  if (resource === 'hostedzonesbyname') return 'ListHostedZonesByName';
  if (resource === 'hostedzone' && sub === 'rrset') return method === 'POST' ? 'ChangeResourceRecordSets' : 'ListResourceRecordSets';
  if (resource === 'hostedzone' && id) return method === 'DELETE' ? 'DeleteHostedZone' : 'GetHostedZone';
  if (resource === 'hostedzone') return method === 'POST' ? 'CreateHostedZone' : 'ListHostedZones';
  if (resource === 'change') return 'GetChange';
  return `${method} ${parts.join('/')}`;
}

export function parseScenario(raw: BehaviourScenarioJson): BehaviourScenario {
  const re = (s?: string) => (s ? new RegExp(s) : undefined);
  return {
    neverSteady: re(raw.neverSteady),
    unhealthyTargets: re(raw.unhealthyTargets),
    failingImages: re(raw.failingImages),
    stuckImages: re(raw.stuckImages),
    rolloutDescribes: raw.rolloutDescribes,
    targetHealth: raw.targetHealth?.map((t) => ({ ...t, targetGroup: new RegExp(t.targetGroup) })),
    faults: raw.faults && { ...raw.faults, operations: re(raw.faults.operations), random: seededRandom(raw.faults.seed ?? Date.now()) },
  };
}

export async function startAwsBehaviourProxy(opts: { motoEndpoint: string; port: number; region: string }): Promise<AwsBehaviourProxy> {
  const moto = new URL(opts.motoEndpoint);
  const elbv2 = new ElasticLoadBalancingV2Client({
    region: opts.region,
    endpoint: opts.motoEndpoint,
    credentials: { accessKeyId: 'switchyard-proxy', secretAccessKey: 'switchyard-proxy' },
  });
  const rollouts = new EcsRollouts();
  const registeredAt = new Map<string, number>();
  let ipCounter = 0;
  const proxy: AwsBehaviourProxy = {
    endpoint: '',
    scenario: {},
    stats: { calls: {}, faults: {} },
    reset() {
      proxy.scenario = {};
      proxy.stats = { calls: {}, faults: {} };
      rollouts.reset();
      registeredAt.clear();
      ipCounter = 0;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())).then(() => elbv2.destroy()),
  };

  async function afterCreateService(requestBody: string): Promise<void> {
    const req = JSON.parse(requestBody) as { desiredCount?: number; loadBalancers?: { targetGroupArn?: string; containerPort?: number }[] };
    for (const lb of req.loadBalancers ?? []) {
      if (!lb.targetGroupArn) continue;
      const targets = Array.from({ length: req.desiredCount ?? 0 }, () => {
        ipCounter += 1;
        return { Id: `10.0.${Math.floor(ipCounter / 250)}.${(ipCounter % 250) + 4}`, Port: lb.containerPort };
      });
      if (targets.length) await elbv2.send(new RegisterTargetsCommand({ TargetGroupArn: lb.targetGroupArn, Targets: targets }));
      registeredAt.set(lb.targetGroupArn, Date.now());
    }
  }

  function targetState(arn: string): 'healthy' | 'unhealthy' | 'initial' {
    const scenario = proxy.scenario;
    if (scenario.unhealthyTargets?.test(arn)) return 'unhealthy';
    const script = scenario.targetHealth?.find((t) => t.targetGroup.test(arn));
    if (!script) return 'healthy';
    const age = Date.now() - (registeredAt.get(arn) ?? Date.now());
    if (script.unhealthyAfterMs !== undefined && age >= script.unhealthyAfterMs) return 'unhealthy';
    return age < (script.initialForMs ?? 0) ? 'initial' : 'healthy';
  }

  function rewrite(operation: string, requestBody: string, responseBody: string): string {
    const scenario = proxy.scenario;
    if (operation === 'ECS.RegisterTaskDefinition') rollouts.registered(responseBody);
    if (operation === 'ECS.CreateService') rollouts.created(requestBody);
    if (operation === 'ECS.UpdateService') rollouts.updated(requestBody, scenario);
    if (operation === 'ECS.DescribeServices') {
      const cluster = (JSON.parse(requestBody) as { cluster?: string }).cluster;
      const out = JSON.parse(responseBody) as { services?: Record<string, unknown>[] };
      for (const s of out.services ?? []) {
        if (s.status !== 'INACTIVE' && rollouts.describe(cluster, s, scenario)) continue;
        const stuck = scenario.neverSteady?.test(String(s.serviceName)) ?? false;
        const running = stuck ? 0 : Number(s.desiredCount ?? 0);
        s.runningCount = running;
        s.pendingCount = Number(s.desiredCount ?? 0) - running;
        for (const d of (s.deployments as Record<string, unknown>[] | undefined) ?? []) {
          d.runningCount = running;
          d.pendingCount = s.pendingCount;
          d.rolloutState = stuck ? 'IN_PROGRESS' : 'COMPLETED';
        }
      }
      return JSON.stringify(out);
    }
    if (operation === 'ELBv2.DescribeTargetHealth') {
      const state = targetState(new URLSearchParams(requestBody).get('TargetGroupArn') ?? '');
      if (state !== 'healthy') return responseBody.replace(/<State>healthy<\/State>/g, `<State>${state}</State>`);
    }
    return responseBody;
  }

  /** Control API, so tests (and curious users) can set a scenario and read the counts from another process. */
  function control(req: http.IncomingMessage, body: string, res: http.ServerResponse): boolean {
    if (!req.url?.startsWith(controlPath)) return false;
    const route = `${req.method} ${req.url.slice(controlPath.length)}`;
    if (route === 'GET /stats') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(proxy.stats));
      return true;
    }
    if (route === 'POST /reset') proxy.reset();
    else if (route === 'POST /scenario') proxy.scenario = parseScenario(JSON.parse(body || '{}') as BehaviourScenarioJson);
    else return false;
    res.writeHead(204).end();
    return true;
  }

  function forward(req: http.IncomingMessage, res: http.ServerResponse, requestBody: string, call: Call, drop: boolean): void {
    const upstream = http.request(
      { host: moto.hostname, port: moto.port, method: req.method, path: req.url, headers: { ...req.headers, host: moto.host } },
      (up) => {
        const out: Buffer[] = [];
        up.on('data', (c: Buffer) => out.push(c));
        up.on('end', async () => {
          // A dropped connection after AWS did the work: the caller must retry without doing it twice.
          if (drop) return void res.socket?.destroy();
          let body = Buffer.concat(out).toString('utf8');
          const ok = (up.statusCode ?? 500) < 300;
          try {
            if (ok && call.operation === 'ECS.CreateService') await afterCreateService(requestBody);
            if (ok) body = rewrite(call.operation, requestBody, body);
          } catch (err) {
            res.writeHead(500, { 'content-type': 'text/plain' }).end(`switchyard behaviour proxy: ${String(err)}`);
            return;
          }
          const headers = { ...up.headers, 'content-length': String(Buffer.byteLength(body)) };
          delete headers['transfer-encoding'];
          res.writeHead(up.statusCode ?? 500, headers).end(body);
        });
      },
    );
    upstream.on('error', (err) => res.writeHead(502, { 'content-type': 'text/plain' }).end(`moto unreachable: ${err.message}`));
    upstream.end(requestBody);
  }

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const requestBody = Buffer.concat(chunks).toString('utf8');
      if (control(req, requestBody, res)) return;
      const call = classify(req, requestBody);
      const stats = proxy.stats;
      // moto's own control API (reset, data dump) is not an AWS call; nor are a test's observations
      // (header x-switchyard-observer), which must see the account as it is, without faults.
      const counted = !req.url?.startsWith('/moto-api') && req.headers[observerHeader] === undefined;
      if (counted) stats.calls[call.operation] = (stats.calls[call.operation] ?? 0) + 1;
      const fault = counted ? drawFault(proxy.scenario.faults, call.operation) : undefined;
      if (fault) stats.faults[fault] = (stats.faults[fault] ?? 0) + 1;
      if (fault === 'throttle' || fault === '5xx') {
        const error = errorResponse(call.protocol, fault, call.jsonVersion);
        res.writeHead(error.status, { ...error.headers, 'content-length': String(Buffer.byteLength(error.body)) }).end(error.body);
        return;
      }
      const delay = fault === 'latency' ? (proxy.scenario.faults?.latencyMs ?? 500) : 0;
      setTimeout(() => forward(req, res, requestBody, call, fault === 'drop'), delay);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, '127.0.0.1', resolve);
  });
  proxy.endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return proxy;
}
