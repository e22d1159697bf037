// The conformance layer: what AWS refuses, refused here too, before moto (which accepts much of it) sees
// the call. Three parts:
// - the API models (../models.ts): every request of ECS, ECR, ELBv2, IAM, Route 53, CloudWatch and Application Auto Scaling is checked
//   against botocore's model of its operation;
// - documented rules moto skips, each with the page it comes from (below), some of them stateful
//   (a deleted service drains before its name is free; a DNS change is PENDING before INSYNC; targets
//   are `initial` until their health checks pass);
// - the published API rate limits as token buckets (./throttling.ts).
// A refusal is answered in the protocol's own error shape and recorded as a violation (throttling is
// counted apart: it is AWS's behaviour, not the caller's mistake). Violations survive reset: a test run
// reads them at its end and fails on any it did not provoke on purpose.
import { DescribeClustersCommand, DescribeServicesCommand, DescribeTaskDefinitionCommand } from '@aws-sdk/client-ecs';
import {
  DescribeListenersCommand,
  DescribeLoadBalancersCommand,
  DescribeRulesCommand,
  DescribeTargetGroupAttributesCommand,
  DescribeTargetGroupsCommand,
  type Action,
  type Rule,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import type { IAMClient } from '@aws-sdk/client-iam';
import { GetHostedZoneCommand, ListResourceRecordSetsCommand, type Route53Client } from '@aws-sdk/client-route-53';
// The Fargate size table is AWS's published one, kept once in src/shared (the spec checks it too).
import { fargateMemoryFor, fargateProviders } from '../../../shared/launch';
import { refused, type Json, type Refusal } from './refusals';
import { parseXml, type XmlElement } from '../xml';
import type { ModelService, ModelViolation, ServiceModel } from '../models';
import { RateLimits } from './throttling';
import { AutoScalingRules, type AutoScalingAccount } from './autoscaling';
import { SecretReads } from './secret-reads';
import { IamRoleRules } from './iam-roles';
import { ListenerRules } from './listener-rules';
import { keptOnCreate, keptOnUpdate, serviceFieldRules } from './ecs-service-fields';
import type { EcrImages } from './ecr-images';

export interface ConformanceOptions {
  /** Off only for a test that says why. */
  enabled: boolean;
  /** AWS's delays multiplied by this (1: as AWS documents them). Never zero: the order of things must still show. */
  timeScale: number;
  /** The published API rate limits (token buckets). */
  throttling: boolean;
}

export const defaultConformance: ConformanceOptions = { enabled: true, timeScale: 1, throttling: true };

/**
 * The layer's settings from the environment: SWITCHYARD_AWS_TIME_SCALE (AWS's delays × this, above 0),
 * SWITCHYARD_AWS_THROTTLING=off. (The layer itself has no switch here: a test that must do without it
 * passes `enabled: false` in code, with a comment saying why.)
 */
export function conformanceFromEnv(env: NodeJS.ProcessEnv = process.env): Partial<ConformanceOptions> {
  const out: Partial<ConformanceOptions> = {};
  if (env.SWITCHYARD_AWS_TIME_SCALE !== undefined) {
    const scale = Number(env.SWITCHYARD_AWS_TIME_SCALE);
    if (!(scale > 0) || scale > 1)
      throw new Error(
        `SWITCHYARD_AWS_TIME_SCALE must be a number above 0 and at most 1 (got "${env.SWITCHYARD_AWS_TIME_SCALE}")`,
      );
    out.timeScale = scale;
  }
  if (env.SWITCHYARD_AWS_THROTTLING === 'off') out.throttling = false;
  return out;
}

/** AWS's delays at full scale. */
export const awsDelaysMs = {
  // "the service status moves from ACTIVE to DRAINING ... After all tasks have transitioned to either
  // STOPPING or STOPPED status, the service status moves from DRAINING to INACTIVE" (DeleteService); tasks
  // stop after the target group's deregistration delay, so about a minute with a short delay.
  serviceDraining: 60_000,
  // "Changes generally propagate to all Route 53 name servers managing the hosted zone within 60 seconds"
  // (ChangeResourceRecordSets); typically INSYNC after about 30 s.
  route53InSync: 30_000,
  // A service just created can be missing from DescribeServices for a few seconds (failures: MISSING):
  // Terraform retries for it (hashicorp/terraform-provider-aws#3387, #24565), as do ecs_deploy users
  // (reproio/ecs_deploy#60).
  serviceVisible: 5_000,
  // "changes that you make in IAM ... can take time to become visible ... we recommend that you do not
  // include such IAM changes in the critical, high-availability code paths" (IAM eventual consistency,
  // https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_general.html#troubleshoot_general_eventual-consistency);
  // a role is typically usable after about 10 s. Until then ECS cannot assume it for a task.
  iamPropagation: 10_000,
};

export type { Refusal } from './refusals';

export interface ViolationRecord {
  at: string;
  operation: string;
  /** `model:<kind>` for the API model's constraints, else the rule's name. */
  rule: string;
  message: string;
}

export interface ConformanceStats {
  checked: number;
  violations: number;
  byRule: Record<string, number>;
  /** The latest violations (at most 50), oldest first. */
  recent: ViolationRecord[];
  throttled: Record<string, number>;
  /**
   * Services created (or updated) with a revision whose role was still propagating: AWS accepts the call,
   * but the tasks fail to start ("ECS was unable to assume the role"), and each failure counts towards the
   * deployment circuit breaker. Not a refusal, so counted apart; a test run fails on any all the same.
   */
  failedTaskLaunches: number;
  /** The latest of them (at most 50), oldest first. */
  recentFailedTaskLaunches: ViolationRecord[];
  /**
   * Refusals of a retry whose first answer a dropped connection lost after AWS did the work (a `drop`
   * fault): AWS refuses the repeat (DeleteService of a service the first call deleted is not ACTIVE), and
   * the caller must take that in its stride. AWS's answer to a retry, not the caller's mistake: counted
   * apart from violations.
   */
  retriesRefused: number;
}

export interface ConformanceCall {
  service: ModelService | undefined;
  /** "CreateService" */
  action: string;
  /** "ECS.CreateService" */
  operation: string;
  protocol: 'json' | 'query' | 'rest-xml';
  method: string;
  url: string;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  /** REST: the URI's labels (Route 53's zone or change id). */
  labels: Record<string, string>;
}

/** What the rules read of the account, straight from moto (neither counted nor throttled). */
interface Account extends AutoScalingAccount {
  route53: Route53Client;
  iam: IAMClient;
  ecrImages: EcrImages;
}

const modelErrorCodes: Record<ModelService, string> = {
  // JSON protocols answer a constraint failure as ValidationException (ECS's and CloudWatch's models
  // declare no code of their own for it); query protocols as ValidationError; Route 53 as InvalidInput
  // (its model's error for "The input is not valid").
  ECS: 'ValidationException',
  // ECR (JSON 1.1) answers a constraint failure as InvalidParameterException ("Invalid parameter at
  // 'repositoryName' failed to satisfy constraint: ...", as users quote it: aws-samples/aws-msk-content-streaming#3,
  // puemos/aws-lambda-ecr-cleaner#3); its model declares it on every operation.
  ECR: 'InvalidParameterException',
  CloudWatch: 'ValidationError',
  ELBv2: 'ValidationError',
  IAM: 'ValidationError',
  Route53: 'InvalidInput',
  // Application Auto Scaling (JSON 1.1) declares ValidationException for "An exception was thrown for a
  // validation issue" (its model's errors).
  ApplicationAutoScaling: 'ValidationException',
  // CodeDeploy (JSON 1.1) declares no ValidationException; InvalidInputException is its model's answer to
  // "The input was specified in an invalid format".
  CodeDeploy: 'InvalidInputException',
};

export class Conformance {
  private readonly limits = new RateLimits();
  private readonly autoScaling: AutoScalingRules;
  private readonly listenerRules: ListenerRules;
  private readonly iamRoles: IamRoleRules;
  private readonly secretReads: SecretReads;
  private readonly stats: ConformanceStats = {
    checked: 0,
    violations: 0,
    byRule: {},
    recent: [],
    throttled: this.limits.throttled,
    failedTaskLaunches: 0,
    recentFailedTaskLaunches: [],
    retriesRefused: 0,
  };
  /** Calls (operation and body) whose answer was lost after AWS did the work: a repeat is a retry. */
  private readonly lostAnswers = new Set<string>();
  /** cluster/service → when its deletion began. */
  private readonly draining = new Map<string, number>();
  /** IAM role ARN → when it was created. */
  private readonly roles = new Map<string, number>();
  /** task definition ARN → the roles its tasks are started with. */
  private readonly taskRoles = new Map<string, string[]>();
  /** cluster/service → when it was created, and with which clientToken. */
  private readonly created = new Map<string, { at: number; clientToken?: string }>();
  /** cluster/service → what CreateService set that moto does not keep, and DescribeServices shows. */
  private readonly forgotten = new Map<string, Json>();
  /** Route 53 change id → when it was made. */
  private readonly changes = new Map<string, number>();

  constructor(
    readonly options: ConformanceOptions,
    private readonly models: Record<ModelService, ServiceModel>,
    private readonly account: Account,
  ) {
    if (!(options.timeScale > 0))
      throw new Error(`the conformance layer's time scale must be above zero (got ${options.timeScale})`);
    this.autoScaling = new AutoScalingRules(account);
    this.listenerRules = new ListenerRules(account.elbv2);
    this.iamRoles = new IamRoleRules(account.iam);
    this.secretReads = new SecretReads(account);
  }

  report(): ConformanceStats {
    return {
      ...this.stats,
      byRule: { ...this.stats.byRule },
      recent: [...this.stats.recent],
      throttled: { ...this.stats.throttled },
      recentFailedTaskLaunches: [...this.stats.recentFailedTaskLaunches],
    };
  }

  /** What reset clears: the account's state as the rules know it. Violations stay. */
  reset(): void {
    this.limits.reset();
    this.draining.clear();
    this.roles.clear();
    this.taskRoles.clear();
    this.created.clear();
    this.forgotten.clear();
    this.changes.clear();
    this.lostAnswers.clear();
  }

  /** The call was done but its answer never arrived (a dropped connection): its repeat is a retry. */
  answerLost(call: ConformanceCall): void {
    this.lostAnswers.add(`${call.operation}\n${call.body}`);
  }

  delay(ms: number): number {
    return ms * this.options.timeScale;
  }

  /** The refusal AWS would answer this call with, if any. */
  async refuse(call: ConformanceCall): Promise<Refusal | undefined> {
    if (!this.options.enabled || !call.service) return undefined;
    this.stats.checked += 1;
    if (this.options.throttling && this.limits.take(call.operation)) {
      return {
        status: 400,
        code: call.protocol === 'json' ? 'ThrottlingException' : 'Throttling',
        queryCode: 'Throttling',
        message: 'Rate exceeded',
        fault: 'Sender',
      };
    }
    const model = this.models[call.service];
    if (!model.has(call.action))
      return this.violation(call, 'model:unknown', {
        status: 400,
        code: 'InvalidAction',
        message: `The action ${call.action} is not valid for this web service.`,
        fault: 'Sender',
      });
    const found = this.modelViolations(model, call);
    if (found.length) {
      const message = `${found.length} validation error${found.length > 1 ? 's' : ''} detected: ${found.map((v) => v.message).join('; ')}`;
      return this.violation(call, `model:${found[0].kind}`, {
        status: 400,
        code: modelErrorCodes[call.service],
        message,
        fault: 'Sender',
      });
    }
    const broken = await this.ruleViolation(call);
    // The first repeat of a call whose answer was lost is its retry (the SDK's, or the activity's).
    const retry = this.lostAnswers.delete(`${call.operation}\n${call.body}`);
    if (broken && retry) {
      this.stats.retriesRefused += 1;
      return broken.refusal;
    }
    return broken && this.violation(call, broken.rule, broken.refusal);
  }

  /** After AWS (moto) did the work: what the rules must remember, and the response as AWS would give it. */
  async answered(call: ConformanceCall, response: string): Promise<string> {
    if (!this.options.enabled) return response;
    if (call.service === 'ApplicationAutoScaling')
      return this.autoScaling.answered(call.action, JSON.parse(call.body) as Json, response);
    if (call.service === 'ELBv2') response = this.listenerRules.answered(call.action, response);
    const now = Date.now();
    switch (call.operation) {
      case 'IAM.CreateRole': {
        // Propagation runs from the creation IAM reports (CreateDate), which is what a caller can wait on.
        const arn = /<Arn>([^<]+)<\/Arn>/.exec(response)?.[1];
        const created = Date.parse(/<CreateDate>([^<]+)<\/CreateDate>/.exec(response)?.[1] ?? '');
        if (arn) this.roles.set(arn, Number.isNaN(created) ? now : created);
        return response;
      }
      case 'ECS.RegisterTaskDefinition': {
        const def = (
          JSON.parse(response) as {
            taskDefinition?: { taskDefinitionArn?: string; taskRoleArn?: string; executionRoleArn?: string };
          }
        ).taskDefinition;
        if (def?.taskDefinitionArn)
          this.taskRoles.set(
            def.taskDefinitionArn,
            [def.taskRoleArn, def.executionRoleArn].filter((r): r is string => Boolean(r)),
          );
        return response;
      }
      case 'ECS.DeleteService': {
        const req = JSON.parse(call.body) as { cluster?: string; service?: string };
        this.draining.set(serviceKey(req.cluster, req.service), now);
        await this.autoScaling.serviceDeleted(req.cluster, req.service);
        const out = JSON.parse(response) as { service?: Json };
        if (out.service) out.service.status = 'DRAINING';
        return JSON.stringify(out);
      }
      case 'ECS.CreateService': {
        // moto keeps neither the grace period, the capacity provider strategy, placement, execute command
        // nor the deployment configuration (./ecs-service-fields.ts), and says launchType EC2 for a service
        // on capacity providers; AWS shows them all and no launch type.
        const req = JSON.parse(call.body) as Json;
        await this.launchedWith(call, String(req.taskDefinition), now);
        this.created.set(serviceKey(req.cluster as string | undefined, req.serviceName as string | undefined), {
          at: now,
          clientToken: req.clientToken as string | undefined,
        });
        const kept = keptOnCreate(req);
        this.forgotten.set(serviceKey(req.cluster as string | undefined, req.serviceName as string | undefined), kept);
        const out = JSON.parse(response) as { service?: Json };
        if (out.service) asAwsShowsIt(out.service, kept);
        return JSON.stringify(out);
      }
      case 'ECS.UpdateService': {
        const req = JSON.parse(call.body) as Json;
        if (req.taskDefinition !== undefined) await this.launchedWith(call, String(req.taskDefinition), now);
        const key = serviceKey(req.cluster as string | undefined, req.service as string | undefined);
        const kept = keptOnUpdate(this.forgotten.get(key) ?? {}, req);
        this.forgotten.set(key, kept);
        const out = JSON.parse(response) as { service?: Json };
        if (out.service) asAwsShowsIt(out.service, kept);
        return JSON.stringify(out);
      }
      case 'ECS.DescribeServices': {
        const req = JSON.parse(call.body) as { cluster?: string };
        const out = JSON.parse(response) as { services?: Json[]; failures?: Json[] };
        for (const s of out.services ?? []) {
          if (this.isDraining(req.cluster, String(s.serviceName), now)) s.status = 'DRAINING';
          asAwsShowsIt(s, this.forgotten.get(serviceKey(req.cluster, String(s.serviceName))) ?? {});
        }
        const unseen = (out.services ?? []).filter(
          (s) =>
            s.status === 'ACTIVE' &&
            now - (this.created.get(serviceKey(req.cluster, String(s.serviceName)))?.at ?? 0) <
              this.delay(awsDelaysMs.serviceVisible),
        );
        out.services = (out.services ?? []).filter((s) => !unseen.includes(s));
        out.failures = [...(out.failures ?? []), ...unseen.map((s) => ({ arn: s.serviceArn, reason: 'MISSING' }))];
        return JSON.stringify(out);
      }
      case 'Route53.ChangeResourceRecordSets': {
        const id = /<Id>([^<]+)<\/Id>/.exec(response)?.[1];
        if (id) this.changes.set(id.split('/').pop()!, now);
        return response.replace(/<Status>INSYNC<\/Status>/, '<Status>PENDING</Status>');
      }
      case 'Route53.GetChange': {
        const made = this.changes.get(call.labels.Id?.split('/').pop() ?? '');
        if (made !== undefined && now - made < this.delay(awsDelaysMs.route53InSync))
          return response.replace(/<Status>INSYNC<\/Status>/, '<Status>PENDING</Status>');
        return response;
      }
      default:
        return response;
    }
  }

  /**
   * Until when ECS cannot start this revision's tasks because a role it names is still propagating
   * (0: it can). Its tasks fail to start ("ECS was unable to assume the role"), and ECS keeps trying.
   */
  rolesPropagatingUntil(taskDefinitionArn: string): number {
    if (!this.options.enabled) return 0;
    const created = (this.taskRoles.get(taskDefinitionArn) ?? []).map((r) => this.roles.get(r) ?? 0);
    return Math.max(0, ...created.map((at) => at + this.delay(awsDelaysMs.iamPropagation)));
  }

  /** The role of the revision still propagating, if any (for the service event ECS writes). */
  propagatingRole(taskDefinitionArn: string, now: number): string | undefined {
    return (this.taskRoles.get(taskDefinitionArn) ?? []).find(
      (r) => now < (this.roles.get(r) ?? 0) + this.delay(awsDelaysMs.iamPropagation),
    );
  }

  /**
   * The request as moto should get it, where moto refuses what AWS accepts (and what AWS does first
   * so that moto accepts it: a priority swap's rules moved out of the way). moto's
   * ModifyTargetGroupAttributes refuses a deregistration delay of 3600 s (it checks `range(0, 3600)`),
   * which AWS documents as allowed ("The range is 0-3600 seconds"): moto gets 3599.
   */
  async bridged(call: ConformanceCall): Promise<string> {
    // PutImage with the digest ECR computes (./ecr-images.ts).
    if (call.service === 'ECR') return this.account.ecrImages.bridged(call.action, call.body);
    // A swap of rule priorities in one call, which moto refuses (./listener-rules.ts).
    if (call.operation === 'ELBv2.SetRulePriorities')
      await this.listenerRules.bridge(call.action, new URLSearchParams(call.body));
    if (call.operation !== 'ELBv2.ModifyTargetGroupAttributes') return call.body;
    const params = new URLSearchParams(call.body);
    let changed = false;
    for (const [key, value] of [...params]) {
      if (value !== 'deregistration_delay.timeout_seconds' || !key.endsWith('.Key')) continue;
      const valueKey = key.replace(/\.Key$/, '.Value');
      if (params.get(valueKey) !== '3600') continue;
      params.set(valueKey, '3599');
      changed = true;
    }
    return changed ? params.toString() : call.body;
  }

  private isDraining(cluster: string | undefined, service: string, now: number): boolean {
    const since = this.draining.get(serviceKey(cluster, service));
    return since !== undefined && now - since < this.delay(awsDelaysMs.serviceDraining);
  }

  private modelViolations(model: ServiceModel, call: ConformanceCall): ModelViolation[] {
    if (call.protocol === 'json') return model.checkJson(call.action, call.body);
    if (call.protocol === 'query') return model.checkQuery(call.action, call.body);
    const url = new URL(call.url, 'http://aws');
    return model.checkRestXml(call.action, call.labels, url.searchParams, call.headers, call.body);
  }

  /**
   * Tasks about to start with this revision: they fail while one of its roles is still propagating, and
   * when its execution role may not read the secrets it references (./secret-reads.ts).
   */
  private async launchedWith(call: ConformanceCall, taskDefinitionArn: string, now: number): Promise<void> {
    const role = this.propagatingRole(taskDefinitionArn, now);
    if (role) {
      const age = now - (this.roles.get(role) ?? now);
      const message = `tasks of ${taskDefinitionArn} started ${Math.round(age)} ms after IAM created ${role}, before it propagated (${this.delay(awsDelaysMs.iamPropagation)} ms here): ECS was unable to assume the role`;
      this.failedLaunch(call, 'iam:propagation', message, now);
    }
    const unreadable = await this.secretReads.unreadable(taskDefinitionArn).catch(() => undefined);
    if (unreadable) this.failedLaunch(call, 'ecs-execution-role-reads-secrets', unreadable, now);
  }

  private failedLaunch(call: ConformanceCall, rule: string, message: string, now: number): void {
    this.stats.failedTaskLaunches += 1;
    this.stats.recentFailedTaskLaunches = [
      ...this.stats.recentFailedTaskLaunches.slice(-49),
      { at: new Date(now).toISOString(), operation: call.operation, rule, message },
    ];
  }

  private violation(call: ConformanceCall, rule: string, refusal: Refusal): Refusal {
    const record = { at: new Date().toISOString(), operation: call.operation, rule, message: refusal.message };
    this.stats.violations += 1;
    this.stats.byRule[rule] = (this.stats.byRule[rule] ?? 0) + 1;
    this.stats.recent = [...this.stats.recent.slice(-49), record];
    return refusal;
  }

  private async ruleViolation(call: ConformanceCall): Promise<{ rule: string; refusal: Refusal } | undefined> {
    if (call.service === 'ApplicationAutoScaling')
      return this.autoScaling.refuse(call.action, JSON.parse(call.body) as Json);
    if (call.service === 'ECR')
      return this.account.ecrImages.refuse(call.action, JSON.parse(call.body) as Json, signedRegion(call.headers));
    switch (call.operation) {
      case 'ECS.RegisterTaskDefinition':
        return fargateTaskDefinition(JSON.parse(call.body) as Json);
      case 'ECS.CreateService':
        return this.createService(JSON.parse(call.body) as Json);
      case 'ECS.UpdateService':
        return this.updateService(JSON.parse(call.body) as Json);
      case 'ECS.DeleteService': {
        const req = JSON.parse(call.body) as { cluster?: string; service?: string };
        // DeleteService: a service already DRAINING is not ACTIVE.
        if (this.isDraining(req.cluster, String(req.service), Date.now()))
          return {
            rule: 'ecs-service-not-active',
            refusal: refused('ServiceNotActiveException', 'Service was not ACTIVE.'),
          };
        return undefined;
      }
      case 'ELBv2.CreateRule':
      case 'ELBv2.ModifyRule':
      case 'ELBv2.CreateListener':
      case 'ELBv2.ModifyListener': {
        const params = new URLSearchParams(call.body);
        return (await this.listenerRules.refuse(call.action, params)) ?? this.listenerRule(call.action, params);
      }
      case 'IAM.CreateRole':
      case 'IAM.PutRolePermissionsBoundary':
        return this.iamRoles.refuse(call.action, new URLSearchParams(call.body));
      case 'ELBv2.SetRulePriorities':
        return this.listenerRules.refuse(call.action, new URLSearchParams(call.body));
      case 'Route53.ChangeResourceRecordSets':
        return this.cnameConflict(call.labels.Id ?? '', call.body);
      case 'ELBv2.ModifyTargetGroupAttributes': {
        // "deregistration_delay.timeout_seconds ... The range is 0-3600 seconds." (TargetGroupAttribute)
        const params = new URLSearchParams(call.body);
        for (const [key, value] of params) {
          if (value !== 'deregistration_delay.timeout_seconds' || !key.endsWith('.Key')) continue;
          const seconds = params.get(key.replace(/\.Key$/, '.Value')) ?? '';
          if (!/^\d+$/.test(seconds) || Number(seconds) > 3600) {
            return {
              rule: 'elbv2-deregistration-delay',
              refusal: refused(
                'ValidationError',
                `'deregistration_delay.timeout_seconds' value '${seconds}' must be between '0-3600' inclusive`,
              ),
            };
          }
        }
        return undefined;
      }
      case 'ELBv2.DescribeTags': {
        // "You can specify up to 20 resources in a single call." (DescribeTags, ResourceArns)
        const arns = [...new URLSearchParams(call.body).keys()].filter((k) =>
          /^ResourceArns\.member\.\d+$/.test(k),
        ).length;
        if (arns > 20)
          return {
            rule: 'elbv2-describe-tags-20',
            refusal: refused(
              'ValidationError',
              `You can specify up to 20 resources in a single call; ${arns} were given.`,
            ),
          };
        return undefined;
      }
      default:
        return undefined;
    }
  }

  /**
   * A CreateService repeated with the clientToken of the ACTIVE service it created is the same request:
   * AWS answers with that service and creates nothing (moto would replace it). The answer, or undefined.
   * https://docs.aws.amazon.com/AmazonECS/latest/APIReference/ECS_Idempotency.html
   */
  async idempotentAnswer(call: ConformanceCall): Promise<string | undefined> {
    if (!this.options.enabled || call.operation !== 'ECS.CreateService') return undefined;
    const req = JSON.parse(call.body) as Json;
    const key = serviceKey(req.cluster as string | undefined, req.serviceName as string | undefined);
    const made = this.created.get(key);
    if (!made || made.clientToken === undefined || made.clientToken !== req.clientToken) return undefined;
    const service = await this.activeService(req);
    if (!service) return undefined;
    asAwsShowsIt(service, this.forgotten.get(key) ?? {});
    return JSON.stringify({ service });
  }

  private async activeService(req: Json): Promise<Json | undefined> {
    const out = await this.account.ecs
      .send(
        new DescribeServicesCommand({
          cluster: req.cluster as string | undefined,
          services: [String(req.serviceName)],
        }),
      )
      .catch(() => undefined);
    const service = out?.services?.find((s) => s.status === 'ACTIVE');
    return service && (asWire(service) as Json);
  }

  private async createService(req: Json): Promise<{ rule: string; refusal: Refusal } | undefined> {
    // "Up to 36 ASCII characters in the range of 33-126 (inclusive) are allowed." (CreateService, clientToken)
    // https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_CreateService.html
    const token = req.clientToken;
    if (typeof token === 'string' && (token.length > 36 || /[^\x21-\x7e]/.test(token))) {
      return {
        rule: 'ecs-client-token',
        refusal: refused(
          'InvalidParameterException',
          `clientToken: up to 36 ASCII characters in the range of 33-126 are allowed; got ${token.length}.`,
        ),
      };
    }
    // "If you attempt to create a new service with the same name as an existing service in either ACTIVE
    // or DRAINING status, you receive an error." (DeleteService)
    if (this.isDraining(req.cluster as string | undefined, String(req.serviceName), Date.now())) {
      return {
        rule: 'ecs-service-draining',
        refusal: refused('InvalidParameterException', 'Unable to Start a service that is still Draining.'),
      };
    }
    // The same name while ACTIVE, without the token that created it (idempotentAnswer takes that case).
    const made = this.created.get(serviceKey(req.cluster as string | undefined, req.serviceName as string | undefined));
    const repeated = made?.clientToken !== undefined && made.clientToken === req.clientToken;
    if (!repeated && (await this.activeService(req)))
      return {
        rule: 'ecs-service-exists',
        refusal: refused('InvalidParameterException', 'Creation of service was not idempotent.'),
      };
    // "healthCheckGracePeriodSeconds: ... only used when your service is configured to use a load balancer."
    if (req.healthCheckGracePeriodSeconds !== undefined && !(req.loadBalancers as unknown[] | undefined)?.length) {
      return {
        rule: 'ecs-grace-period-needs-load-balancer',
        refusal: refused(
          'InvalidParameterException',
          'Health check grace period is only valid for services configured to use load balancers',
        ),
      };
    }
    return (
      (await this.capacityProviders(req)) ??
      serviceFieldRules(req, runsOnFargate(req.launchType, req.capacityProviderStrategy)) ??
      this.serviceNetworking(req, String(req.taskDefinition ?? ''))
    );
  }

  /**
   * "If a capacityProviderStrategy is specified, the launchType parameter must be omitted"; every provider of
   * the strategy must be associated with the cluster (PutClusterCapacityProviders). CreateService:
   * https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_CreateService.html
   */
  private async capacityProviders(req: Json): Promise<{ rule: string; refusal: Refusal } | undefined> {
    const strategy = (req.capacityProviderStrategy as { capacityProvider?: string }[] | undefined) ?? [];
    if (!strategy.length) return undefined;
    if (req.launchType !== undefined) {
      return {
        rule: 'ecs-launch-type-or-capacity-providers',
        refusal: refused(
          'InvalidParameterException',
          'Specifying both a launch type and capacity provider strategy is not supported. Remove one and try again.',
        ),
      };
    }
    const cluster = (
      await this.account.ecs
        .send(new DescribeClustersCommand({ clusters: [String(req.cluster ?? 'default')] }))
        .catch(() => undefined)
    )?.clusters?.[0];
    const associated = cluster?.capacityProviders ?? [];
    if (strategy.some((p) => !associated.includes(String(p.capacityProvider)))) {
      return {
        rule: 'ecs-capacity-provider-associated',
        refusal: refused(
          'InvalidParameterException',
          'The specified capacity provider strategy cannot contain a capacity provider that is not associated with the cluster. Associate the capacity provider with the cluster or specify a valid capacity provider and try again.',
        ),
      };
    }
    return undefined;
  }

  private async updateService(req: Json): Promise<{ rule: string; refusal: Refusal } | undefined> {
    if (
      ['placementConstraints', 'placementStrategy', 'serviceRegistries', 'deploymentConfiguration'].some(
        (k) => k in req,
      )
    ) {
      // The service's launch type and controller are its own unless the update changes them.
      const key = serviceKey(req.cluster as string | undefined, req.service as string | undefined);
      const existing = await this.account.ecs
        .send(
          new DescribeServicesCommand({ cluster: req.cluster as string | undefined, services: [String(req.service)] }),
        )
        .then((o) => o.services?.[0])
        .catch(() => undefined);
      const strategy = req.capacityProviderStrategy ?? this.forgotten.get(key)?.capacityProviderStrategy;
      const onFargate = runsOnFargate(strategy ? undefined : existing?.launchType, strategy);
      const broken = serviceFieldRules({ deploymentController: existing?.deploymentController, ...req }, onFargate);
      if (broken) return broken;
    }
    if (!Array.isArray(req.loadBalancers) || typeof req.taskDefinition !== 'string') return undefined;
    return this.serviceNetworking(req, req.taskDefinition);
  }

  /** A service's launch type, network configuration and target groups against its task definition. */
  private async serviceNetworking(
    req: Json,
    taskDefinition: string,
  ): Promise<{ rule: string; refusal: Refusal } | undefined> {
    const def = taskDefinition
      ? (await this.account.ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition })).catch(() => undefined))
          ?.taskDefinition
      : undefined;
    const networkMode = def?.networkMode ?? 'bridge';
    // A task definition without FARGATE in its requiresCompatibilities cannot run on Fargate.
    // https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task_definition_parameters.html#requires_compatibilities
    const strategy = (req.capacityProviderStrategy as { capacityProvider?: string }[] | undefined) ?? [];
    const onFargate =
      req.launchType === 'FARGATE' ||
      (strategy.length > 0 && strategy.every((p) => fargateProviders.includes(String(p.capacityProvider))));
    if (def && onFargate && !(def.requiresCompatibilities ?? []).includes('FARGATE')) {
      return {
        rule: 'ecs-launch-type',
        refusal: refused('InvalidParameterException', 'Task definition does not support launch_type FARGATE.'),
      };
    }
    // "assignPublicIp: Whether the task's elastic network interface receives a public IP address" is for
    // Fargate; EC2 tasks in awsvpc mode get none (AwsVpcConfiguration).
    const publicIp = ((req.networkConfiguration as Json | undefined)?.awsvpcConfiguration as Json | undefined)
      ?.assignPublicIp;
    if (!onFargate && publicIp === 'ENABLED')
      return {
        rule: 'ecs-assign-public-ip',
        refusal: refused('InvalidParameterException', 'Assign public IP is not supported for this launch type.'),
      };
    // "This parameter is required for task definitions that use the awsvpc network mode to receive their own
    // elastic network interface" (CreateService, networkConfiguration).
    if (def && networkMode === 'awsvpc' && !(req.networkConfiguration as Json | undefined)?.awsvpcConfiguration) {
      return {
        rule: 'ecs-awsvpc-network-configuration',
        refusal: refused(
          'InvalidParameterException',
          "Network Configuration must be provided when networkMode 'awsvpc' is specified.",
        ),
      };
    }
    for (const lb of (req.loadBalancers as Json[] | undefined) ?? []) {
      const arn = lb.targetGroupArn;
      if (typeof arn !== 'string') continue;
      const group = (
        await this.account.elbv2
          .send(new DescribeTargetGroupsCommand({ TargetGroupArns: [arn] }))
          .catch(() => undefined)
      )?.TargetGroups?.[0];
      if (!group)
        return {
          rule: 'ecs-target-group-exists',
          refusal: refused('InvalidParameterException', `Unable to find target group ${arn}.`),
        };
      // The target group must already be associated with a load balancer through a listener or rule:
      // the error Terraform, CloudFormation and CDK users meet (hashicorp/terraform#12634, aws-cdk#1160).
      // https://docs.aws.amazon.com/AmazonECS/latest/developerguide/alb.html
      if (!(await this.isAttached(arn))) {
        return {
          rule: 'ecs-target-group-attached',
          refusal: refused(
            'InvalidParameterException',
            `The target group with targetGroupArn ${arn} does not have an associated load balancer.`,
          ),
        };
      }
      // "when you create any target groups for these services, you must choose ip as the target type, not
      // instance" for awsvpc (CreateService, loadBalancers); bridge and host tasks register as instances.
      const targetType = group.TargetType ?? 'instance';
      const wanted = networkMode === 'awsvpc' ? 'ip' : 'instance';
      if (def && targetType !== wanted) {
        return {
          rule: 'ecs-target-type',
          refusal: refused(
            'InvalidParameterException',
            `The provided target group ${arn} has target type ${targetType}, which is incompatible with the ${networkMode} network mode specified in the task definition.`,
          ),
        };
      }
    }
    return undefined;
  }

  /** Whether any listener or rule of any load balancer forwards to the target group (weight 0 counts). */
  private async isAttached(targetGroupArn: string): Promise<boolean> {
    const { elbv2 } = this.account;
    const balancers = [];
    let marker: string | undefined;
    do {
      const page = await elbv2.send(new DescribeLoadBalancersCommand({ Marker: marker }));
      balancers.push(...(page.LoadBalancers ?? []));
      marker = page.NextMarker;
    } while (marker);
    for (const lb of balancers) {
      for (const listener of (await elbv2.send(new DescribeListenersCommand({ LoadBalancerArn: lb.LoadBalancerArn })))
        .Listeners ?? []) {
        if (forwardsTo(listener.DefaultActions, targetGroupArn)) return true;
        for (const rule of await this.rulesOf(listener.ListenerArn!)) {
          if (forwardsTo(rule.Actions, targetGroupArn)) return true;
        }
      }
    }
    return false;
  }

  /**
   * A CNAME cannot share its name with any other record set (RFC 1034 §3.6.2, as Route 53 enforces it:
   * https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/ResourceRecordTypes.html#CNAMEFormat). The
   * batch is applied in order to the record sets each name has now; a replacement must delete the
   * CNAME in the same batch. (Error texts as Route 53 returns them, from Terraform and boto3 reports.)
   */
  private async cnameConflict(zoneId: string, body: string): Promise<{ rule: string; refusal: Refusal } | undefined> {
    const changes = findAll(parseXml(body), 'Change').map((c) => {
      const set = findAll(c, 'ResourceRecordSet')[0];
      const field = (name: string) => findAll(set, name)[0]?.text.trim() ?? '';
      return {
        action: findAll(c, 'Action')[0]?.text.trim(),
        name: absolute(field('Name')),
        type: field('Type'),
        setId: field('SetIdentifier'),
      };
    });
    const names = [...new Set(changes.map((c) => c.name))];
    const zone =
      zoneId &&
      (await this.account.route53.send(new GetHostedZoneCommand({ Id: zoneId })).catch(() => undefined))?.HostedZone
        ?.Name;
    for (const name of names) {
      const listed = await this.account.route53
        .send(new ListResourceRecordSetsCommand({ HostedZoneId: zoneId, StartRecordName: name, MaxItems: 100 }))
        .catch(() => undefined);
      const sets = new Map(
        (listed?.ResourceRecordSets ?? [])
          .filter((r) => absolute(r.Name ?? '') === name)
          .map((r) => [`${r.Type}/${r.SetIdentifier ?? ''}`, r.Type ?? '']),
      );
      for (const change of changes.filter((c) => c.name === name)) {
        const key = `${change.type}/${change.setId}`;
        if (change.action === 'DELETE') {
          sets.delete(key);
          continue;
        }
        const others = [...sets.entries()].filter(([k]) => k !== key).map(([, type]) => type);
        if (change.type === 'CNAME' && others.length) {
          return {
            rule: 'route53-cname-conflict',
            refusal: refused(
              'InvalidChangeBatch',
              `RRSet of type CNAME with DNS name ${name} is not permitted as it conflicts with other records with the same DNS name in zone ${zone}`,
            ),
          };
        }
        if (change.type !== 'CNAME' && others.includes('CNAME')) {
          return {
            rule: 'route53-cname-conflict',
            refusal: refused(
              'InvalidChangeBatch',
              `RRSet of type ${change.type} with DNS name ${name} is not permitted because a conflicting RRSet of type  CNAME with the same DNS name already exists in zone ${zone}`,
            ),
          };
        }
        sets.set(key, change.type);
      }
    }
    return undefined;
  }

  /** ALB quotas and the forward action's limits. https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-limits.html */
  private async listenerRule(
    action: string,
    params: URLSearchParams,
  ): Promise<{ rule: string; refusal: Refusal } | undefined> {
    const prefix = action.endsWith('Listener') ? 'DefaultActions' : 'Actions';
    const forwarded = new Set<string>();
    for (let i = 1; params.has(`${prefix}.member.${i}.Type`); i++) {
      const base = `${prefix}.member.${i}`;
      const groups: string[] = [];
      for (let j = 1; params.has(`${base}.ForwardConfig.TargetGroups.member.${j}.TargetGroupArn`); j++) {
        groups.push(params.get(`${base}.ForwardConfig.TargetGroups.member.${j}.TargetGroupArn`)!);
        // "The weight. The range is 0 to 999." (TargetGroupTuple)
        const weight = params.get(`${base}.ForwardConfig.TargetGroups.member.${j}.Weight`);
        if (weight !== null && (Number(weight) < 0 || Number(weight) > 999)) {
          return {
            rule: 'elbv2-forward-weight',
            refusal: refused('ValidationError', `Target group weight ${weight} is not valid: the range is 0 to 999.`),
          };
        }
      }
      // Target groups per action: 5.
      if (groups.length > 5)
        return {
          rule: 'elbv2-target-groups-per-action',
          refusal: refused(
            'ValidationError',
            `A forward action can have at most 5 target groups; ${groups.length} were given.`,
          ),
        };
      const single = params.get(`${base}.TargetGroupArn`);
      for (const g of single ? [...groups, single] : groups) forwarded.add(g);
    }
    // Condition values per rule: 5.
    const values = [...params.keys()].filter((k) =>
      /^Conditions\.member\.\d+\.(Values|\w+Config\.Values)\.member\.\d+$/.test(k),
    ).length;
    if (values > 5)
      return {
        rule: 'elbv2-condition-values',
        refusal: refused('ValidationError', `A rule can have at most 5 condition values; ${values} were given.`),
      };

    const lbArn = await this.loadBalancerOf(action, params);
    if (!lbArn) return undefined;
    const { elbv2 } = this.account;
    const listeners = (await elbv2.send(new DescribeListenersCommand({ LoadBalancerArn: lbArn }))).Listeners ?? [];
    let rules = 0;
    const unique = new Set<string>(forwarded);
    const changed = params.get('RuleArn') ?? params.get('ListenerArn');
    for (const listener of listeners) {
      if (!(action === 'ModifyListener' && listener.ListenerArn === changed))
        for (const g of groupsOf(listener.DefaultActions)) unique.add(g);
      for (const rule of await this.rulesOf(listener.ListenerArn!)) {
        if (!rule.IsDefault) rules += 1;
        if (rule.RuleArn !== changed) for (const g of groupsOf(rule.Actions)) unique.add(g);
      }
    }
    // Rules per Application Load Balancer (excluding default rules): 100.
    if (action === 'CreateRule' && rules >= 100)
      return {
        rule: 'elbv2-rules-per-load-balancer',
        refusal: refused('TooManyRules', "You've reached the limit on the number of rules per load balancer."),
      };
    // Target groups per Application Load Balancer: 100 (a group used by several actions counts once).
    if (unique.size > 100) {
      return {
        rule: 'elbv2-target-groups-per-load-balancer',
        refusal: refused(
          'TooManyUniqueTargetGroupsPerLoadBalancer',
          "You've reached the limit on the number of unique target groups per load balancer across all listeners.",
        ),
      };
    }
    return undefined;
  }

  /** Every rule of a listener, page by page. */
  private async rulesOf(listenerArn: string): Promise<Rule[]> {
    const rules: Rule[] = [];
    let marker: string | undefined;
    do {
      const page = await this.account.elbv2.send(
        new DescribeRulesCommand({ ListenerArn: listenerArn, Marker: marker }),
      );
      rules.push(...(page.Rules ?? []));
      marker = page.NextMarker;
    } while (marker);
    return rules;
  }

  private async loadBalancerOf(action: string, params: URLSearchParams): Promise<string | undefined> {
    const { elbv2 } = this.account;
    if (action === 'CreateListener') return params.get('LoadBalancerArn') ?? undefined;
    const listenerArn =
      action === 'ModifyRule'
        ? params
            .get('RuleArn')
            ?.replace(':listener-rule/', ':listener/')
            .replace(/\/[^/]+$/, '')
        : params.get('ListenerArn');
    if (!listenerArn) return undefined;
    const listener = (
      await elbv2.send(new DescribeListenersCommand({ ListenerArns: [listenerArn] })).catch(() => undefined)
    )?.Listeners?.[0];
    return listener?.LoadBalancerArn;
  }

  /** The target group's health check settings, for how long its targets stay `initial`. */
  async healthCheckOf(
    targetGroupArn: string,
  ): Promise<{ intervalSeconds: number; healthyThreshold: number; deregistrationDelaySeconds: number } | undefined> {
    const { elbv2 } = this.account;
    const group = (
      await elbv2.send(new DescribeTargetGroupsCommand({ TargetGroupArns: [targetGroupArn] })).catch(() => undefined)
    )?.TargetGroups?.[0];
    if (!group) return undefined;
    const attributes =
      (
        await elbv2
          .send(new DescribeTargetGroupAttributesCommand({ TargetGroupArn: targetGroupArn }))
          .catch(() => undefined)
      )?.Attributes ?? [];
    const delay = Number(attributes.find((a) => a.Key === 'deregistration_delay.timeout_seconds')?.Value ?? 300);
    return {
      intervalSeconds: group.HealthCheckIntervalSeconds ?? 30,
      healthyThreshold: group.HealthyThresholdCount ?? 5,
      deregistrationDelaySeconds: delay,
    };
  }
}

/**
 * Fargate task definitions: awsvpc, and task-level cpu and memory in a supported combination.
 * https://docs.aws.amazon.com/AmazonECS/latest/developerguide/fargate-tasks-services.html#fargate-tasks-size
 * (the error texts are the ones the API returns, as Terraform and ECS CLI users quote them).
 */
function fargateTaskDefinition(req: Json): { rule: string; refusal: Refusal } | undefined {
  if (!((req.requiresCompatibilities as string[] | undefined) ?? []).includes('FARGATE')) return undefined;
  if (req.networkMode !== 'awsvpc')
    return {
      rule: 'ecs-fargate-network-mode',
      refusal: refused('ClientException', 'Fargate only supports network mode ‘awsvpc’.'),
    };
  if (!fargateMemoryFor(Number(req.cpu)).includes(Number(req.memory)))
    return {
      rule: 'ecs-fargate-size',
      refusal: refused('ClientException', 'No Fargate configuration exists for given values.'),
    };
  return undefined;
}

/** On Fargate: its launch type, or a strategy of Fargate's providers only. */
function runsOnFargate(launchType: unknown, strategy: unknown): boolean {
  const providers = (strategy as { capacityProvider?: string }[] | undefined) ?? [];
  return (
    launchType === 'FARGATE' ||
    (providers.length > 0 && providers.every((p) => fargateProviders.includes(String(p.capacityProvider))))
  );
}

/** A described service with what moto forgot (see answered, ECS.CreateService). */
function asAwsShowsIt(service: Json, kept: Json): void {
  Object.assign(service, kept);
  if (kept.capacityProviderStrategy) delete service.launchType;
}

/** An SDK-parsed value as the JSON protocol sends it: timestamps as epoch seconds. */
function asWire(value: unknown): unknown {
  if (value instanceof Date) return value.getTime() / 1000;
  if (Array.isArray(value)) return value.map(asWire);
  if (value && typeof value === 'object')
    return Object.fromEntries(
      Object.entries(value)
        .filter(([, v]) => v !== undefined)
        .map(([k, v]) => [k, asWire(v)]),
    );
  return value;
}

function findAll(element: XmlElement | undefined, name: string): XmlElement[] {
  if (!element) return [];
  return element.children.flatMap((child) => (child.name === name ? [child] : findAll(child, name)));
}

function absolute(name: string): string {
  const lower = name.toLowerCase();
  return lower.endsWith('.') ? lower : `${lower}.`;
}

function groupsOf(actions: Action[] | undefined): string[] {
  return (actions ?? [])
    .flatMap((a) => [a.TargetGroupArn, ...(a.ForwardConfig?.TargetGroups ?? []).map((t) => t.TargetGroupArn)])
    .filter((g): g is string => Boolean(g));
}

function forwardsTo(actions: Action[] | undefined, targetGroupArn: string): boolean {
  return groupsOf(actions).includes(targetGroupArn);
}

/** The region a call is signed for (SigV4's credential scope: `Credential=<key>/<date>/<region>/<service>/aws4_request`). */
function signedRegion(headers: ConformanceCall['headers']): string | undefined {
  const auth = headers.authorization;
  return /Credential=[^/]+\/\d{8}\/([^/]+)\//.exec(typeof auth === 'string' ? auth : '')?.[1];
}

function serviceKey(cluster: string | undefined, service: string | undefined): string {
  return `${(cluster ?? 'default').split('/').pop()}/${String(service).split('/').pop()}`;
}
