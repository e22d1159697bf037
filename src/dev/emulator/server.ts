// An HTTP proxy in front of moto that adds what moto does not emulate (./README.md), so the
// same product code that runs against AWS can be exercised locally:
// - ECS services run: a created service's tasks register as IP targets in its target group (moto never
//   registers any), DescribeServices reports running = desired with a COMPLETED rollout, and an
//   UpdateService to a new revision rolls out over successive describes (./behaviours/ecs-rollouts.ts);
// - target health follows a script per target group (initial, then healthy, or unhealthy from a time on),
//   and a deleted service's targets are `draining` for their group's deregistration delay, then gone;
// - scenarios make things go wrong on purpose: services that never become steady, unhealthy targets,
//   failing rollouts, and faults in each protocol's own error shape (throttling, 5xx, latency, dropped
//   connections);
// - the conformance layer (./behaviours/conformance.ts), on unless switched off: what AWS refuses is
//   refused before moto sees it (the API models, documented rules, rate limits), in AWS's error shape;
// - every call is counted by operation, every fault by kind, every violation by rule (GET /switchyard-proxy/stats).
// Used by the dev stack (benign scenario) and the tests (any scenario). Not product code: src/ talks to
// whatever AWS_ENDPOINT_URL names, AWS or this.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  DescribeContainerInstancesCommand,
  DescribeTaskDefinitionCommand,
  ECSClient,
  ListContainerInstancesCommand,
} from '@aws-sdk/client-ecs';
import {
  DeregisterTargetsCommand,
  DescribeTargetGroupsCommand,
  DescribeTargetHealthCommand,
  ElasticLoadBalancingV2Client,
  RegisterTargetsCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { IAMClient } from '@aws-sdk/client-iam';
import { Route53Client } from '@aws-sdk/client-route-53';
import { ApplicationAutoScalingClient } from '@aws-sdk/client-application-auto-scaling';
import { CodeDeployClient, GetDeploymentGroupCommand } from '@aws-sdk/client-codedeploy';
import { CodeDeployLifecycles, listFilterForMoto, type CodeDeployScenario } from './behaviours/codedeploy';
import {
  Conformance,
  defaultConformance,
  type ConformanceCall,
  type ConformanceOptions,
  type ConformanceStats,
} from './behaviours/conformance';
import { EcrImages } from './behaviours/ecr-images';
import { EcsRollouts, type RolloutScenario } from './behaviours/ecs-rollouts';
import {
  awsErrorResponse,
  drawFault,
  errorResponse,
  seededRandom,
  type FaultDraw,
  type FaultKind,
  type FaultScenario,
  type Protocol,
} from './behaviours/faults';
import type { RuleBreak } from './behaviours/refusals';
import { WriteJournal } from './behaviours/write-journal';
import { loadModels, type ModelService, type ServiceModel } from './models';

export interface TargetHealthScript {
  /** Target groups whose ARN matches. */
  targetGroup: RegExp;
  /** Targets report `initial` this long after they registered. */
  initialForMs?: number;
  /** Targets report `unhealthy` from this long after they registered. */
  unhealthyAfterMs?: number;
}

export interface BehaviourScenario extends RolloutScenario, CodeDeployScenario {
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
  failingLifecycleEvent?: string;
  targetHealth?: { targetGroup: string; initialForMs?: number; unhealthyAfterMs?: number }[];
  faults?: Omit<FaultScenario, 'operations'> & { operations?: string };
}

export interface ProxyStats {
  calls: Record<string, number>;
  faults: Partial<Record<FaultKind, number>>;
  /** Refusals of the conformance layer; not cleared by reset. */
  conformance: ConformanceStats;
}

export interface AwsBehaviourProxy {
  endpoint: string;
  scenario: BehaviourScenario;
  stats: ProxyStats;
  /** Clears the scenario, the counts and what the proxy learned (moto's own reset goes through it too); violations stay. */
  reset(): void;
  /** What the conformance layer refused so far. */
  conformance(): ConformanceStats;
  close(): Promise<void>;
}

interface Call {
  protocol: Protocol;
  /** The API model the call is checked against (undefined: a service Switchyard does not call, e.g. EC2). */
  service?: ModelService;
  /** "DescribeServices" */
  action: string;
  /** "ECS.DescribeServices", "ELBv2.ModifyRule", "Route53.ChangeResourceRecordSets"... */
  operation: string;
  jsonVersion: string;
  /** REST: the URI's labels. */
  labels: Record<string, string>;
}

export const controlPath = '/switchyard-proxy';
/** Requests carrying this header are neither counted nor faulted: a test watching the account. */
export const observerHeader = 'x-switchyard-observer';

function classify(req: http.IncomingMessage, body: string, route53: ServiceModel): Call {
  const target = req.headers['x-amz-target'];
  if (typeof target === 'string') {
    const [prefix, action] = target.split('.');
    // Application Auto Scaling's target prefix is its internal name (AnyScaleFrontendService); moto
    // routes it by the signature's credential scope (application-autoscaling), which passes through.
    const service: ModelService | undefined = prefix.startsWith('AmazonEC2ContainerService')
      ? 'ECS'
      : prefix === 'AmazonEC2ContainerRegistry_V20150921'
        ? 'ECR'
        : prefix.startsWith('GraniteService')
          ? 'CloudWatch'
          : prefix === 'AnyScaleFrontendService'
            ? 'ApplicationAutoScaling'
            : prefix === 'CodeDeploy_20141006'
              ? 'CodeDeploy'
              : undefined;
    return {
      protocol: 'json',
      service,
      action,
      operation: `${service ?? prefix}.${action}`,
      jsonVersion: service === 'CloudWatch' ? '1.0' : '1.1',
      labels: {},
    };
  }
  if (req.url?.startsWith('/2013-04-01/')) {
    // Route 53 is REST: the operation is the model's, by method and path.
    const route = route53.route(req.method ?? 'GET', req.url.split('?')[0]);
    const action = route?.operation ?? `${req.method} ${req.url.split('?')[0]}`;
    return {
      protocol: 'rest-xml',
      service: 'Route53',
      action,
      operation: `Route53.${action}`,
      jsonVersion: '',
      labels: route?.labels ?? {},
    };
  }
  const params = new URLSearchParams(body);
  const version = params.get('Version');
  const service = version === '2015-12-01' ? 'ELBv2' : version === '2010-05-08' ? 'IAM' : undefined;
  const action = params.get('Action') ?? '';
  return {
    protocol: 'query',
    service,
    action,
    operation: `${service ?? (version === '2016-11-15' ? 'EC2' : 'Query')}.${action}`,
    jsonVersion: '',
    labels: {},
  };
}

export function parseScenario(raw: BehaviourScenarioJson): BehaviourScenario {
  const re = (s?: string) => (s ? new RegExp(s) : undefined);
  return {
    neverSteady: re(raw.neverSteady),
    unhealthyTargets: re(raw.unhealthyTargets),
    failingImages: re(raw.failingImages),
    stuckImages: re(raw.stuckImages),
    rolloutDescribes: raw.rolloutDescribes,
    failingLifecycleEvent: raw.failingLifecycleEvent,
    targetHealth: raw.targetHealth?.map((t) => ({ ...t, targetGroup: new RegExp(t.targetGroup) })),
    faults: raw.faults && {
      ...raw.faults,
      operations: re(raw.faults.operations),
      random: seededRandom(raw.faults.seed ?? Date.now()),
    },
  };
}

export interface ProxyOptions {
  motoEndpoint: string;
  port: number;
  region: string;
  /** botocore's data directory (ToolPaths.awsModels). */
  awsModels: string;
  conformance?: Partial<ConformanceOptions>;
}

export async function startAwsBehaviourProxy(opts: ProxyOptions): Promise<AwsBehaviourProxy> {
  const moto = new URL(opts.motoEndpoint);
  // The proxy's own reads of the account go straight to moto: neither counted, checked nor throttled.
  const direct = {
    region: opts.region,
    endpoint: opts.motoEndpoint,
    credentials: { accessKeyId: 'switchyard-proxy', secretAccessKey: 'switchyard-proxy' },
  };
  const elbv2 = new ElasticLoadBalancingV2Client(direct);
  const ecs = new ECSClient(direct);
  const route53 = new Route53Client(direct);
  const autoScaling = new ApplicationAutoScalingClient(direct);
  const iam = new IAMClient(direct);
  const ecrImages = new EcrImages(direct);
  const models = loadModels(opts.awsModels);
  const conformance = new Conformance({ ...defaultConformance, ...opts.conformance }, models, {
    ecs,
    elbv2,
    route53,
    autoScaling,
    iam,
    ecrImages,
  });
  const rollouts = new EcsRollouts();
  const codeDeploy = new CodeDeployClient(direct);
  const deployments = new CodeDeployLifecycles(
    {
      ecs,
      elbv2,
      deploymentGroup: async (applicationName, deploymentGroupName) =>
        (await codeDeploy.send(new GetDeploymentGroupCommand({ applicationName, deploymentGroupName })))
          .deploymentGroupInfo as Record<string, unknown> | undefined,
    },
    (ms) => conformance.delay(ms),
  );
  /** Target group → when its targets registered, and how long AWS keeps them `initial`. */
  const registered = new Map<string, { at: number; initialMs: number }>();
  /** Target group → until when its targets are `draining` (their service was deleted). */
  const drainingUntil = new Map<string, number>();
  const drainTimers = new Set<NodeJS.Timeout>();
  let counts: Omit<ProxyStats, 'conformance'> = { calls: {}, faults: {} };
  const journal = new WriteJournal();
  let ipCounter = 0;
  const proxy: AwsBehaviourProxy = {
    endpoint: '',
    scenario: {},
    get stats(): ProxyStats {
      return { ...counts, conformance: conformance.report() };
    },
    reset() {
      proxy.scenario = {};
      counts = { calls: {}, faults: {} };
      journal.clear();
      rollouts.reset();
      deployments.reset();
      conformance.reset();
      registered.clear();
      drainingUntil.clear();
      for (const timer of drainTimers) clearTimeout(timer);
      drainTimers.clear();
      ipCounter = 0;
    },
    conformance: () => conformance.report(),
    close: () =>
      new Promise<void>((resolve) => server.close(() => resolve())).then(() => {
        elbv2.destroy();
        ecs.destroy();
        route53.destroy();
        autoScaling.destroy();
        codeDeploy.destroy();
        iam.destroy();
        ecrImages.close();
      }),
  };

  async function afterCreateService(requestBody: string): Promise<void> {
    const req = JSON.parse(requestBody) as {
      cluster?: string;
      desiredCount?: number;
      taskDefinition?: string;
      loadBalancers?: { targetGroupArn?: string; containerPort?: number }[];
    };
    for (const lb of req.loadBalancers ?? []) {
      if (!lb.targetGroupArn) continue;
      const group = (await elbv2.send(new DescribeTargetGroupsCommand({ TargetGroupArns: [lb.targetGroupArn] })))
        .TargetGroups?.[0];
      const targets =
        group?.TargetType === 'instance'
          ? await instanceTargets(req.cluster, req.taskDefinition, req.desiredCount ?? 0, lb.containerPort)
          : ipTargets(req.desiredCount ?? 0, lb.containerPort);
      if (targets.length)
        await elbv2.send(new RegisterTargetsCommand({ TargetGroupArn: lb.targetGroupArn, Targets: targets }));
      // "initial": the load balancer is still sending the minimum number of health checks (healthy
      // threshold × interval) before it calls a target healthy (TargetHealth, Elb.InitialHealthChecking).
      const check = conformance.options.enabled ? await conformance.healthCheckOf(lb.targetGroupArn) : undefined;
      // Tasks start (and register) once ECS can assume their roles.
      const started = Math.max(Date.now(), conformance.rolesPropagatingUntil(String(req.taskDefinition)));
      registered.set(lb.targetGroupArn, {
        at: started,
        initialMs: check ? conformance.delay(check.intervalSeconds * check.healthyThreshold * 1000) : 0,
      });
    }
  }

  /** awsvpc tasks: each its own network interface, registered by IP. */
  function ipTargets(count: number, port: number | undefined): { Id: string; Port?: number }[] {
    return Array.from({ length: count }, () => {
      ipCounter += 1;
      return { Id: `10.0.${Math.floor(ipCounter / 250)}.${(ipCounter % 250) + 4}`, Port: port };
    });
  }

  /**
   * bridge and host tasks: registered as their container instance and host port (the container's own
   * for host, one from the ephemeral range for bridge's dynamic mapping), on an instance each while there
   * are enough: moto keeps one target per instance id, where AWS keeps one per instance and port.
   */
  async function instanceTargets(
    cluster: string | undefined,
    taskDefinition: string | undefined,
    count: number,
    port: number | undefined,
  ): Promise<{ Id: string; Port?: number }[]> {
    const arns = (await ecs.send(new ListContainerInstancesCommand({ cluster }))).containerInstanceArns ?? [];
    if (!arns.length) return [];
    const instances = (
      (await ecs.send(new DescribeContainerInstancesCommand({ cluster, containerInstances: arns })))
        .containerInstances ?? []
    ).map((c) => c.ec2InstanceId!);
    const mode =
      (await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition })).catch(() => undefined))?.taskDefinition
        ?.networkMode ?? 'bridge';
    const start = ipCounter;
    ipCounter += count;
    return Array.from({ length: count }, (_, i) => ({
      Id: instances[(start + i) % instances.length],
      Port: mode === 'host' ? port : 32768 + ((start + i) % 28000),
    }));
  }

  /**
   * A deleted service's tasks stop; ECS deregisters their targets, which stay `draining` for the target
   * group's deregistration delay and are then gone (TargetHealth: Target.DeregistrationInProgress).
   */
  async function afterDeleteService(responseBody: string): Promise<void> {
    const out = JSON.parse(responseBody) as { service?: { loadBalancers?: { targetGroupArn?: string }[] } };
    for (const lb of out.service?.loadBalancers ?? []) {
      const arn = lb.targetGroupArn;
      if (!arn) continue;
      const check = await conformance.healthCheckOf(arn);
      const ms = conformance.delay((check?.deregistrationDelaySeconds ?? 300) * 1000);
      drainingUntil.set(arn, Date.now() + ms);
      const timer = setTimeout(() => {
        drainTimers.delete(timer);
        drainingUntil.delete(arn);
        void deregisterAll(arn);
      }, ms);
      timer.unref();
      drainTimers.add(timer);
    }
  }

  async function deregisterAll(targetGroupArn: string): Promise<void> {
    try {
      const health = await elbv2.send(new DescribeTargetHealthCommand({ TargetGroupArn: targetGroupArn }));
      const targets = (health.TargetHealthDescriptions ?? []).map((d) => d.Target!).filter(Boolean);
      if (targets.length)
        await elbv2.send(new DeregisterTargetsCommand({ TargetGroupArn: targetGroupArn, Targets: targets }));
    } catch {
      // The group was deleted meanwhile (teardown deletes it right after the service): nothing to drain.
    }
  }

  function targetState(arn: string): 'healthy' | 'unhealthy' | 'initial' | 'draining' {
    const scenario = proxy.scenario;
    if ((drainingUntil.get(arn) ?? 0) > Date.now()) return 'draining';
    if (scenario.unhealthyTargets?.test(arn)) return 'unhealthy';
    const script = scenario.targetHealth?.find((t) => t.targetGroup.test(arn));
    const since = registered.get(arn);
    const age = Date.now() - (since?.at ?? Date.now());
    if (script?.unhealthyAfterMs !== undefined && age >= script.unhealthyAfterMs) return 'unhealthy';
    return age < (script?.initialForMs ?? since?.initialMs ?? 0) ? 'initial' : 'healthy';
  }

  /** Whether ECS could place an EC2 task in the cluster: it needs a registered container instance. */
  async function hasContainerInstances(cluster: string | undefined): Promise<boolean> {
    return (
      (
        (await ecs.send(new ListContainerInstancesCommand({ cluster })).catch(() => undefined))
          ?.containerInstanceArns ?? []
      ).length > 0
    );
  }

  async function rewrite(operation: string, requestBody: string, responseBody: string): Promise<string> {
    const scenario = proxy.scenario;
    if (operation === 'CodeDeploy.CreateDeployment') await deployments.created(requestBody, responseBody);
    if (operation === 'CodeDeploy.GetDeployment' || operation === 'CodeDeploy.BatchGetDeployments') {
      await deployments.advance(scenario);
      return deployments.rewriteDeployments(responseBody);
    }
    if (operation === 'CodeDeploy.ListDeployments') {
      await deployments.advance(scenario);
      return deployments.rewriteList(responseBody, requestBody);
    }
    if (operation === 'ECS.RegisterTaskDefinition')
      await rollouts.registered(responseBody, (i) => ecrImages.tagsNaming(i));
    if (operation === 'ECS.CreateService') rollouts.created(requestBody);
    if (operation === 'ECS.UpdateService') rollouts.updated(requestBody, scenario);
    if (operation === 'ECS.DescribeServices') {
      const cluster = (JSON.parse(requestBody) as { cluster?: string }).cluster;
      const out = JSON.parse(responseBody) as { services?: Record<string, unknown>[] };
      for (const s of out.services ?? []) {
        if (s.status !== 'INACTIVE' && rollouts.describe(cluster, s, scenario)) continue;
        // A role of the revision still propagating in IAM: ECS cannot start its tasks yet, and says so.
        const role = conformance.propagatingRole(String(s.taskDefinition), Date.now());
        // EC2 tasks need a container instance to run on (a Fargate capacity provider needs none).
        const strategy = (s.capacityProviderStrategy as { capacityProvider?: string }[] | undefined) ?? [];
        const onEc2 =
          s.launchType === 'EC2' ||
          (strategy.length > 0 && !strategy.every((p) => p.capacityProvider?.startsWith('FARGATE')));
        const unplaced = conformance.options.enabled && onEc2 && !(await hasContainerInstances(cluster));
        const stuck = (scenario.neverSteady?.test(String(s.serviceName)) ?? false) || role !== undefined || unplaced;
        const running = stuck ? 0 : Number(s.desiredCount ?? 0);
        s.runningCount = running;
        s.pendingCount = Number(s.desiredCount ?? 0) - running;
        for (const d of (s.deployments as Record<string, unknown>[] | undefined) ?? []) {
          d.runningCount = running;
          d.pendingCount = s.pendingCount;
          d.rolloutState = stuck ? 'IN_PROGRESS' : 'COMPLETED';
        }
        if (unplaced) {
          const message = `service ${String(s.serviceName)} was unable to place a task because no container instance met all of its requirements. Reason: No Container Instances were found in your cluster.`;
          s.events = [
            { id: `placement-${ipCounter}`, createdAt: Date.now() / 1000, message },
            ...((s.events as unknown[] | undefined) ?? []),
          ];
        }
        if (role) {
          const message = `(service ${String(s.serviceName)}) failed to launch a task with (error ECS was unable to assume the role '${role}' that was provided for this task. Please verify that the role being passed has the proper trust relationship and permissions and that your IAM user has permissions to pass this role.).`;
          s.events = [
            { id: `iam-${ipCounter}`, createdAt: Date.now() / 1000, message },
            ...((s.events as unknown[] | undefined) ?? []),
          ];
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
    if (route === 'GET /journal') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(journal.entries));
      return true;
    }
    if (route === 'GET /conformance') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(conformance.report()));
      return true;
    }
    if (route === 'POST /reset') proxy.reset();
    else if (route === 'POST /scenario')
      proxy.scenario = parseScenario(JSON.parse(body || '{}') as BehaviourScenarioJson);
    else return false;
    res.writeHead(204).end();
    return true;
  }

  function forward(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    requestBody: string,
    call: Call,
    drop: boolean,
    answerLost?: () => void,
  ): void {
    // The body as read (and maybe bridged, see Conformance.bridged), so its own length.
    const sent = { ...req.headers };
    delete sent['transfer-encoding'];
    const upstream = http.request(
      {
        host: moto.hostname,
        port: moto.port,
        method: req.method,
        path: req.url,
        headers: { ...sent, host: moto.host, 'content-length': String(Buffer.byteLength(requestBody)) },
      },
      (up) => {
        const out: Buffer[] = [];
        up.on('data', (c: Buffer) => out.push(c));
        up.on('end', async () => {
          let body = Buffer.concat(out).toString('utf8');
          const ok = (up.statusCode ?? 500) < 300;
          try {
            // What AWS does with the call happens whether or not its answer arrives (a dropped connection
            // below): the tasks of a created service start, and the layer remembers the creation (so the
            // caller's retry with the same clientToken is the same request).
            if (ok && call.operation === 'ECS.CreateService') {
              await afterCreateService(requestBody);
              await deployments.serviceCreated(requestBody);
            }
            if (ok && call.operation === 'ECS.DeleteService' && conformance.options.enabled)
              await afterDeleteService(body);
            if (ok && counted(req)) journal.answered(call, requestBody, body);
            if (ok) body = await conformance.answered(conformanceCall(req, requestBody, call), body);
            if (ok) body = await rewrite(call.operation, requestBody, body);
          } catch (err) {
            if (drop) return void res.socket?.destroy();
            res.writeHead(500, { 'content-type': 'text/plain' }).end(`switchyard behaviour proxy: ${String(err)}`);
            return;
          }
          // A dropped connection after AWS did the work: the caller must retry without doing it twice.
          if (drop) {
            if (ok) answerLost?.();
            return void res.socket?.destroy();
          }
          const headers = { ...up.headers, 'content-length': String(Buffer.byteLength(body)) };
          delete headers['transfer-encoding'];
          res.writeHead(up.statusCode ?? 500, headers).end(body);
        });
      },
    );
    upstream.on('error', (err) =>
      res.writeHead(502, { 'content-type': 'text/plain' }).end(`moto unreachable: ${err.message}`),
    );
    upstream.end(requestBody);
  }

  /**
   * An AWS call: counted, checked and journaled. moto's own control API (reset, data dump) is not one; nor
   * are a test's observations (header x-switchyard-observer), which see the account as it is, without faults.
   */
  function counted(req: http.IncomingMessage): boolean {
    return !req.url?.startsWith('/moto-api') && req.headers[observerHeader] === undefined;
  }

  function conformanceCall(req: http.IncomingMessage, body: string, call: Call): ConformanceCall {
    return {
      service: call.service,
      action: call.action,
      operation: call.operation,
      protocol: call.protocol,
      method: req.method ?? 'GET',
      url: req.url ?? '/',
      headers: req.headers,
      body,
      labels: call.labels,
    };
  }

  function answer(
    res: http.ServerResponse,
    error: { status: number; headers: Record<string, string>; body: string },
  ): void {
    res
      .writeHead(error.status, { ...error.headers, 'content-length': String(Buffer.byteLength(error.body)) })
      .end(error.body);
  }

  /**
   * The CodeDeploy calls moto lacks or gets wrong, answered by the lifecycle (behaviours/codedeploy.ts);
   * undefined: moto answers (and the answer is rewritten).
   */
  async function codeDeployAnswer(
    action: string,
    body: string,
  ): Promise<{ refusal?: RuleBreak; answer?: Record<string, unknown> } | undefined> {
    if (action === 'CreateDeployment') {
      // A deployment that has ended by the clock frees its group, whether or not anyone looked.
      await deployments.advance(proxy.scenario);
      const refusal = deployments.refuseCreate(body);
      return refusal ? { refusal } : undefined;
    }
    const handlers: Record<string, () => Promise<{ refusal?: RuleBreak; answer?: Record<string, unknown> }>> = {
      ContinueDeployment: async () => ({ refusal: await deployments.continue(body) }),
      StopDeployment: () => deployments.stop(body),
      ListDeploymentTargets: async () => deployments.listTargets(body),
      GetDeploymentTarget: async () => deployments.getTarget(body),
      GetDeploymentConfig: async () => deployments.getConfig(body),
    };
    const handler = handlers[action];
    if (!handler) return undefined;
    await deployments.advance(proxy.scenario);
    return handler();
  }

  async function handle(req: http.IncomingMessage, res: http.ServerResponse, requestBody: string): Promise<void> {
    if (control(req, requestBody, res)) return;
    const call = classify(req, requestBody, models.Route53);
    if (!counted(req)) return forward(req, res, requestBody, call, false);
    counts.calls[call.operation] = (counts.calls[call.operation] ?? 0) + 1;
    const refusal = await conformance.refuse(conformanceCall(req, requestBody, call));
    if (refusal) return answer(res, awsErrorResponse(call.protocol, refusal, call.jsonVersion));
    const same = await conformance.idempotentAnswer(conformanceCall(req, requestBody, call));
    if (same)
      return answer(res, { status: 200, headers: { 'content-type': 'application/x-amz-json-1.1' }, body: same });
    const fault = drawFault(proxy.scenario.faults, call.operation);
    if (fault) counts.faults[fault] = (counts.faults[fault] ?? 0) + 1;
    if (fault === 'throttle' || fault === '5xx')
      return answer(res, errorResponse(call.protocol, fault, call.jsonVersion));
    const delay = fault === 'latency' ? (proxy.scenario.faults?.latencyMs ?? 500) : 0;
    if (call.service === 'CodeDeploy') {
      const own = await codeDeployAnswer(call.action, requestBody);
      if (own) {
        await new Promise((r) => setTimeout(r, delay));
        if (fault === 'drop') return void res.socket?.destroy();
        return answer(
          res,
          own.refusal
            ? awsErrorResponse('json', own.refusal.refusal, '1.1')
            : {
                status: 200,
                headers: { 'content-type': 'application/x-amz-json-1.1' },
                body: JSON.stringify(own.answer ?? {}),
              },
        );
      }
    }
    const toMoto = conformance.options.enabled
      ? await conformance.bridged(conformanceCall(req, requestBody, call))
      : requestBody;
    const answerLost = () => conformance.answerLost(conformanceCall(req, requestBody, call));
    const sent = call.operation === 'CodeDeploy.ListDeployments' ? listFilterForMoto(toMoto) : toMoto;
    setTimeout(() => forward(req, res, sent, call, fault === 'drop', answerLost), delay);
  }

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      handle(req, res, Buffer.concat(chunks).toString('utf8')).catch((err: unknown) => {
        if (!res.headersSent)
          res.writeHead(500, { 'content-type': 'text/plain' }).end(`switchyard behaviour proxy: ${String(err)}`);
      });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, '127.0.0.1', resolve);
  });
  proxy.endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return proxy;
}
