// Blue/green deployment of one ECS service, top to bottom: stage a complete new copy, wait for the tests
// and approval gates, shift production to it by the traffic plan (weights read back, bakes with analysis
// gates), bake at 100%, drain, tear down the previous copy. Every side effect pushes its
// (idempotent, name-based) undo *before* it runs, so a rollback, a failure or a cancellation at any point
// restores production first and then removes what was staged.
import { allHandlersFinished, ApplicationFailure, CancellationScope, condition, isCancellation, patched, setHandler, sleep } from '@temporalio/workflow';
import type { HostRule, LoadBalancerSummary, WeightedTarget } from '../activities/elbv2';
import type { DeploymentInput, DeploymentResult, NetworkSpec, PreviousDeployment } from '../shared/deployment';
import { aliasesTo, describeRecords, type RecordSnapshot } from '../shared/records';
import { formatDuration } from '../shared/duration';
import { launchOf } from '../shared/launch';
import { deploymentTags, resourceNames, tagKeys } from '../shared/naming';
import { alarmsOf, bakeIntervals, hasChecks, percentOn, splitTraffic, type Bake, type PlanStep, type TrafficPlan } from '../shared/traffic';
import { analysis, aws, describeFailure, executionRolePolicy, rollbackBecause, productionRule, undo, waitOptions } from './common/activities';
import { CompensationStack } from './common/compensation';
import { endAsInvalidInput, prerequisiteFailure } from './common/invalid-input';
import { TaskRoles } from './common/roles';
import { sideBySide } from './common/side-by-side';
import { DeploymentTracker } from './common/tracker';
import {
  approveSignal,
  pauseSignal,
  promoteSignal,
  resumeSignal,
  rollbackSignal,
  statusQuery,
  testsFailedSignal,
  testsPassedSignal,
} from './messages';

/**
 * Patch: production's rule is written by its ARN in local activities (weight changes and the restore),
 * and independent clean-up steps run side by side. Histories from before it replay the old path.
 */
const localTrafficPath = 'local-traffic-path';

/** Patch: staging steps that do not need each other run side by side. */
const stagingSideBySide = 'staging-side-by-side';

/** Patch: a bake counts the intervals its timers complete instead of subtracting clock readings. */
const bakeCountsIntervals = 'bake-counts-intervals';

/**
 * Patch: the stage rule (and record) come before the service. ECS refuses a service whose target group
 * no listener or rule forwards to yet ("does not have an associated load balancer").
 */
const attachBeforeService = 'attach-before-service';

/** Patch: the stage host's record must be INSYNC (every Route 53 name server has it) before the tests gate. */
const stageDnsInSync = 'stage-dns-insync';

/**
 * Patch: the production record is read before anything is created. One that points elsewhere is refused,
 * or replaced only when the spec says so (hosts.overwriteProductionRecord) and put back on rollback.
 */
const productionRecordKept = 'production-record-kept';

/** Specs from before traffic plans: everything at once, no bake. */
const allAtOnce: TrafficPlan = {
  name: 'allAtOnce',
  steps: [{ kind: 'setWeight', percent: 100 }],
  finalBake: { durationMs: 0, intervalMs: 30_000, failureLimit: 0, checks: { alarms: [] } },
};

export async function blueGreenDeployment(input: DeploymentInput): Promise<DeploymentResult> {
  const { spec, deploymentId } = input;
  const names = resourceNames(spec, deploymentId);
  const tags = deploymentTags(spec, deploymentId);
  const tracker = new DeploymentTracker(input);
  const status = tracker.status;
  const undos = new CompensationStack();
  const roles = new TaskRoles(tracker, spec.iamPropagationMs);
  const pollIntervalMs = input.pollIntervalMs ?? 5_000;
  let testsVerdict: 'passed' | 'failed' | undefined;
  let approved = false;
  let rollbackReason: string | undefined;
  let rollbackRequestedAt: number | undefined;
  const plan = spec.traffic ?? allAtOnce;
  const main = new CancellationScope();
  /** The production host's records as found before staging (since production-record-kept). */
  let productionRecords: RecordSnapshot[] | undefined;

  setHandler(statusQuery, () => status);
  setHandler(testsPassedSignal, (msg) => {
    if (tracker.phase !== 'awaiting_tests') return tracker.ignored('tests passed', `the deployment is ${tracker.phase}`);
    testsVerdict = 'passed';
    status.testsReportedBy = msg?.by;
  });
  setHandler(testsFailedSignal, (msg) => {
    if (tracker.phase !== 'awaiting_tests') return tracker.ignored('tests failed', `the deployment is ${tracker.phase}`);
    testsVerdict = 'failed';
    status.testsReportedBy = msg?.by;
    status.reason = `tests failed${msg?.by ? ` (reported by ${msg.by})` : ''}${msg?.reason ? `: ${msg.reason}` : ''}`;
  });
  setHandler(approveSignal, (msg) => {
    if (tracker.phase !== 'awaiting_approval') return tracker.ignored('approval', `the deployment is ${tracker.phase}`);
    approved = true;
    status.approvedBy = msg?.by ?? 'unknown';
    tracker.note(`approved by ${status.approvedBy}`);
  });
  setHandler(rollbackSignal, (msg) => {
    const rollbackable = ['staging', 'awaiting_tests', 'awaiting_approval', 'activating', 'baking', 'draining'];
    if (!rollbackable.includes(tracker.phase)) return tracker.ignored('rollback', `the deployment is ${tracker.phase}`);
    if (rollbackReason) return;
    rollbackRequestedAt = Date.now();
    status.rollbackRequestedBy = msg?.by ?? 'unknown';
    rollbackReason = `rollback requested by ${status.rollbackRequestedBy}${msg?.reason ? `: ${msg.reason}` : ''}`;
    tracker.note(rollbackReason);
    main.cancel();
  });

  setHandler(pauseSignal, (msg) => {
    const traffic = status.traffic;
    if (!traffic || !['activating', 'baking'].includes(tracker.phase)) return tracker.ignored('pause', `the deployment is ${tracker.phase}`);
    if (traffic.paused) return tracker.ignored('pause', 'already paused');
    traffic.paused = true;
    tracker.note(`paused at ${traffic.percent}% by ${msg?.by ?? 'unknown'}${msg?.reason ? `: ${msg.reason}` : ''}`);
  });
  setHandler(resumeSignal, (msg) => {
    const traffic = status.traffic;
    if (!traffic?.paused) return tracker.ignored('resume', 'the deployment is not paused');
    traffic.paused = false;
    tracker.note(`resumed at ${traffic.percent}% by ${msg?.by ?? 'unknown'}`);
  });
  setHandler(promoteSignal, (msg) => {
    const traffic = status.traffic;
    if (!traffic || !['activating', 'baking'].includes(tracker.phase)) return tracker.ignored('promote', `the deployment is ${tracker.phase}`);
    if (traffic.promoted) return tracker.ignored('promote', 'already promoted');
    traffic.promoted = true;
    traffic.paused = false;
    tracker.note(`promoted by ${msg?.by ?? 'unknown'}: ${tracker.phase === 'baking' ? 'ending the bake at 100%' : 'skipping the remaining steps and the bake, to 100%'}`);
  });

  // ---- stage, gates, activate and drain: all undone by a rollback -------------------------------------
  try {
    await main.run(async () => {
      tracker.enter('staging', `staging ${spec.image} for ${spec.service}/${spec.environment}`);
      const { lb, zoneId } = await checkPrerequisites();
      await stage(lb, zoneId);
      await testsGate();
      await approvalGate();
      await activate(lb, zoneId);
      await bakeAtFull();
      await drain();
    });
    // A rollback accepted while the last step was finishing (its activity completes despite the cancel)
    // is still a rollback: production has not been touched by teardown yet.
    if (rollbackReason) throw rollbackBecause(rollbackReason);
  } catch (err) {
    return await rollBack(err);
  }

  // ---- teardown of the previous deployment: past the point of no return ------------------------------
  tracker.enter('tearing_down', status.previous ? `tearing down ${status.previous.deploymentId}` : 'first deployment: nothing to tear down');
  await teardownPrevious();
  tracker.enter('active', `${deploymentId} is live on ${spec.hosts.production}`);
  await condition(allHandlersFinished);
  return { deploymentId, phase: 'active', leftovers: [] };

  // ---- the phases ------------------------------------------------------------------------------------

  /** What must exist before anything is created: the cluster, the load balancer and the hosted zone. */
  async function checkPrerequisites(): Promise<{ lb: LoadBalancerSummary; zoneId: string }> {
    const [cluster, found, zone] = await Promise.all([
      aws.findCluster(spec.cluster),
      aws.findLoadBalancer(spec.loadBalancer.name),
      aws.findHostedZone(spec.hostedZone),
    ]);
    const unassociated = cluster ? (spec.capacityProviderStrategy ?? []).filter((p) => !(cluster.capacityProviders ?? []).includes(p.capacityProvider)) : [];
    const missing = [
      cluster?.status !== 'ACTIVE' && `ECS cluster ${spec.cluster}`,
      ...unassociated.map((p) => `capacity provider ${p.capacityProvider} associated with cluster ${spec.cluster}`),
      !found && `load balancer ${spec.loadBalancer.name}`,
      !zone && `hosted zone ${spec.hostedZone}`,
    ].filter((m): m is string => Boolean(m));
    const alarms = alarmsOf(plan);
    if (alarms.length) {
      const states = await aws.describeAlarmStates(alarms);
      missing.push(...alarms.filter((name) => !(name in states)).map((name) => `CloudWatch alarm ${name}`));
    }
    if (missing.length || !found || !zone) throw ApplicationFailure.nonRetryable(`not found: ${missing.join(', ')}`, 'Prerequisite');
    if (patched(productionRecordKept)) await readProductionRecord(zone.id, found);
    status.resources.loadBalancerArn = found.arn;
    status.resources.listenerArn = await aws.ensureListener({ loadBalancerArn: found.arn, port: spec.loadBalancer.listenerPort });
    status.previous = await findLiveDeployment(status.resources.listenerArn);
    tracker.note(status.previous ? `live now: ${status.previous.deploymentId}` : 'no deployment is live yet');
    return { lb: found, zoneId: zone.id };
  }

  /** The production host's records now; those pointing elsewhere are replaced only if the spec says so. */
  async function readProductionRecord(zoneId: string, lb: LoadBalancerSummary): Promise<void> {
    productionRecords = await aws.recordsAt({ zoneId, name: spec.hosts.production });
    const elsewhere = productionRecords.filter((r) => !aliasesTo(r, lb.dnsName));
    if (elsewhere.length && !spec.hosts.overwriteProductionRecord) {
      throw ApplicationFailure.nonRetryable(
        `${spec.hosts.production} points elsewhere (${describeRecords(elsewhere)}); refusing to replace it: ` +
          'set hosts.overwriteProductionRecord: true to replace it (a rollback puts it back)',
        'Prerequisite',
      );
    }
  }

  /** What production forwards to now, read from AWS: the rule's target group and its Switchyard tags. */
  async function findLiveDeployment(listenerArn: string): Promise<PreviousDeployment | undefined> {
    const rule = await aws.findHostRule({ listenerArn, host: spec.hosts.production });
    const live = rule?.targets.filter((t) => t.weight > 0) ?? [];
    if (!rule || live.length === 0) return undefined;
    status.resources.productionRuleArn = rule.ruleArn;
    const allTags = await aws.describeTargetGroupTags(live.map((t) => t.targetGroupArn));
    const ours = Object.entries(allTags).find(([, t]) => t[tagKeys.service] === spec.service && t[tagKeys.environment] === spec.environment);
    const foreign = Object.values(allTags).find((t) => t[tagKeys.service]);
    if (!ours && foreign) {
      // Another Switchyard service serves this host: taking it over would cut that service's production.
      throw ApplicationFailure.nonRetryable(
        `${spec.hosts.production} is served by ${foreign[tagKeys.service]}/${foreign[tagKeys.environment]} (deployment ${foreign[tagKeys.deployment]}); ` +
          'refusing to take it over: choose another hosts.production',
        'Prerequisite',
      );
    }
    const [targetGroupArn, groupTags] = ours ?? [live[0].targetGroupArn, {}];
    const previousId = groupTags[tagKeys.deployment];
    if (!previousId) return { deploymentId: 'unmanaged', targetGroupArn };
    const serviceName = resourceNames(spec, previousId).ecsService;
    const service = await aws.findService({ cluster: spec.cluster, name: serviceName });
    return { deploymentId: previousId, targetGroupArn, serviceName, taskDefinitionArn: service?.taskDefinition };
  }

  async function stage(lb: LoadBalancerSummary, zoneId: string): Promise<void> {
    // Steps that do not need each other run side by side (one workflow task, not two), since the patch.
    const parallel = patched(stagingSideBySide);
    const together = async <A, B>(a: () => Promise<A>, b: () => Promise<B>): Promise<[A, B]> =>
      parallel ? sideBySide(a(), b()) : [await a(), await b()];

    const registerRevision = async (): Promise<string> => {
      const [taskRoleArn, executionRoleArn] = await Promise.all([
        roles.ensure({ name: names.taskRole, managedPolicies: [], tags }),
        roles.ensure({ name: names.executionRole, managedPolicies: [executionRolePolicy], tags }),
      ]);
      undos.push('task definition', () => undo.deregisterTaskDefinition({ family: names.family, deploymentId }));
      status.resources.taskDefinitionArn = await aws.registerTaskDefinition({
        family: names.family, taskDefinition: spec.taskDefinition, containerName: spec.container.name, image: spec.image,
        taskRoleArn, executionRoleArn, tags, deploymentId,
      });
      tracker.note(`registered ${status.resources.taskDefinitionArn}`);
      return status.resources.taskDefinitionArn;
    };
    const launch = launchOf(spec.taskDefinition, spec.capacityProviderStrategy);
    const createTargetGroup = async () => {
      undos.push('target group', () => undo.deleteTargetGroup({ name: names.targetGroup }));
      return aws.createTargetGroup({
        name: names.targetGroup, vpcId: lb.vpcId, port: spec.container.port, targetType: launch.targetType, healthCheck: spec.healthCheck,
        deregistrationDelaySeconds: deregistrationDelaySeconds(spec.drainMs), tags,
      });
    };
    const [taskDefinitionArn, targetGroupArn] = await together(registerRevision, createTargetGroup);
    status.resources.targetGroupArn = targetGroupArn;

    const createService = async () => {
      await roles.propagated();
      undos.push('service', () => undo.deleteService({ cluster: spec.cluster, name: names.ecsService }));
      const network: NetworkSpec = spec.network ?? { subnets: lb.subnetIds, securityGroups: lb.securityGroupIds, assignPublicIp: false };
      await aws.createService({
        cluster: spec.cluster, name: names.ecsService, taskDefinitionArn, targetGroupArn,
        containerName: spec.container.name, containerPort: spec.container.port, desiredCount: spec.desiredCount, network, launch, tags,
        healthCheckGracePeriodSeconds: spec.healthCheckGracePeriodMs === undefined ? undefined : Math.round(spec.healthCheckGracePeriodMs / 1000),
      });
      status.resources.serviceName = names.ecsService;
      tracker.note(`created service ${names.ecsService} behind target group ${names.targetGroup}`);
    };

    const listenerArn = status.resources.listenerArn!;
    const stageRule = async () => {
      undos.push('stage rule', () => undo.deleteHostRule({ listenerArn, host: spec.hosts.stage }));
      status.resources.stageRuleArn = (await aws.putHostRule({ listenerArn, host: spec.hosts.stage, targets: [{ targetGroupArn, weight: 100 }], tags })).ruleArn;
    };
    let stageChange: string | undefined;
    const stageRecord = async () => {
      undos.push('stage DNS record', () => undo.deleteRecord({ zoneId, name: spec.hosts.stage }));
      stageChange = await aws.upsertAliasRecord({ zoneId, name: spec.hosts.stage, targetDnsName: lb.dnsName, targetZoneId: lb.canonicalHostedZoneId });
    };
    // Undone in reverse: the service goes before the rule that attaches its target group, the rule
    // before the target group (which cannot be deleted while a rule forwards to it).
    if (patched(attachBeforeService)) {
      await together(stageRule, stageRecord);
      tracker.note(`stage host ${spec.hosts.stage} routes to the new target group`);
      await createService();
    } else {
      await createService();
      await together(stageRule, stageRecord);
      tracker.note(`stage host ${spec.hosts.stage} routes to the new target group`);
    }

    tracker.enter('staging', 'waiting for the new service to be steady and its targets healthy', 'the new tasks to run and pass health checks');
    const deadline = Date.now() + spec.timeouts.steadyMs;
    await aws.waitForServiceSteady.executeWithOptions(
      waitOptions(spec.timeouts.steadyMs, `wait for ${names.ecsService}: ${spec.desiredCount} running`),
      [{ cluster: spec.cluster, name: names.ecsService, desiredCount: spec.desiredCount, deadline, intervalMs: pollIntervalMs }],
    );
    await aws.waitForTargetsHealthy.executeWithOptions(
      waitOptions(spec.timeouts.steadyMs, `wait for ${spec.desiredCount} healthy targets in ${names.targetGroup}`),
      [{ targetGroupArn, minHealthy: spec.desiredCount, deadline, intervalMs: pollIntervalMs }],
    );
    tracker.note(`service steady with ${spec.desiredCount} healthy targets`);
    // CI resolves the stage host next: not before every Route 53 name server has the record. (An upsert
    // recorded before the activity returned its change id has none to wait for.)
    if (stageChange && patched(stageDnsInSync)) {
      await aws.waitForDnsChange.executeWithOptions(waitOptions(spec.timeouts.steadyMs, `wait for ${spec.hosts.stage} to be INSYNC`), [
        { changeId: stageChange, deadline: Date.now() + spec.timeouts.steadyMs, intervalMs: pollIntervalMs },
      ]);
      tracker.note(`${spec.hosts.stage} is in sync on every Route 53 name server`);
    }
  }

  async function testsGate(): Promise<void> {
    tracker.enter('awaiting_tests', `ready for tests on ${spec.hosts.stage}`, `tests passed / tests failed (timeout ${formatDuration(spec.timeouts.testsMs)})`);
    const answered = await condition(() => testsVerdict !== undefined, spec.timeouts.testsMs);
    if (!answered) throw rollbackBecause(`no test result within ${formatDuration(spec.timeouts.testsMs)}`);
    if (testsVerdict === 'failed') throw rollbackBecause(status.reason ?? 'tests failed');
    tracker.note(`tests passed${status.testsReportedBy ? ` (reported by ${status.testsReportedBy})` : ''}`);
  }

  async function approvalGate(): Promise<void> {
    if (!spec.approval.required) return;
    const timeout = formatDuration(spec.approval.timeoutMs);
    tracker.enter('awaiting_approval', 'waiting for approval', `approve or rollback (timeout ${timeout}, then ${spec.approval.onTimeout})`);
    if (await condition(() => approved, spec.approval.timeoutMs)) return;
    if (spec.approval.onTimeout === 'rollback') throw rollbackBecause(`not approved within ${timeout}`);
    tracker.note(`not approved within ${timeout}: continuing, as the spec says`);
  }

  /** Shifts production to the new deployment by the plan, each weight read back before its bake. */
  async function activate(lb: LoadBalancerSummary, zoneId: string): Promise<void> {
    const previous = status.previous;
    // A first deployment has nothing to share traffic with: all of it goes to the new one at once.
    const steps: PlanStep[] = previous ? plan.steps : [{ kind: 'setWeight', percent: 100 }];
    status.traffic = { plan: plan.name, step: 0, steps: steps.length, percent: 0, paused: false, promoted: false, failedAnalyses: [] };
    const traffic = status.traffic;
    tracker.enter('activating', `switching ${spec.hosts.production} to ${deploymentId}${previous ? ` (${plan.name}, ${steps.length} step(s))` : ''}`);
    const listenerArn = status.resources.listenerArn!;
    const pointProductionRecord = productionRecords ? keepProductionRecord(lb, zoneId, previous !== undefined) : undefined;
    if (previous) {
      undos.push('production traffic', () => restoreProduction(listenerArn, previous.targetGroupArn));
    } else {
      if (!productionRecords && !(await aws.recordExists({ zoneId, name: spec.hosts.production }))) {
        undos.push('production DNS record', () => undo.deleteRecord({ zoneId, name: spec.hosts.production }));
      }
      undos.push('production rule', () => undo.deleteHostRule({ listenerArn, host: spec.hosts.production }));
    }
    const alias = { zoneId, name: spec.hosts.production, targetDnsName: lb.dnsName, targetZoneId: lb.canonicalHostedZoneId };

    let dnsPointed = false;
    for (const [index, step] of steps.entries()) {
      traffic.step = index;
      await holdWhilePaused();
      if (traffic.promoted) break;
      if (step.kind === 'setWeight') {
        await setWeight(step.percent);
        if (!dnsPointed) {
          await (pointProductionRecord ? pointProductionRecord() : aws.upsertAliasRecord(alias));
          dnsPointed = true;
        }
      } else if (step.kind === 'bake') {
        await bake(step.bake, `step ${index + 1} of ${steps.length}`);
      } else {
        traffic.paused = true;
        tracker.note(`step ${index + 1} of ${steps.length}: paused at ${traffic.percent}% until resume or promote`);
      }
    }
    // Promoted, or the plan ended below 100%: the rest of the way in one verified change.
    if (traffic.percent < 100) await setWeight(100);
    tracker.note(`production traffic verified on ${names.targetGroup}`);

    const removeStageRule = () => aws.deleteHostRule({ listenerArn, host: spec.hosts.stage });
    const removeStageRecord = () => aws.deleteRecord({ zoneId, name: spec.hosts.stage });
    if (patched(localTrafficPath)) await sideBySide(removeStageRule(), removeStageRecord());
    else await removeStageRule().then(removeStageRecord);
    undos.drop('stage rule');
    undos.drop('stage DNS record');
    status.resources.stageRuleArn = undefined;
    tracker.note('stage rule and DNS record removed');
  }

  /**
   * The undo of the production record (pushed before the production rule's, so it runs after it), and
   * how to point it: records that pointed elsewhere (allowed by the spec) are replaced in one change and
   * put back on rollback; a record this first deployment creates is deleted on rollback; one that already
   * aliases the load balancer stays.
   */
  function keepProductionRecord(lb: LoadBalancerSummary, zoneId: string, hasPrevious: boolean): () => Promise<string> {
    const name = spec.hosts.production;
    const elsewhere = (productionRecords ?? []).filter((r) => !aliasesTo(r, lb.dnsName));
    const alias = { zoneId, name, targetDnsName: lb.dnsName, targetZoneId: lb.canonicalHostedZoneId };
    if (elsewhere.length) {
      undos.push('production DNS record', () => undo.restoreRecords({ zoneId, name, targetDnsName: lb.dnsName, records: elsewhere }));
      tracker.note(`${name} will replace ${describeRecords(elsewhere)} (hosts.overwriteProductionRecord); a rollback puts it back`);
      return () => aws.replaceWithAlias({ ...alias, replacing: elsewhere });
    }
    if (!hasPrevious && productionRecords?.length === 0) undos.push('production DNS record', () => undo.deleteRecord({ zoneId, name }));
    return () => aws.upsertAliasRecord(alias);
  }

  /** One weighted forward action on the production rule, then the rule as read back must say the same. */
  async function setWeight(percent: number): Promise<void> {
    const targetGroupArn = status.resources.targetGroupArn!;
    const previous = status.previous;
    const wanted = splitTraffic(targetGroupArn, previous?.targetGroupArn, percent);
    // The rule that serves production now is known (found before staging): modify it by its ARN.
    const ruleArn = status.resources.productionRuleArn;
    const rule = ruleArn && patched(localTrafficPath)
      ? await productionRule.setRuleTargets({ ruleArn, targets: wanted })
      : await aws.putHostRule({ listenerArn: status.resources.listenerArn!, host: spec.hosts.production, targets: wanted, tags });
    const readBack = [...rule.targets].filter((t) => t.weight > 0).sort((a, b) => a.targetGroupArn.localeCompare(b.targetGroupArn));
    const expected = [...wanted].sort((a, b) => a.targetGroupArn.localeCompare(b.targetGroupArn));
    if (JSON.stringify(readBack) !== JSON.stringify(expected)) {
      throw ApplicationFailure.nonRetryable(`the production rule reads back ${JSON.stringify(rule.targets)}, not ${JSON.stringify(wanted)}`, 'TrafficNotVerified');
    }
    status.resources.productionRuleArn = rule.ruleArn;
    status.traffic!.percent = percentOn(targetGroupArn, rule.targets);
    if (previous && percent < 100) tracker.note(`production: ${percent}% on ${deploymentId}, ${100 - percent}% on ${previous.deploymentId} (read back)`);
  }

  /**
   * The undo of every weight change: all of production back on the previous target group, read back.
   * The first attempt is a local activity on the rule's ARN (the fastest path from the rollback signal
   * to the load balancer); should it fail, the rule is found by host and written like any undo.
   */
  async function restoreProduction(listenerArn: string, previousTargetGroupArn: string): Promise<void> {
    const targets: WeightedTarget[] = [{ targetGroupArn: previousTargetGroupArn, weight: 100 }];
    const byHost = () => undo.putHostRule({ listenerArn, host: spec.hosts.production, targets, tags: [] });
    const ruleArn = status.resources.productionRuleArn;
    const rule: HostRule = ruleArn && patched(localTrafficPath) ? await productionRule.setRuleTargets({ ruleArn, targets }).catch(byHost) : await byHost();
    if (percentOn(previousTargetGroupArn, rule.targets) !== 100) {
      throw ApplicationFailure.retryable(`the production rule reads back ${JSON.stringify(rule.targets)} after restoring it`, 'TrafficNotVerified');
    }
    if (status.traffic) {
      status.traffic.percent = 0;
      status.traffic.restoredAt = new Date().toISOString();
      // For the status only (how long the restore took): no branch reads it.
      // eslint-disable-next-line no-restricted-syntax
      if (rollbackRequestedAt !== undefined) status.traffic.restoreMs = Date.now() - rollbackRequestedAt;
    }
    tracker.note(`production restored to ${status.previous?.deploymentId} (read back)`);
  }

  async function holdWhilePaused(): Promise<void> {
    const traffic = status.traffic!;
    if (!traffic.paused) return;
    tracker.waiting(`holding at ${traffic.percent}%`, 'resume or promote');
    await condition(() => !traffic.paused || traffic.promoted);
  }

  /**
   * Waits at the current weight for the bake's intervals (`bakeIntervals`), each one durable timer; an
   * interval counts when its timer fires, and its analysis round runs then. More failed rounds than the
   * bake tolerates roll back. A pause discards the interval it interrupts (it starts again in full after
   * resume); promote ends the bake. Nothing here reads the clock: a workflow task's time is not the same
   * in every execution of it (a replay, or a query answered by a worker that had not cached the
   * deployment, sees another), so a branch on elapsed time can diverge from its own history.
   */
  async function bake(bake: Bake, label: string): Promise<void> {
    if (!patched(bakeCountsIntervals)) return bakeByClock(bake, label);
    const traffic = status.traffic!;
    const checking = hasChecks(bake.checks);
    const intervals = bakeIntervals(bake);
    let failed = 0;
    tracker.waiting(`${label}: baking ${formatDuration(bake.durationMs)} at ${traffic.percent}%${checking ? ', checks every ' + formatDuration(bake.intervalMs) : ''}`, `the bake to end (rollback, pause or promote)`);
    for (let completed = 0; completed < intervals.length; ) {
      await holdWhilePaused();
      if (traffic.promoted) return;
      const interrupted = await condition(() => traffic.paused || traffic.promoted, intervals[completed]);
      if (traffic.promoted) return;
      if (interrupted) continue;
      completed += 1;
      if (checking) failed = await analyse(bake, label, failed);
    }
  }

  /** One analysis round; returns the bake's failed rounds so far, or rolls back past the bake's limit. */
  async function analyse(bake: Bake, label: string, failedBefore: number): Promise<number> {
    const traffic = status.traffic!;
    const result = await analysis.runAnalysis({ checks: bake.checks, targetGroupArn: status.resources.targetGroupArn! }).catch((err: unknown) => {
      if (isCancellation(err)) throw err;
      return { at: new Date().toISOString(), failures: [`the checks could not run: ${describeFailure(err)}`], observations: [] };
    });
    traffic.lastAnalysis = result;
    if (result.failures.length === 0) return failedBefore;
    const failed = failedBefore + 1;
    traffic.failedAnalyses.push(result);
    tracker.note(`analysis failed (${failed} of ${bake.failureLimit} tolerated): ${result.failures.join('; ')}`);
    if (failed > bake.failureLimit) throw rollbackBecause(`analysis failed at ${traffic.percent}% (${label}): ${result.failures.join('; ')}`);
    return failed;
  }

  /**
   * The bake of deployments started before `bake-counts-intervals`, kept so their histories replay: it
   * subtracted clock readings taken in different workflow tasks, which is not replay-safe (issue 11).
   */
  async function bakeByClock(bake: Bake, label: string): Promise<void> {
    const traffic = status.traffic!;
    const checking = hasChecks(bake.checks);
    let remaining = bake.durationMs;
    let failed = 0;
    tracker.waiting(`${label}: baking ${formatDuration(bake.durationMs)} at ${traffic.percent}%${checking ? ', checks every ' + formatDuration(bake.intervalMs) : ''}`, `the bake to end (rollback, pause or promote)`);
    while (remaining > 0) {
      await holdWhilePaused();
      if (traffic.promoted) return;
      const wait = checking ? Math.min(bake.intervalMs, remaining) : remaining;
      const started = Date.now();
      await condition(() => traffic.paused || traffic.promoted, wait);
      // The old path, for old histories only (see above).
      // eslint-disable-next-line no-restricted-syntax
      remaining -= Date.now() - started;
      if (traffic.promoted) return;
      if (traffic.paused || !checking) continue;
      failed = await analyse(bake, label, failed);
    }
  }

  /** After 100%: the previous deployment stays up and rollback stays instant while the checks go on. */
  async function bakeAtFull(): Promise<void> {
    if (plan.finalBake.durationMs <= 0) return;
    tracker.enter('baking', `baking at 100% for ${formatDuration(plan.finalBake.durationMs)}`, 'the bake to end; rollback is instant until then');
    await bake(plan.finalBake, 'bake at 100%');
  }

  async function drain(): Promise<void> {
    if (!status.previous) return;
    tracker.enter('draining', `letting connections to ${status.previous.deploymentId} drain`, `the drain time (${formatDuration(spec.drainMs)}); rollback is instant until then`);
    await sleep(spec.drainMs, { summary: `drain ${status.previous.deploymentId}` });
    if (patched('verify-production-before-teardown')) await verifyProductionIsMine();
  }

  /** Nothing may be torn down unless production, read from AWS now, is all on this deployment. */
  async function verifyProductionIsMine(): Promise<void> {
    // A regular activity, not a local one: a rollback sent while it runs is delivered before teardown.
    const rule = await aws.findHostRule({ listenerArn: status.resources.listenerArn!, host: spec.hosts.production });
    const percent = rule ? percentOn(status.resources.targetGroupArn!, rule.targets) : 0;
    if (percent !== 100) {
      throw ApplicationFailure.nonRetryable(`before teardown, the production rule reads ${JSON.stringify(rule?.targets ?? [])}: someone changed it`, 'TrafficNotVerified');
    }
  }

  async function teardownPrevious(): Promise<void> {
    const previous = status.previous;
    if (!previous) return;
    if (previous.deploymentId === 'unmanaged') {
      tracker.note(`left target group ${previous.targetGroupArn} in place: Switchyard did not create it`);
      return;
    }
    const removeService = async () => previous.serviceName && (await aws.deleteService({ cluster: spec.cluster, name: previous.serviceName }));
    const removeRevision = async () => previous.taskDefinitionArn && (await aws.deregisterTaskDefinition({ arn: previous.taskDefinitionArn }));
    if (patched(localTrafficPath)) await sideBySide(removeService(), removeRevision());
    else await removeService().then(removeRevision);
    // Last: a target group still referenced by a rule cannot be deleted, and the rule was verified above.
    await aws.deleteTargetGroup({ arn: previous.targetGroupArn });
    tracker.note(`removed ${previous.deploymentId}: service, task definition revision and target group`);
  }

  async function rollBack(err: unknown): Promise<DeploymentResult> {
    const invalid = prerequisiteFailure(err);
    if (invalid !== undefined) return endAsInvalidInput(invalid, tracker, undos);
    const failure = err instanceof ApplicationFailure && err.type === 'Rollback' ? undefined : err;
    const reason = rollbackReason ?? (failure ? (isCancellation(failure) ? 'the deployment was cancelled' : describeFailure(failure)) : (err as Error).message);
    status.reason = reason;
    tracker.enter('rolling_back', `rolling back: ${reason}`);
    const leftovers = await undos.runAll((label) => tracker.note(`undo: ${label}`));
    status.leftovers = leftovers;
    // Cleaned up completely: rolled back (whatever the cause). Anything left behind: failed, and said what.
    const phase = leftovers.length ? 'failed' : 'rolled_back';
    tracker.enter(phase, leftovers.length ? `${reason}; could not clean up: ${leftovers.join(', ')}` : reason);
    await condition(allHandlersFinished);
    return { deploymentId, phase, reason, leftovers };
  }
}

/**
 * The target group's deregistration delay, from the spec's drain. They bound different waits: the drain
 * is how long the previous deployment keeps serving the requests it has at weight 0 before teardown;
 * the delay is how long the load balancer lets requests in flight finish on a target ECS deregisters
 * (at teardown or rollback). The drain decides when teardown starts. AWS caps the delay at 3600 s
 * (deregistration_delay.timeout_seconds), so a longer drain gets 3600 s.
 */
function deregistrationDelaySeconds(drainMs: number): number {
  return Math.min(3600, Math.round(drainMs / 1000));
}
