// CodeDeploy's ECS blue/green deployments as AWS runs them and moto does not. moto keeps applications,
// deployment groups and deployments, but a deployment stays `Created` forever, and ContinueDeployment,
// StopDeployment, GetDeploymentConfig, ListDeploymentTargets and GetDeploymentTarget are missing. Here a
// deployment runs its lifecycle over (scaled) time, each step read back on the next call, as AWS's does:
//
//   BeforeInstall, Install (the replacement task set, Green, on the target group production does not use),
//   AfterInstall, AllowTestTraffic (the test listener to Green), AfterAllowTestTraffic, then the ready wait
//   (status Ready while the group's deploymentReadyOption is STOP_DEPLOYMENT: ContinueDeployment(READY_WAIT)
//   or, at the wait's end, Stopped), BeforeAllowTraffic, AllowTraffic (the production listener shifted by the
//   deployment config: all at once, canary or linear), AfterAllowTraffic, the termination wait (still
//   InProgress, instanceTerminationWaitTimeStarted; ContinueDeployment(TERMINATION_WAIT) ends it), then the
//   original task set (Blue) removed and the deployment Succeeded. StopDeployment (with auto-rollback) and
//   a failing lifecycle event (the scenario's) put both listeners back on Blue, remove Green, and end the
//   deployment Stopped or Failed, naming its rollback deployment.
//
// Sources: https://docs.aws.amazon.com/codedeploy/latest/userguide/deployment-steps-ecs.html,
// https://docs.aws.amazon.com/codedeploy/latest/userguide/reference-appspec-file-structure-hooks.html (the
// ECS lifecycle events), https://docs.aws.amazon.com/codedeploy/latest/userguide/deployment-configurations.html
// (the predefined ECS configs), the API reference's DeploymentReadyOption, ContinueDeployment (Ready only:
// DeploymentIsNotInReadyStateException) and StopDeployment; one deployment per group at a time
// (https://docs.aws.amazon.com/codedeploy/latest/userguide/limits.html, DeploymentLimitExceededException).
import {
  CreateTaskSetCommand,
  DeleteTaskSetCommand,
  DescribeServicesCommand,
  UpdateServicePrimaryTaskSetCommand,
  type ECSClient,
} from '@aws-sdk/client-ecs';
import {
  DescribeTargetGroupsCommand,
  ModifyListenerCommand,
  type ElasticLoadBalancingV2Client,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { parse } from 'yaml';
import { broken, type Json, type RuleBreak } from './refusals';

/** The ECS lifecycle events, in the order CodeDeploy runs them. */
export const ecsLifecycleEvents = [
  'BeforeInstall',
  'Install',
  'AfterInstall',
  'AllowTestTraffic',
  'AfterAllowTestTraffic',
  'BeforeAllowTraffic',
  'AllowTraffic',
  'AfterAllowTraffic',
] as const;
type LifecycleEventName = (typeof ecsLifecycleEvents)[number];

export interface CodeDeployScenario {
  /** A lifecycle event that fails (its hook "returned Failed"), e.g. AfterAllowTestTraffic. */
  failingLifecycleEvent?: string;
}

/** The predefined ECS deployment configs (GetDeploymentConfig's trafficRoutingConfig). */
export const ecsDeploymentConfigs: Record<string, TrafficRouting> = {
  'CodeDeployDefault.ECSAllAtOnce': { type: 'AllAtOnce' },
  'CodeDeployDefault.ECSCanary10Percent5Minutes': { type: 'TimeBasedCanary', percentage: 10, intervalMinutes: 5 },
  'CodeDeployDefault.ECSCanary10Percent15Minutes': { type: 'TimeBasedCanary', percentage: 10, intervalMinutes: 15 },
  'CodeDeployDefault.ECSLinear10PercentEvery1Minutes': {
    type: 'TimeBasedLinear',
    percentage: 10,
    intervalMinutes: 1,
  },
  'CodeDeployDefault.ECSLinear10PercentEvery3Minutes': {
    type: 'TimeBasedLinear',
    percentage: 10,
    intervalMinutes: 3,
  },
};

interface TrafficRouting {
  type: 'AllAtOnce' | 'TimeBasedCanary' | 'TimeBasedLinear';
  percentage?: number;
  intervalMinutes?: number;
}

type Status = 'Created' | 'InProgress' | 'Ready' | 'Succeeded' | 'Failed' | 'Stopped';

/**
 * ListDeployments' includeOnlyStatuses, renamed on its way to moto (which filters by the status it keeps,
 * always Created): the filter is applied to the answer, by each run's status (`listFilterForMoto`).
 */
const statusesKey = 'switchyardIncludeOnlyStatuses';

/** The body of a ListDeployments as moto gets it. */
export function listFilterForMoto(body: string): string {
  const req = JSON.parse(body) as Json;
  if (!req.includeOnlyStatuses) return body;
  const { includeOnlyStatuses, ...rest } = req;
  return JSON.stringify({ ...rest, [statusesKey]: includeOnlyStatuses });
}

/** A run that failed before it could start (its AppSpec or group unreadable), until start() fills it in. */
function failedRun(id: string, application: string, group: string): Run {
  const now = Date.now();
  return {
    id,
    application,
    group,
    cluster: '',
    service: '',
    taskDefinition: '',
    containerName: '',
    containerPort: 0,
    routing: { type: 'AllAtOnce' },
    terminationWaitMs: 0,
    autoRollback: { enabled: false, events: [] },
    prodListeners: [],
    testListeners: [],
    greenWeight: 0,
    events: [],
    status: 'Failed',
    step: 'done',
    stepAt: now,
    createdAt: now,
    completedAt: now,
    terminationWaitStarted: false,
    errorInformation: { code: 'INVALID_REVISION', message: 'the AppSpec or the deployment group could not be read' },
  };
}
const active: Status[] = ['Created', 'InProgress', 'Ready'];

interface LifecycleEvent {
  lifecycleEventName: LifecycleEventName;
  status: 'Pending' | 'InProgress' | 'Succeeded' | 'Failed' | 'Skipped';
  startTime?: number;
  endTime?: number;
  diagnostics?: { errorCode: string; message: string };
}

interface TaskSet {
  arn: string;
  targetGroupArn: string;
  label: 'Blue' | 'Green';
}

/** One deployment's run. Times are epoch milliseconds. */
interface Run {
  id: string;
  application: string;
  group: string;
  cluster: string;
  service: string;
  taskDefinition: string;
  containerName: string;
  containerPort: number;
  routing: TrafficRouting;
  /** The ready wait holds traffic (STOP_DEPLOYMENT) for this long; undefined: it continues on its own. */
  readyWaitMs?: number;
  terminationWaitMs: number;
  autoRollback: { enabled: boolean; events: string[] };
  prodListeners: string[];
  testListeners: string[];
  blue?: TaskSet;
  green?: TaskSet;
  greenWeight: number;
  events: LifecycleEvent[];
  status: Status;
  /** When the current step started, and which it is. */
  step: 'install' | 'readyWait' | 'traffic' | 'terminationWait' | 'done';
  stepAt: number;
  createdAt: number;
  completedAt?: number;
  terminationWaitStarted: boolean;
  errorInformation?: { code: string; message: string };
  rollbackInfo?: { rollbackDeploymentId: string; rollbackMessage: string };
}

/** What the lifecycle needs from moto, straight (not counted as the caller's calls). */
export interface CodeDeployDirect {
  ecs: ECSClient;
  elbv2: ElasticLoadBalancingV2Client;
  /** GetDeploymentGroup, as moto answers it (JSON). */
  deploymentGroup(application: string, group: string): Promise<Json | undefined>;
}

export class CodeDeployLifecycles {
  private runs = new Map<string, Run>();
  private counter = 0;
  /** Calls that move a run take turns: a step waits on AWS calls, and a stop must not land inside one. */
  private turn: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly direct: CodeDeployDirect,
    /** AWS's delays, scaled (the conformance layer's timeScale). */
    private readonly delay: (ms: number) => number,
  ) {}

  reset(): void {
    this.runs.clear();
  }

  private serial<T>(work: () => Promise<T>): Promise<T> {
    const next = this.turn.then(work, work);
    this.turn = next.catch(() => undefined);
    return next;
  }

  /** CreateDeployment, before moto: one deployment per group at a time. */
  refuseCreate(body: string): RuleBreak | undefined {
    const req = JSON.parse(body) as { applicationName?: string; deploymentGroupName?: string };
    const running = [...this.runs.values()].find(
      (r) => r.application === req.applicationName && r.group === req.deploymentGroupName && active.includes(r.status),
    );
    return running
      ? broken(
          'codedeploy-one-deployment-per-group',
          'DeploymentLimitExceededException',
          `The Deployment Group '${running.group}' already has an active Deployment '${running.id}'`,
        )
      : undefined;
  }

  /** CreateDeployment answered by moto: the deployment's run starts. */
  created(requestBody: string, responseBody: string): Promise<void> {
    return this.serial(async () => {
      const { deploymentId } = JSON.parse(responseBody) as { deploymentId: string };
      try {
        await this.start(requestBody, deploymentId);
      } catch (err) {
        // CreateDeployment has answered: what goes wrong after fails the deployment, as on AWS.
        const run = this.runs.get(deploymentId);
        if (run) {
          run.status = 'Failed';
          run.step = 'done';
          run.completedAt = Date.now();
          run.errorInformation = { code: 'ECS_UPDATE_ERROR', message: (err as Error).message };
        }
      }
    });
  }

  private async start(requestBody: string, deploymentId: string): Promise<void> {
    const req = JSON.parse(requestBody) as {
      applicationName: string;
      deploymentGroupName: string;
      deploymentConfigName?: string;
      revision?: { appSpecContent?: { content?: string }; string?: { content?: string } };
      autoRollbackConfiguration?: { enabled?: boolean; events?: string[] };
    };
    this.runs.set(deploymentId, failedRun(deploymentId, req.applicationName, req.deploymentGroupName));
    const group = (await this.direct.deploymentGroup(req.applicationName, req.deploymentGroupName)) ?? {};
    const appSpec = parse(req.revision?.appSpecContent?.content ?? req.revision?.string?.content ?? '{}') as {
      Resources?: { TargetService?: { Properties?: Json } }[];
    };
    const target = appSpec.Resources?.[0]?.TargetService?.Properties ?? {};
    const lbInfo = (target.LoadBalancerInfo ?? {}) as { ContainerName?: string; ContainerPort?: number };
    const ecsService = ((group.ecsServices as Json[] | undefined) ?? [])[0] ?? {};
    const pair = (((group.loadBalancerInfo as Json | undefined)?.targetGroupPairInfoList as Json[] | undefined) ??
      [])[0] ?? { targetGroups: [] };
    const blueGreen = (group.blueGreenDeploymentConfiguration ?? {}) as {
      deploymentReadyOption?: { actionOnTimeout?: string; waitTimeInMinutes?: number };
      terminateBlueInstancesOnDeploymentSuccess?: { terminationWaitTimeInMinutes?: number };
    };
    const configName =
      req.deploymentConfigName ?? String(group.deploymentConfigName ?? 'CodeDeployDefault.ECSAllAtOnce');
    const rollback = req.autoRollbackConfiguration ?? (group.autoRollbackConfiguration as Json | undefined) ?? {};
    const ready = blueGreen.deploymentReadyOption;
    const run: Run = {
      id: deploymentId,
      application: req.applicationName,
      group: req.deploymentGroupName,
      cluster: String(ecsService.clusterName ?? ''),
      service: String(ecsService.serviceName ?? ''),
      taskDefinition: String(target.TaskDefinition ?? ''),
      containerName: String(lbInfo.ContainerName ?? ''),
      containerPort: Number(lbInfo.ContainerPort ?? 0),
      routing: ecsDeploymentConfigs[configName] ?? { type: 'AllAtOnce' },
      readyWaitMs: ready?.actionOnTimeout === 'STOP_DEPLOYMENT' ? (ready.waitTimeInMinutes ?? 0) * 60_000 : undefined,
      terminationWaitMs:
        (blueGreen.terminateBlueInstancesOnDeploymentSuccess?.terminationWaitTimeInMinutes ?? 0) * 60_000,
      autoRollback: { enabled: Boolean(rollback.enabled), events: (rollback.events as string[] | undefined) ?? [] },
      prodListeners: ((pair.prodTrafficRoute as Json | undefined)?.listenerArns as string[] | undefined) ?? [],
      testListeners: ((pair.testTrafficRoute as Json | undefined)?.listenerArns as string[] | undefined) ?? [],
      greenWeight: 0,
      events: ecsLifecycleEvents.map((lifecycleEventName) => ({ lifecycleEventName, status: 'Pending' })),
      status: 'InProgress',
      step: 'install',
      stepAt: Date.now(),
      createdAt: Date.now(),
      terminationWaitStarted: false,
    };
    this.runs.set(run.id, run);
    this.begin(run, 'BeforeInstall');
    this.end(run, 'BeforeInstall');
    this.begin(run, 'Install');
    const groups = ((pair.targetGroups as { name?: string }[] | undefined) ?? []).map((g) => g.name ?? '');
    await this.installGreen(run, groups);
    // The task set is created: it comes up from now.
    run.stepAt = Date.now();
  }

  /** Moves every deployment that is due; called before each CodeDeploy answer. */
  advance(scenario: CodeDeployScenario): Promise<void> {
    return this.serial(() => this.advanceNow(scenario, Date.now()));
  }

  private async advanceNow(scenario: CodeDeployScenario, now: number): Promise<void> {
    for (const run of this.runs.values()) {
      try {
        for (
          let guard = 0;
          guard < 20 && active.includes(run.status) && (await this.step(run, scenario, now));
          guard++
        );
      } catch (err) {
        // Its service, listener or target group went away under it: AWS fails the deployment.
        run.status = 'Failed';
        run.step = 'done';
        run.completedAt = now;
        run.errorInformation = { code: 'ECS_UPDATE_ERROR', message: (err as Error).message };
      }
    }
  }

  /** ContinueDeployment: the ready wait (Ready only) or the termination wait ends now. */
  continue(body: string): Promise<RuleBreak | undefined> {
    return this.serial(async () => this.continueNow(body));
  }

  private continueNow(body: string): RuleBreak | undefined {
    const req = JSON.parse(body) as { deploymentId?: string; deploymentWaitType?: string };
    const run = this.runs.get(req.deploymentId ?? '');
    if (!run) return this.missing(req.deploymentId);
    if (!active.includes(run.status))
      return broken(
        'codedeploy-continue-completed',
        'DeploymentAlreadyCompletedException',
        `The deployment ${run.id} has already completed.`,
      );
    if ((req.deploymentWaitType ?? 'READY_WAIT') === 'READY_WAIT') {
      if (run.status !== 'Ready')
        return broken(
          'codedeploy-continue-not-ready',
          'DeploymentIsNotInReadyStateException',
          "The deployment does not have a status of Ready and can't continue yet.",
        );
      run.status = 'InProgress';
      this.enter(run, 'traffic');
      return undefined;
    }
    if (run.step !== 'terminationWait')
      return broken(
        'codedeploy-continue-not-waiting',
        'InvalidDeploymentStatusException',
        `The deployment ${run.id} is not in its termination wait.`,
      );
    run.stepAt = Date.now() - run.terminationWaitMs;
    return undefined;
  }

  /** StopDeployment: traffic back on the original task set when auto-rollback is on; Stopped. */
  stop(body: string): Promise<{ refusal?: RuleBreak; answer?: Json }> {
    return this.serial(() => this.stopNow(body));
  }

  private async stopNow(body: string): Promise<{ refusal?: RuleBreak; answer?: Json }> {
    const req = JSON.parse(body) as { deploymentId?: string; autoRollbackEnabled?: boolean };
    const run = this.runs.get(req.deploymentId ?? '');
    if (!run) return { refusal: this.missing(req.deploymentId) };
    if (!active.includes(run.status))
      return {
        refusal: broken(
          'codedeploy-stop-completed',
          'DeploymentAlreadyCompletedException',
          `The deployment ${run.id} has already completed.`,
        ),
      };
    const rollBack =
      req.autoRollbackEnabled ??
      (run.autoRollback.enabled && run.autoRollback.events.includes('DEPLOYMENT_STOP_ON_REQUEST'));
    await this.fail(
      run,
      'Stopped',
      { code: 'MANUAL_STOP', message: 'The deployment was stopped by the user.' },
      rollBack,
    );
    return {
      answer: {
        status: 'Succeeded',
        statusMessage: 'No more commands will be scheduled for execution in the deployment instances',
      },
    };
  }

  /** GetDeployment / BatchGetDeployments as moto answered them, with each run's state. */
  rewriteDeployments(responseBody: string): string {
    const out = JSON.parse(responseBody) as { deploymentInfo?: Json; deploymentsInfo?: Json[] };
    const patch = (info: Json | undefined) => {
      const run = this.runs.get(String(info?.deploymentId));
      if (!info || !run) return;
      info.status = run.status;
      info.computePlatform = 'ECS';
      info.instanceTerminationWaitTimeStarted = run.terminationWaitStarted;
      info.createTime = run.createdAt / 1000;
      info.startTime = run.createdAt / 1000;
      if (run.completedAt) info.completeTime = run.completedAt / 1000;
      info.deploymentOverview = {
        Pending: 0,
        InProgress: active.includes(run.status) && run.status !== 'Ready' ? 1 : 0,
        Succeeded: run.status === 'Succeeded' ? 1 : 0,
        Failed: run.status === 'Failed' || run.status === 'Stopped' ? 1 : 0,
        Skipped: 0,
        Ready: run.status === 'Ready' ? 1 : 0,
      };
      // AWS leaves out what does not apply, and never returns the AppSpec's content.
      for (const key of ['errorInformation', 'rollbackInfo', 'previousRevision', 'relatedDeployments'])
        delete info[key];
      if (run.errorInformation) info.errorInformation = run.errorInformation;
      if (run.rollbackInfo) info.rollbackInfo = run.rollbackInfo;
      const revision = info.revision as { appSpecContent?: Json } | undefined;
      if (revision?.appSpecContent) revision.appSpecContent.content = null;
    };
    patch(out.deploymentInfo);
    for (const info of out.deploymentsInfo ?? []) patch(info);
    return JSON.stringify(out);
  }

  /** ListDeployments as moto answered it: newest first, as AWS lists them. */
  rewriteList(responseBody: string, requestBody: string): string {
    const req = JSON.parse(requestBody) as { [statusesKey]?: string[] };
    const statuses = req[statusesKey];
    const out = JSON.parse(responseBody) as { deployments?: string[] };
    let ids = [...(out.deployments ?? [])].reverse();
    if (statuses?.length) ids = ids.filter((id) => statuses.includes(this.runs.get(id)?.status ?? 'Created'));
    return JSON.stringify({ ...out, deployments: ids });
  }

  listTargets(body: string): { refusal?: RuleBreak; answer?: Json } {
    const req = JSON.parse(body) as { deploymentId?: string };
    const run = this.runs.get(req.deploymentId ?? '');
    if (!run) return { refusal: this.missing(req.deploymentId) };
    return { answer: { targetIds: [`${run.cluster}:${run.service}`] } };
  }

  getTarget(body: string): { refusal?: RuleBreak; answer?: Json } {
    const req = JSON.parse(body) as { deploymentId?: string; targetId?: string };
    const run = this.runs.get(req.deploymentId ?? '');
    if (!run) return { refusal: this.missing(req.deploymentId) };
    const targetId = `${run.cluster}:${run.service}`;
    if (req.targetId !== targetId)
      return {
        refusal: broken(
          'codedeploy-target-missing',
          'DeploymentTargetDoesNotExistException',
          `The target ${req.targetId} does not exist in deployment ${run.id}.`,
        ),
      };
    const status =
      run.status === 'Succeeded'
        ? 'Succeeded'
        : run.status === 'Ready'
          ? 'Ready'
          : run.status === 'InProgress'
            ? 'InProgress'
            : 'Failed';
    const taskSets = [run.blue, run.green]
      .filter((t): t is TaskSet => t !== undefined && t.arn !== '')
      .map((t) => ({
        identifer: t.arn.split('/').pop(),
        desiredCount: 1,
        pendingCount: 0,
        runningCount: 1,
        // The one left is PRIMARY (Green once Blue is removed); while both run, Blue.
        status: t.label === 'Blue' || !run.blue ? 'PRIMARY' : 'ACTIVE',
        trafficWeight: t.label === 'Green' ? run.greenWeight : 100 - run.greenWeight,
        targetGroup: { name: t.targetGroupArn.split(':targetgroup/')[1]?.split('/')[0] },
        taskSetLabel: t.label,
      }));
    return {
      answer: {
        deploymentTarget: {
          deploymentTargetType: 'ECSTarget',
          ecsTarget: {
            deploymentId: run.id,
            targetId,
            targetArn: `arn:aws:ecs:::service/${run.cluster}/${run.service}`,
            lastUpdatedAt: Date.now() / 1000,
            lifecycleEvents: run.events.map((e) => ({
              ...e,
              ...(e.startTime ? { startTime: e.startTime / 1000 } : {}),
              ...(e.endTime ? { endTime: e.endTime / 1000 } : {}),
            })),
            status,
            taskSetsInfo: taskSets,
          },
        },
      },
    };
  }

  getConfig(body: string): { refusal?: RuleBreak; answer?: Json } {
    const name = (JSON.parse(body) as { deploymentConfigName?: string }).deploymentConfigName ?? '';
    const routing = ecsDeploymentConfigs[name];
    if (!routing)
      return {
        refusal: broken(
          'codedeploy-config-missing',
          'DeploymentConfigDoesNotExistException',
          `The deployment configuration ${name} does not exist with the user or AWS account.`,
        ),
      };
    const minutes = routing.intervalMinutes;
    return {
      answer: {
        deploymentConfigInfo: {
          deploymentConfigName: name,
          computePlatform: 'ECS',
          trafficRoutingConfig:
            routing.type === 'AllAtOnce'
              ? { type: 'AllAtOnce' }
              : routing.type === 'TimeBasedCanary'
                ? {
                    type: 'TimeBasedCanary',
                    timeBasedCanary: { canaryPercentage: routing.percentage, canaryInterval: minutes },
                  }
                : {
                    type: 'TimeBasedLinear',
                    timeBasedLinear: { linearPercentage: routing.percentage, linearInterval: minutes },
                  },
        },
      },
    };
  }

  /**
   * A CODE_DEPLOY service created: ECS gives it its first task set (Blue), PRIMARY, as AWS does. (No
   * `scale`: moto's CreateTaskSet fails on it for Fargate; a task set's scale defaults to 100 percent.)
   */
  async serviceCreated(requestBody: string): Promise<void> {
    const req = JSON.parse(requestBody) as {
      cluster?: string;
      serviceName?: string;
      taskDefinition?: string;
      launchType?: string;
      loadBalancers?: { targetGroupArn?: string; containerName?: string; containerPort?: number }[];
      networkConfiguration?: Json;
      deploymentController?: { type?: string };
    };
    if (req.deploymentController?.type !== 'CODE_DEPLOY') return;
    const created = await this.direct.ecs.send(
      new CreateTaskSetCommand({
        cluster: req.cluster,
        service: req.serviceName,
        taskDefinition: req.taskDefinition,
        loadBalancers: req.loadBalancers,
        ...(req.launchType ? { launchType: req.launchType as 'FARGATE' | 'EC2' } : {}),
        ...(req.networkConfiguration ? { networkConfiguration: req.networkConfiguration } : {}),
      }),
    );
    await this.direct.ecs.send(
      new UpdateServicePrimaryTaskSetCommand({
        cluster: req.cluster,
        service: req.serviceName,
        primaryTaskSet: created.taskSet!.taskSetArn,
      }),
    );
  }

  /**
   * The original task set (Blue: the PRIMARY one, on the target group production forwards to) and the
   * replacement (Green: the new revision, on the pair's other target group).
   */
  private async installGreen(run: Run, groupNames: string[]): Promise<void> {
    const service = (
      await this.direct.ecs.send(new DescribeServicesCommand({ cluster: run.cluster, services: [run.service] }))
    ).services?.[0];
    const primary = service?.taskSets?.find((t) => t.status === 'PRIMARY') ?? service?.taskSets?.[0];
    const blueGroup = primary?.loadBalancers?.[0]?.targetGroupArn ?? service?.loadBalancers?.[0]?.targetGroupArn ?? '';
    if (primary?.taskSetArn) run.blue = { arn: primary.taskSetArn, targetGroupArn: blueGroup, label: 'Blue' };
    const greenName = groupNames.find((n) => !blueGroup.includes(`:targetgroup/${n}/`)) ?? '';
    const greenGroup =
      (await this.direct.elbv2.send(new DescribeTargetGroupsCommand({ Names: [greenName] })).catch(() => undefined))
        ?.TargetGroups?.[0]?.TargetGroupArn ?? '';
    const created = await this.direct.ecs.send(
      new CreateTaskSetCommand({
        cluster: run.cluster,
        service: run.service,
        taskDefinition: run.taskDefinition,
        loadBalancers: [
          { targetGroupArn: greenGroup, containerName: run.containerName, containerPort: run.containerPort },
        ],
        ...(service?.launchType ? { launchType: service.launchType } : {}),
        ...(service?.networkConfiguration ? { networkConfiguration: service.networkConfiguration } : {}),
      }),
    );
    run.green = { arn: created.taskSet!.taskSetArn!, targetGroupArn: greenGroup, label: 'Green' };
  }

  /** One step of the run if it is due; whether anything moved. */
  /** Steps start when the one before was due (not when a caller next looked), as AWS's clock runs. */
  private async step(run: Run, scenario: CodeDeployScenario, now: number): Promise<boolean> {
    const failing = scenario.failingLifecycleEvent;
    const hook = async (name: LifecycleEventName): Promise<boolean> => {
      this.begin(run, name);
      if (failing === name) {
        await this.fail(
          run,
          'Failed',
          {
            code: 'HOOK_EXECUTION_FAILURE',
            message: `The deployment failed because one or more of the lifecycle event validations for the ECS service failed (${name}).`,
          },
          run.autoRollback.enabled && run.autoRollback.events.includes('DEPLOYMENT_FAILURE'),
          name,
        );
        return false;
      }
      this.end(run, name);
      return true;
    };
    switch (run.step) {
      case 'install': {
        // The replacement task set comes up in about half a minute.
        const up = run.stepAt + this.delay(30_000);
        if (now < up) return false;
        this.end(run, 'Install');
        if (!(await hook('AfterInstall'))) return true;
        this.begin(run, 'AllowTestTraffic');
        for (const listener of run.testListeners) await this.forward(listener, run, 100);
        this.end(run, 'AllowTestTraffic');
        if (!(await hook('AfterAllowTestTraffic'))) return true;
        if (run.readyWaitMs !== undefined) {
          run.status = 'Ready';
          this.enter(run, 'readyWait', up);
        } else this.enter(run, 'traffic', up);
        return true;
      }
      case 'readyWait':
        if (run.status === 'Ready' && now >= run.stepAt + this.delay(run.readyWaitMs ?? 0)) {
          await this.fail(
            run,
            'Stopped',
            { code: 'TIMEOUT', message: 'The deployment timed out waiting for traffic rerouting to be started.' },
            run.autoRollback.enabled && run.autoRollback.events.includes('DEPLOYMENT_STOP_ON_REQUEST'),
          );
          return true;
        }
        return false;
      case 'traffic': {
        if (run.greenWeight === 0) {
          if (!(await hook('BeforeAllowTraffic'))) return true;
          this.begin(run, 'AllowTraffic');
          const first = run.routing.type === 'AllAtOnce' ? 100 : (run.routing.percentage ?? 10);
          await this.shift(run, first, run.stepAt);
          return true;
        }
        if (run.greenWeight < 100) {
          const due = run.stepAt + this.delay((run.routing.intervalMinutes ?? 0) * 60_000);
          if (now < due) return false;
          const next =
            run.routing.type === 'TimeBasedCanary'
              ? 100
              : Math.min(100, run.greenWeight + (run.routing.percentage ?? 10));
          await this.shift(run, next, due);
          return true;
        }
        this.end(run, 'AllowTraffic');
        if (!(await hook('AfterAllowTraffic'))) return true;
        run.terminationWaitStarted = true;
        this.enter(run, 'terminationWait', run.stepAt);
        return true;
      }
      case 'terminationWait': {
        if (now < run.stepAt + this.delay(run.terminationWaitMs)) return false;
        if (run.blue?.arn) await this.removeTaskSet(run, run.blue.arn);
        run.blue = undefined;
        if (run.green?.arn)
          await this.direct.ecs.send(
            new UpdateServicePrimaryTaskSetCommand({
              cluster: run.cluster,
              service: run.service,
              primaryTaskSet: run.green.arn,
            }),
          );
        run.status = 'Succeeded';
        run.completedAt = now;
        this.enter(run, 'done', now);
        return true;
      }
      default:
        return false;
    }
  }

  private async shift(run: Run, weight: number, now: number): Promise<void> {
    for (const listener of run.prodListeners) await this.forward(listener, run, weight);
    run.greenWeight = weight;
    run.stepAt = now;
  }

  /** The listener's default action: forward to Green at `greenWeight`, the rest to Blue. */
  private async forward(listenerArn: string, run: Run, greenWeight: number): Promise<void> {
    const blue = run.blue?.targetGroupArn;
    const green = run.green?.targetGroupArn;
    const groups = [
      ...(blue ? [{ TargetGroupArn: blue, Weight: 100 - greenWeight }] : []),
      ...(green ? [{ TargetGroupArn: green, Weight: greenWeight }] : []),
    ];
    await this.direct.elbv2.send(
      new ModifyListenerCommand({
        ListenerArn: listenerArn,
        DefaultActions: [{ Type: 'forward', ForwardConfig: { TargetGroups: groups } }],
      }),
    );
  }

  /** A stop, a failed event or a ready wait that ran out; with rollback, traffic back on Blue, Green gone. */
  private async fail(
    run: Run,
    status: 'Failed' | 'Stopped',
    error: { code: string; message: string },
    rollBack: boolean,
    failedEvent?: LifecycleEventName,
  ): Promise<void> {
    for (const e of run.events) {
      if (e.lifecycleEventName === failedEvent) {
        e.status = 'Failed';
        e.endTime = Date.now();
        e.diagnostics = { errorCode: 'ScriptFailed', message: error.message };
      } else if (e.status === 'Pending' || e.status === 'InProgress') e.status = 'Skipped';
    }
    run.status = status;
    run.errorInformation = error;
    run.completedAt = Date.now();
    run.step = 'done';
    if (!rollBack) return;
    // Each call on its own: one that fails (a listener deleted meanwhile) does not leave the rest undone.
    for (const listener of [...run.prodListeners, ...run.testListeners])
      await this.forward(listener, run, 0).catch(() => undefined);
    run.greenWeight = 0;
    if (run.green?.arn) await this.removeTaskSet(run, run.green.arn);
    run.green = undefined;
    // The rollback is a deployment of its own on AWS (creator codeDeployRollback); here it is done at once,
    // and only named (GetDeployment does not know it).
    this.counter += 1;
    const rollbackId = `${run.id}-rollback-${this.counter}`;
    run.rollbackInfo = {
      rollbackDeploymentId: rollbackId,
      rollbackMessage: `Deployment ${run.id} was rolled back by rollback deployment ${rollbackId}`,
    };
  }

  private async removeTaskSet(run: Run, arn: string): Promise<void> {
    await this.direct.ecs
      .send(new DeleteTaskSetCommand({ cluster: run.cluster, service: run.service, taskSet: arn, force: true }))
      .catch(() => undefined);
  }

  private enter(run: Run, step: Run['step'], now = Date.now()): void {
    run.step = step;
    run.stepAt = now;
  }

  private begin(run: Run, name: LifecycleEventName): void {
    const e = run.events.find((x) => x.lifecycleEventName === name)!;
    e.status = 'InProgress';
    e.startTime = Date.now();
  }

  private end(run: Run, name: LifecycleEventName): void {
    const e = run.events.find((x) => x.lifecycleEventName === name)!;
    e.status = 'Succeeded';
    e.endTime = Date.now();
  }

  private missing(id?: string): RuleBreak {
    return broken(
      'codedeploy-deployment-missing',
      'DeploymentDoesNotExistException',
      `The deployment ${id} does not exist with the user or AWS account.`,
    );
  }
}
