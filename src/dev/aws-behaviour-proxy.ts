// An HTTP proxy in front of moto that adds what moto does not emulate (../shared/MOTO-NOTES.md), so the
// same product code that runs against AWS can be exercised locally:
// - ECS services run: a created service's tasks register as IP targets in its target group (moto never
//   registers any), and DescribeServices reports running = desired with a COMPLETED rollout;
// - scenarios make things go wrong on purpose: services that never become steady, unhealthy targets.
// Used by the dev stack (benign scenario) and the tests (any scenario). Not product code: src/ talks to
// whatever AWS_ENDPOINT_URL names, AWS or this.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ElasticLoadBalancingV2Client, RegisterTargetsCommand } from '@aws-sdk/client-elastic-load-balancing-v2';

/** Scenario as sent to the control API: regular expressions as strings. */
export type BehaviourScenarioJson = { [K in keyof BehaviourScenario]?: string };

export interface BehaviourScenario {
  /** ECS services whose name matches never reach running = desired. */
  neverSteady?: RegExp;
  /** Target groups whose ARN matches report their targets unhealthy. */
  unhealthyTargets?: RegExp;
}

export interface AwsBehaviourProxy {
  endpoint: string;
  scenario: BehaviourScenario;
  /** Clears the scenario and what the proxy learned (moto's own reset goes through it too). */
  reset(): void;
  close(): Promise<void>;
}

interface Exchange {
  operation: string;
  requestBody: string;
  responseBody: string;
}

const ecsTarget = 'AmazonEC2ContainerServiceV20141113.';
export const controlPath = '/switchyard-proxy';

function operationOf(req: http.IncomingMessage, body: string): string {
  const target = req.headers['x-amz-target'];
  if (typeof target === 'string') return target.replace(/^.*\./, '');
  const action = new URLSearchParams(body).get('Action');
  return action ?? '';
}

export async function startAwsBehaviourProxy(opts: { motoEndpoint: string; port: number; region: string }): Promise<AwsBehaviourProxy> {
  const moto = new URL(opts.motoEndpoint);
  const elbv2 = new ElasticLoadBalancingV2Client({
    region: opts.region,
    endpoint: opts.motoEndpoint,
    credentials: { accessKeyId: 'switchyard-proxy', secretAccessKey: 'switchyard-proxy' },
  });
  let ipCounter = 0;
  const proxy: AwsBehaviourProxy = {
    endpoint: '',
    scenario: {},
    reset() {
      proxy.scenario = {};
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
    }
  }

  function rewrite(ex: Exchange): string {
    const scenario = proxy.scenario;
    if (ex.operation === 'DescribeServices') {
      const out = JSON.parse(ex.responseBody) as { services?: Record<string, unknown>[] };
      for (const s of out.services ?? []) {
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
    if (ex.operation === 'DescribeTargetHealth') {
      const arn = new URLSearchParams(ex.requestBody).get('TargetGroupArn') ?? '';
      if (scenario.unhealthyTargets?.test(arn)) {
        return ex.responseBody.replace(/<State>healthy<\/State>/g, '<State>unhealthy</State>');
      }
    }
    return ex.responseBody;
  }

  /** Control API, so tests (and curious users) can set a scenario from another process. */
  function control(req: http.IncomingMessage, body: string, res: http.ServerResponse): boolean {
    if (req.method !== 'POST' || !req.url?.startsWith(controlPath)) return false;
    if (req.url === `${controlPath}/reset`) proxy.reset();
    else if (req.url === `${controlPath}/scenario`) {
      const raw = JSON.parse(body || '{}') as Record<string, string | undefined>;
      proxy.scenario = {
        neverSteady: raw.neverSteady ? new RegExp(raw.neverSteady) : undefined,
        unhealthyTargets: raw.unhealthyTargets ? new RegExp(raw.unhealthyTargets) : undefined,
      };
    } else return false;
    res.writeHead(204).end();
    return true;
  }

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const requestBody = Buffer.concat(chunks).toString('utf8');
      if (control(req, requestBody, res)) return;
      const operation = operationOf(req, requestBody);
      const upstream = http.request(
        { host: moto.hostname, port: moto.port, method: req.method, path: req.url, headers: { ...req.headers, host: moto.host } },
        (up) => {
          const out: Buffer[] = [];
          up.on('data', (c: Buffer) => out.push(c));
          up.on('end', async () => {
            let body = Buffer.concat(out).toString('utf8');
            const ok = (up.statusCode ?? 500) < 300;
            try {
              if (ok && operation === 'CreateService' && String(req.headers['x-amz-target']).startsWith(ecsTarget)) await afterCreateService(requestBody);
              if (ok) body = rewrite({ operation, requestBody, responseBody: body });
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
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, '127.0.0.1', resolve);
  });
  proxy.endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return proxy;
}
