// Orchestration overhead: a full blue/green deployment (all at once, no approval, no bake, no drain)
// through Temporal, beside a straight-line script that makes the same AWS calls in sequence with the
// same SDK clients and no Temporal, against the same emulator, alternating, BENCH_OVERHEAD_RUNS each
// (default 7). The workflow's time excludes the moments it waited for the benchmark's "tests passed"
// signal (a human gate the script does not have); the history says where the rest goes.
import { MockActivityEnvironment } from '@temporalio/testing';
import type { temporal } from '@temporalio/proto';
import type { PreviousDeployment } from '../src/shared/deployment';
import { deploymentTags, resourceNames, tagKeys } from '../src/shared/naming';
import { newDeploymentId } from '../src/client/deployment-ref';
import { testsPassedSignal } from '../src/workflows/messages';
import { executionRolePolicy } from '../src/workflows/common/activities';
import {
  benchSpec,
  callsBetween,
  median,
  progress,
  round1,
  startBenchStack,
  totalOf,
  waitForStatus,
  type BenchStack,
  type Benchmark,
} from './support';
import { launchOf } from '../src/shared/launch';

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;
const EventType = {
  WorkflowTaskScheduled: 5,
  WorkflowTaskCompleted: 7,
  ActivityTaskScheduled: 10,
  ActivityTaskStarted: 11,
  ActivityTaskCompleted: 12,
  TimerStarted: 17,
  MarkerRecorded: 25,
  Signaled: 26,
} as const;
const ms = (e: HistoryEvent) => Number(e.eventTime?.seconds ?? 0) * 1000 + Math.round((e.eventTime?.nanos ?? 0) / 1e6);

/** Where a workflow's wall time went, from its history (sums: parallel activities overlap). */
function breakdown(events: HistoryEvent[]) {
  const byId = new Map(events.map((e) => [Number(e.eventId), e]));
  const wall = ms(events.at(-1)!) - ms(events[0]);
  let activityRun = 0;
  let activityQueue = 0;
  let activities = 0;
  for (const e of events.filter((x) => x.eventType === EventType.ActivityTaskCompleted)) {
    const attrs = e.activityTaskCompletedEventAttributes!;
    const started = byId.get(Number(attrs.startedEventId))!;
    const scheduled = byId.get(Number(attrs.scheduledEventId))!;
    activityRun += ms(e) - ms(started);
    activityQueue += ms(started) - ms(scheduled);
    activities += 1;
  }
  let workflowTasks = 0;
  let workflowTaskMs = 0;
  for (const e of events.filter((x) => x.eventType === EventType.WorkflowTaskCompleted)) {
    workflowTasks += 1;
    workflowTaskMs += ms(e) - ms(byId.get(Number(e.workflowTaskCompletedEventAttributes!.scheduledEventId))!);
  }
  // The tests gate: from its timer (the gate's timeout) to the signal that answered it.
  const signal = events.find((e) => e.eventType === EventType.Signaled)!;
  const gateTimer = events
    .filter((e) => e.eventType === EventType.TimerStarted && Number(e.eventId) < Number(signal.eventId))
    .at(-1)!;
  const gate = ms(signal) - ms(gateTimer);
  return {
    wall,
    gate,
    activities,
    activityRun,
    activityQueue,
    workflowTasks,
    workflowTaskMs,
    localActivities: events.filter(
      (e) => e.eventType === EventType.MarkerRecorded && e.markerRecordedEventAttributes?.markerName !== 'core_patch',
    ).length,
  };
}

/** The same AWS calls as the workflow's path for a second deployment, one after another, no Temporal. */
async function straightLine(stack: BenchStack, service: string, image: string): Promise<void> {
  const aws = stack.aws;
  const spec = { ...benchSpec(service), image };
  const deploymentId = newDeploymentId();
  const names = resourceNames(spec, deploymentId);
  const tags = deploymentTags(spec, deploymentId);
  const mock = new MockActivityEnvironment();
  await aws.findCluster({ cluster: spec.cluster });
  const lb = (await aws.findLoadBalancer({ loadBalancer: spec.loadBalancer.name }))!;
  const zone = (await aws.findHostedZone({ name: spec.hostedZone }))!;
  // The production record is read before anything is created, as the workflow does.
  await aws.recordsAt({ zoneId: zone.id, name: spec.hosts.production });
  const listenerArn = await aws.ensureListener({ loadBalancerArn: lb.arn, port: spec.loadBalancer.listenerPort });
  const production = (await aws.findHostRule({ listenerArn, host: spec.hosts.production }))!;
  const groupTags = await aws.describeTargetGroupTags({
    targetGroupArns: production.targets.map((t) => t.targetGroupArn),
  });
  const [targetGroupArnBefore, liveTags] = Object.entries(groupTags)[0];
  const previousId = liveTags[tagKeys.deployment];
  const previousService = resourceNames(spec, previousId).ecsService;
  const found = await aws.findService({ cluster: spec.cluster, name: previousService });
  const previous: PreviousDeployment = {
    deploymentId: previousId,
    targetGroupArn: targetGroupArnBefore,
    serviceName: previousService,
    taskDefinitionArn: found?.taskDefinition,
  };

  const taskRoleArn = (await aws.ensureRole({ name: names.taskRole, managedPolicies: [], tags })).arn;
  const executionRoleArn = (
    await aws.ensureRole({ name: names.executionRole, managedPolicies: [executionRolePolicy], tags })
  ).arn;
  const taskDefinitionArn = await aws.registerTaskDefinition({
    family: names.family,
    taskDefinition: spec.taskDefinition,
    containerName: spec.container.name,
    image,
    taskRoleArn,
    executionRoleArn,
    tags,
    deploymentId,
  });
  const launch = launchOf(spec.taskDefinition);
  // The drain (0 here) is also the group's deregistration delay, as the workflow sets it.
  const targetGroupArn = await aws.createTargetGroup({
    name: names.targetGroup,
    vpcId: lb.vpcId,
    port: spec.container.port,
    targetType: launch.targetType,
    healthCheck: spec.healthCheck,
    deregistrationDelaySeconds: spec.drainMs / 1000,
    tags,
  });
  // The stage rule attaches the target group before the service is created, as the workflow does.
  await aws.putHostRule({ listenerArn, host: spec.hosts.stage, targets: [{ targetGroupArn, weight: 100 }], tags });
  const stageChange = await aws.upsertAliasRecord({
    zoneId: zone.id,
    name: spec.hosts.stage,
    targetDnsName: lb.dnsName,
    targetZoneId: lb.canonicalHostedZoneId,
  });
  await aws.createService({
    cluster: spec.cluster,
    name: names.ecsService,
    taskDefinitionArn,
    targetGroupArn,
    containerName: spec.container.name,
    containerPort: spec.container.port,
    desiredCount: spec.desiredCount,
    network: { subnets: lb.subnetIds, securityGroups: lb.securityGroupIds, assignPublicIp: false },
    launch,
    tags,
  });
  const deadline = Date.now() + spec.timeouts.steadyMs;
  await mock.run(aws.waitForServiceSteady, {
    cluster: spec.cluster,
    name: names.ecsService,
    desiredCount: spec.desiredCount,
    deadline,
    intervalMs: 5_000,
  });
  await mock.run(aws.waitForTargetsHealthy, {
    targetGroupArn,
    minHealthy: spec.desiredCount,
    deadline,
    intervalMs: 5_000,
  });
  // CI is told to test once the stage record is INSYNC, as the workflow waits for it.
  await mock.run(aws.waitForDnsChange, { changeId: stageChange, deadline, intervalMs: 5_000 });

  await aws.setRuleTargets({ ruleArn: production.ruleArn, targets: [{ targetGroupArn, weight: 100 }] });
  await aws.upsertAliasRecord({
    zoneId: zone.id,
    name: spec.hosts.production,
    targetDnsName: lb.dnsName,
    targetZoneId: lb.canonicalHostedZoneId,
  });
  await aws.deleteHostRule({ listenerArn, host: spec.hosts.stage });
  await aws.deleteRecord({ zoneId: zone.id, name: spec.hosts.stage });
  await aws.findHostRule({ listenerArn, host: spec.hosts.production });
  await aws.deleteService({ cluster: spec.cluster, name: previous.serviceName! });
  if (previous.taskDefinitionArn) await aws.deregisterTaskDefinition({ arn: previous.taskDefinitionArn });
  await aws.deleteTargetGroup({ arn: previous.targetGroupArn });
}

export const orchestrationOverhead: Benchmark = {
  name: 'overhead',
  title: 'Orchestration overhead',
  async run() {
    const runs = Number(process.env.BENCH_OVERHEAD_RUNS ?? 7);
    const stack = await startBenchStack('overhead');
    try {
      await stack.startWorker();
      const viaTemporal = async (service: string, image: string) => {
        const { handle } = await stack.client.start({ ...benchSpec(service), image }, 'bench');
        await waitForStatus(handle, (s) => s.phase === 'awaiting_tests', 5);
        await handle.signal(testsPassedSignal, { by: 'bench' });
        const result = await handle.result();
        if (result.phase !== 'active') throw new Error(`${service}: ${result.phase} (${result.reason})`);
        return breakdown((await handle.fetchHistory()).events ?? []);
      };
      // Each side deploys its own service; a first deployment makes each live (not measured).
      await viaTemporal('ovwf', 'nginx:1');
      await viaTemporal('ovsl', 'nginx:1');
      const workflow: ReturnType<typeof breakdown>[] = [];
      const script: number[] = [];
      const workflowCalls: Record<string, number> = {};
      const scriptCalls: Record<string, number> = {};
      const add = (into: Record<string, number>, calls: Record<string, number>) =>
        Object.entries(calls).forEach(([op, n]) => (into[op] = (into[op] ?? 0) + n));
      for (let i = 0; i < runs; i++) {
        let before = await stack.proxyStats();
        workflow.push(await viaTemporal('ovwf', `nginx:${i + 2}`));
        add(workflowCalls, callsBetween(before, await stack.proxyStats()));
        before = await stack.proxyStats();
        const t = performance.now();
        await straightLine(stack, 'ovsl', `nginx:${i + 2}`);
        script.push(performance.now() - t);
        add(scriptCalls, callsBetween(before, await stack.proxyStats()));
        progress(
          `run ${i + 1}/${runs}: workflow ${workflow.at(-1)!.wall - workflow.at(-1)!.gate} ms (+${workflow.at(-1)!.gate} ms tests gate), script ${Math.round(script.at(-1)!)} ms`,
        );
      }
      const mid = <K extends keyof ReturnType<typeof breakdown>>(k: K) => median(workflow.map((w) => w[k]));
      const workflowMs = median(workflow.map((w) => w.wall - w.gate));
      const scriptMs = round1(median(script));
      const ratio = round1(workflowMs / scriptMs);
      const differing = [...new Set([...Object.keys(workflowCalls), ...Object.keys(scriptCalls)])].filter(
        (op) => workflowCalls[op] !== scriptCalls[op],
      );
      const result = {
        runs,
        workflowMsExcludingTestsGate: workflowMs,
        straightLineMs: scriptMs,
        ratio,
        workflowBreakdownMedians: {
          wallMs: mid('wall'),
          testsGateMs: mid('gate'),
          activities: mid('activities'),
          activityRunMsSum: mid('activityRun'),
          activityQueueMsSum: mid('activityQueue'),
          workflowTasks: mid('workflowTasks'),
          workflowTaskMsSum: mid('workflowTaskMs'),
          localActivities: mid('localActivities'),
        },
        awsCallsPerDeployment: {
          workflow: totalOf(workflowCalls) / runs,
          straightLine: totalOf(scriptCalls) / runs,
          operationsThatDiffer: Object.fromEntries(
            differing.map((op) => [op, { workflow: workflowCalls[op] ?? 0, straightLine: scriptCalls[op] ?? 0 }]),
          ),
        },
      };
      const b = result.workflowBreakdownMedians;
      return {
        result,
        rows: [
          {
            measure: `full blue/green deployment, waits at zero: workflow vs straight-line SDK script (median of ${runs})`,
            value: `${workflowMs} ms vs ${scriptMs} ms = ${ratio}×`,
            target: '≤ 1.3×',
            met: ratio <= 1.3,
          },
          {
            measure: 'where the workflow time goes (sums; parallel activities overlap)',
            value:
              `${b.activities} activities running ${b.activityRunMsSum} ms, waiting in the task queue ${b.activityQueueMsSum} ms; ` +
              `${b.workflowTasks} workflow tasks ${b.workflowTaskMsSum} ms (their time includes the ${b.localActivities} local activities' AWS calls)`,
          },
          {
            measure: 'AWS calls per deployment: workflow / script',
            value: `${result.awsCallsPerDeployment.workflow} / ${result.awsCallsPerDeployment.straightLine}${differing.length ? ` (differ: ${differing.join(', ')})` : ' (same by operation)'}`,
          },
        ],
      };
    } finally {
      await stack.stop();
    }
  },
};
