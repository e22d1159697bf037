// An in-memory AWS account behind the same activity names the worker registers, for workflow tests on
// the time-skipping server: records every side effect in order, keeps enough state for the workflow to
// read production back, and injects failures (once, always, or after doing the work: a crash-style retry).
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { Activities } from '../../src/activities';
import { createAnalysisActivities } from '../../src/activities/analysis';
import type { HostRule, WeightedTarget } from '../../src/activities/elbv2';
import type { RecordSnapshot } from '../../src/shared/records';
import { tagKeys, type Tag } from '../../src/shared/naming';

type Fault = { mode: 'once' | 'always' | 'after-work'; remaining: number };

export class FakeAws {
  readonly calls: string[] = [];
  readonly rules = new Map<string, HostRule>();
  readonly targetGroups = new Map<string, { arn: string; tags: Record<string, string> }>();
  readonly services = new Map<string, { status: string; taskDefinition: string }>();
  readonly taskDefinitions = new Map<string, { status: string; deploymentId: string }>();
  /** Names aliased to the load balancer. */
  readonly records = new Set<string>();
  /** Records at a name that point elsewhere (a production host someone else serves). */
  readonly foreignRecords = new Map<string, RecordSnapshot[]>();
  private changeCounter = 0;
  /** When each role was created, on the test server's clock (which skips ahead with the workflow's timers). */
  readonly roleCreatedAt = new Map<string, number>();
  /** role → deployment id → the secrets its inline policy lets the role read. */
  readonly secretReads = new Map<string, Map<string, string[]>>();
  /** As AWS: a role is not usable by ECS until it has propagated. */
  rolePropagationMs = 10_000;
  /** Services started while a role had not propagated yet (on AWS their tasks fail to start). */
  readonly startedBeforeRolesPropagated: string[] = [];
  steady = true;
  /** CloudWatch alarm states by name (absent: the alarm does not exist). */
  readonly alarms = new Map<string, string>();
  /** Unhealthy targets by target group name (absent: all healthy). */
  readonly unhealthy = new Map<string, number>();
  /** Called after each rule change, e.g. to fire an alarm when the canary reaches a weight. */
  onRuleChange?: (host: string, targets: WeightedTarget[]) => void;
  /** Awaited inside findHostRule before it reads (e.g. to send a signal while that activity runs). */
  beforeFindHostRule?: (host: string) => Promise<void>;
  /** Called before each analysis round reads the state above. */
  onAnalysis?: () => void;
  analysisRounds = 0;
  /** While set, waitForServiceSteady waits for it (a deployment held in its staging phase). */
  holdStaging?: Promise<void>;
  private faults = new Map<string, Fault>();
  private ruleCounter = 0;
  private revision = 0;

  fail(activity: keyof Activities, mode: Fault['mode'] = 'always'): this {
    this.faults.set(activity, { mode, remaining: mode === 'always' ? Infinity : 1 });
    return this;
  }

  /** Side effects only (creates, changes, deletes), in order. */
  get sideEffects(): string[] {
    return this.calls.filter((c) => !/^(find|describe|record|wait|runAnalysis)/.test(c));
  }

  private async run<T>(name: keyof Activities, label: string, work: () => T): Promise<T> {
    const fault = this.faults.get(name);
    if (fault && fault.remaining > 0 && fault.mode !== 'after-work') {
      fault.remaining -= 1;
      throw ApplicationFailure.create({
        message: `${label}: injected fault`,
        type: 'InjectedFault',
        nonRetryable: fault.mode === 'always',
      });
    }
    this.calls.push(label);
    const result = work();
    if (fault && fault.remaining > 0 && fault.mode === 'after-work') {
      fault.remaining -= 1;
      throw ApplicationFailure.create({ message: `${label}: crashed after the work`, type: 'InjectedCrash' });
    }
    return result;
  }

  private tagMap(tags: Tag[]): Record<string, string> {
    return Object.fromEntries(tags.map((t) => [t.key, t.value]));
  }

  activities(): Activities {
    const lb = {
      name: 'edge',
      arn: 'arn:lb/edge',
      dnsName: 'edge-1.elb.test',
      canonicalHostedZoneId: 'ZLB',
      vpcId: 'vpc-1',
      subnetIds: ['subnet-1'],
      securityGroupIds: ['sg-1'],
      listenerPorts: [80],
    };
    const checkers = {
      cloudwatch: {
        describeAlarmStates: async ({ alarmNames: names }: { alarmNames: string[] }) =>
          Object.fromEntries(names.filter((n) => this.alarms.has(n)).map((n) => [n, this.alarms.get(n)!])),
      },
      elbv2: {
        countTargetHealth: async ({ targetGroupArn: arn }: { targetGroupArn: string }) => {
          const unhealthy = this.unhealthy.get(arn.split('/')[1]) ?? 0;
          return { healthy: 2 - Math.min(unhealthy, 2), unhealthy, other: 0, unused: 0 };
        },
      },
      http: { probeHttp: async () => ({ status: 200, latencyMs: 5 }) },
    } as unknown as Parameters<typeof createAnalysisActivities>[0];
    const analysis = createAnalysisActivities(checkers);
    const fakes: Partial<Activities> = {
      describeAlarmStates: async (input) =>
        this.run('describeAlarmStates', 'describeAlarmStates', () => checkers.cloudwatch.describeAlarmStates(input)),
      runAnalysis: async (input) => {
        this.analysisRounds += 1;
        this.onAnalysis?.();
        return this.run('runAnalysis', 'runAnalysis', () => analysis.runAnalysis(input));
      },
      findCluster: async ({ cluster: name }) =>
        this.run('findCluster', `findCluster ${name}`, () => ({
          name,
          arn: `arn:cluster/${name}`,
          status: 'ACTIVE',
          capacityProviders: ['FARGATE', 'FARGATE_SPOT'],
        })),
      findLoadBalancer: async ({ loadBalancer: name }) =>
        this.run('findLoadBalancer', `findLoadBalancer ${name}`, () => lb),
      findHostedZone: async ({ name }) =>
        this.run('findHostedZone', `findHostedZone ${name}`, () => ({
          id: 'ZONE',
          name: `${name}.`,
          privateZone: false,
        })),
      ensureListener: async () => this.run('ensureListener', 'findListener 80', () => 'arn:listener/80'),
      findHostRule: async ({ host }) => {
        await this.beforeFindHostRule?.(host);
        return this.run('findHostRule', `findHostRule ${host}`, () => this.rules.get(host));
      },
      // The fake's rules have the host as their only condition: one that names the host is its rule.
      describeRulesForHost: async ({ host }) =>
        this.run('describeRulesForHost', `describeRulesForHost ${host}`, () =>
          this.rules.has(host) ? [`priority 1: host-header ${host}`] : [],
        ),
      describeTargetGroupTags: async ({ targetGroupArns: arns }) =>
        this.run('describeTargetGroupTags', 'describeTargetGroupTags', () =>
          Object.fromEntries(
            [...this.targetGroups.values()].filter((tg) => arns.includes(tg.arn)).map((tg) => [tg.arn, tg.tags]),
          ),
        ),
      findService: async ({ name }) =>
        this.run('findService', `findService ${name}`, () => {
          const s = this.services.get(name);
          return s && s.status === 'ACTIVE'
            ? {
                name,
                arn: `arn:service/${name}`,
                status: s.status,
                taskDefinition: s.taskDefinition,
                desiredCount: 2,
                runningCount: 2,
              }
            : undefined;
        }),
      ensureTaskRole: async ({ name }) =>
        this.run('ensureTaskRole', `ensureTaskRole ${name}`, () => `arn:role/${name}`),
      ensureRole: async ({ name }) =>
        this.run('ensureRole', `ensureRole ${name}`, () => {
          if (!this.roleCreatedAt.has(name)) this.roleCreatedAt.set(name, serverNow());
          return { arn: `arn:role/${name}`, createdAt: this.roleCreatedAt.get(name)!, readAt: serverNow() };
        }),
      grantSecretReads: async ({ role, deploymentId, valueFroms }) =>
        this.run('grantSecretReads', `grantSecretReads ${role} ${deploymentId}`, () => {
          if (!this.secretReads.has(role)) this.secretReads.set(role, new Map());
          this.secretReads.get(role)!.set(deploymentId, valueFroms);
        }),
      revokeSecretReads: async (input) =>
        this.run(
          'revokeSecretReads',
          `revokeSecretReads ${input.role} ${'keep' in input ? `keep ${input.keep}` : input.deploymentId}`,
          () => {
            const reads = this.secretReads.get(input.role);
            for (const id of [...(reads?.keys() ?? [])])
              if ('keep' in input ? id !== input.keep : id === input.deploymentId) reads!.delete(id);
          },
        ),
      registerTaskDefinition: async (input) =>
        this.run('registerTaskDefinition', `registerTaskDefinition ${input.family} ${input.image}`, () => {
          const mine = [...this.taskDefinitions].find(
            ([, t]) => t.deploymentId === input.deploymentId && t.status === 'ACTIVE',
          );
          if (mine) return mine[0];
          const arn = `arn:task-definition/${input.family}:${++this.revision}`;
          this.taskDefinitions.set(arn, { status: 'ACTIVE', deploymentId: input.deploymentId });
          return arn;
        }),
      deregisterTaskDefinition: async (input) =>
        this.run(
          'deregisterTaskDefinition',
          `deregisterTaskDefinition ${'arn' in input ? input.arn : input.deploymentId}`,
          () => {
            for (const [arn, t] of this.taskDefinitions) {
              if ('arn' in input ? arn === input.arn : t.deploymentId === input.deploymentId) t.status = 'INACTIVE';
            }
          },
        ),
      createTargetGroup: async (input) =>
        this.run('createTargetGroup', `createTargetGroup ${input.name}`, () => {
          const existing = this.targetGroups.get(input.name);
          if (existing) return existing.arn;
          const arn = `arn:targetgroup/${input.name}`;
          this.targetGroups.set(input.name, { arn, tags: this.tagMap(input.tags) });
          return arn;
        }),
      deleteTargetGroup: async (input) =>
        this.run(
          'deleteTargetGroup',
          `deleteTargetGroup ${'arn' in input ? input.arn.split('/')[1] : input.name}`,
          () => {
            const name = 'arn' in input ? input.arn.split('/')[1] : input.name;
            const tg = this.targetGroups.get(name);
            if (tg && [...this.rules.values()].some((r) => r.targets.some((t) => t.targetGroupArn === tg.arn))) {
              throw ApplicationFailure.create({
                message: `target group ${name} is in use by a rule`,
                type: 'ResourceInUseException',
              });
            }
            this.targetGroups.delete(name);
          },
        ),
      createService: async (input) =>
        this.run('createService', `createService ${input.name}`, () => {
          // As ECS: the target group must already be attached to the load balancer by a rule (or listener).
          if (![...this.rules.values()].some((r) => r.targets.some((t) => t.targetGroupArn === input.targetGroupArn))) {
            throw ApplicationFailure.nonRetryable(
              `The target group with targetGroupArn ${input.targetGroupArn} does not have an associated load balancer.`,
              'InvalidParameterException',
            );
          }
          this.services.set(input.name, { status: 'ACTIVE', taskDefinition: input.taskDefinitionArn });
          // The roles here are those of the one service the fake deploys.
          if ([...this.roleCreatedAt.values()].some((at) => serverNow() < at + this.rolePropagationMs))
            this.startedBeforeRolesPropagated.push(input.name);
          return `arn:service/${input.name}`;
        }),
      deleteService: async ({ name }) =>
        this.run('deleteService', `deleteService ${name}`, () => {
          const s = this.services.get(name);
          if (s) s.status = 'INACTIVE';
        }),
      putHostRule: async (input) =>
        this.run('putHostRule', `putHostRule ${input.host} ${this.describeTargets(input.targets)}`, () => {
          const rule = this.rules.get(input.host) ?? {
            ruleArn: `arn:rule/${++this.ruleCounter}`,
            priority: this.ruleCounter,
            host: input.host,
            targets: [],
          };
          this.rules.set(input.host, rule);
          return this.pointRule(rule, input.targets);
        }),
      setRuleTargets: async (input) => {
        const rule = [...this.rules.values()].find((r) => r.ruleArn === input.ruleArn);
        return this.run(
          'setRuleTargets',
          `setRuleTargets ${rule?.host ?? input.ruleArn} ${this.describeTargets(input.targets)}`,
          () => {
            // As the real activity says it: asking again will not bring the rule back.
            if (!rule) throw ApplicationFailure.nonRetryable(`rule ${input.ruleArn} no longer exists`, 'RuleNotFound');
            return this.pointRule(rule, input.targets);
          },
        );
      },
      deleteHostRule: async ({ host }) =>
        this.run('deleteHostRule', `deleteHostRule ${host}`, () => void this.rules.delete(host)),
      upsertAliasRecord: async ({ name }) =>
        this.run('upsertAliasRecord', `upsertAliasRecord ${name}`, () => {
          this.records.add(name);
          return `change-${++this.changeCounter}`;
        }),
      recordsAt: async ({ name }) =>
        this.run('recordsAt', `recordsAt ${name}`, (): RecordSnapshot[] => [
          ...(this.foreignRecords.get(name) ?? []),
          ...(this.records.has(name)
            ? [
                {
                  Name: `${name}.`,
                  Type: 'A',
                  AliasTarget: {
                    DNSName: `${lb.dnsName}.`,
                    HostedZoneId: lb.canonicalHostedZoneId,
                    EvaluateTargetHealth: false,
                  },
                },
              ]
            : []),
        ]),
      replaceWithAlias: async ({ name, replacing }) =>
        this.run('replaceWithAlias', `replaceWithAlias ${name} ${replacing.map((r) => r.Type).join(',')}`, () => {
          this.foreignRecords.delete(name);
          this.records.add(name);
          return `change-${++this.changeCounter}`;
        }),
      restoreRecords: async ({ name, records }) =>
        this.run('restoreRecords', `restoreRecords ${name} ${records.map((r) => r.Type).join(',')}`, () => {
          this.records.delete(name);
          this.foreignRecords.set(name, records);
        }),
      waitForDnsChange: async ({ changeId }) =>
        this.run('waitForDnsChange', `waitForDnsChange ${changeId}`, () => undefined),
      deleteRecord: async ({ name }) =>
        this.run('deleteRecord', `deleteRecord ${name}`, () => void this.records.delete(name)),
      recordExists: async ({ name }) => this.run('recordExists', `recordExists ${name}`, () => this.records.has(name)),
      waitForServiceSteady: async (input) =>
        (this.holdStaging ?? Promise.resolve()).then(() =>
          this.run('waitForServiceSteady', `waitForServiceSteady ${input.name}`, () => {
            if (!this.steady)
              throw ApplicationFailure.nonRetryable(
                `gave up waiting for ECS service ${input.name} to be steady at the deadline: running 0 of ${input.desiredCount}`,
                'DeadlineExceeded',
              );
            return {
              name: input.name,
              arn: `arn:service/${input.name}`,
              status: 'ACTIVE',
              taskDefinition: '',
              desiredCount: input.desiredCount,
              runningCount: input.desiredCount,
            };
          }),
        ),
      waitForTargetsHealthy: async (input) =>
        this.run('waitForTargetsHealthy', 'waitForTargetsHealthy', () => ({ healthy: input.minHealthy })),
    };
    return fakes as Activities;
  }

  /** The rule's forward action changed, as the workflow reads it back. */
  private pointRule(rule: HostRule, targets: WeightedTarget[]): HostRule {
    rule.targets = targets.map((t) => ({ ...t }));
    this.onRuleChange?.(rule.host, rule.targets);
    return { ...rule, targets: rule.targets.map((t) => ({ ...t })) };
  }

  private describeTargets(targets: WeightedTarget[]): string {
    return targets.map((t) => `${t.targetGroupArn.split('/')[1]}=${t.weight}`).join(',');
  }

  /** The deployment production forwards to now (by the target group's tag). */
  liveDeployment(host: string): string | undefined {
    const arn = this.rules.get(host)?.targets.find((t) => t.weight > 0)?.targetGroupArn;
    return [...this.targetGroups.values()].find((tg) => tg.arn === arn)?.tags[tagKeys.deployment];
  }
}

/** The test server's time as the running activity was scheduled (it skips ahead with timers; Date.now() does not). */
function serverNow(): number {
  return Context.current().info.currentAttemptScheduledTimestampMs;
}
