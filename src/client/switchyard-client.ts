// The Temporal client side of Switchyard, over one connection: what the CLI (and CI through it, and the
// demo) does with Temporal. Checks that a deployment can run (a worker polls, the search attributes are
// registered), runs preflights, starts deployments (one per service), finds them by id or service, reads
// their status, steers and follows them, and recovers a stuck one.
import { activeTracing } from '../telemetry/tracing';
import { Client, Connection, WorkflowNotFoundError } from '@temporalio/client';
import { temporal as proto } from '@temporalio/proto';
import { connectionOptions, temporalUnreachable, type TemporalConfig } from '../config';
import type { ActorMessage, AnySpec, DeploymentResult, DeploymentSpec, DeploymentStatus } from '../shared/deployment';
import { UserError } from '../shared/errors';
import { allSearchAttributes, isDeploymentId, serviceWorkflowId } from '../shared/naming';
import type { DeploymentPlan } from '../shared/plan';
import type { PreflightInput, PreflightReport } from '../shared/preflight';
import type { RecoveryReport } from '../shared/recovery';
import type { planDeployment, preflight } from '../workflows';
import { deploymentQuery } from './deployment-ref';
import { deploymentHandle, type DeploymentHandle } from './handle';
import { inspectDeployment, listDeployments, type DeploymentReport, type DeploymentRow } from './inspect';
import { recoverDeployment, type RecoverOptions } from './recover';
import { missingSearchAttributes, registerSearchAttributes } from './search-attributes';
import { startDeployment } from './start';
import { startRelease } from './release';
import type { LoadedRelease } from '../spec/release';
import {
  followDeployment,
  sendMessage,
  watchDeployment,
  type MessageCommand,
  type SendOptions,
  type Sent,
  type Watched,
  type WatchOptions,
} from './steer';

export class SwitchyardClient {
  /** The Temporal SDK's client on the connection, for what has no method here (tests, benchmarks). */
  readonly temporal: Client;

  constructor(
    readonly connection: Connection,
    readonly config: TemporalConfig,
  ) {
    // With tracing on, starts and messages carry the CLI's trace into the workflow.
    const tracing = activeTracing();
    const interceptors = tracing ? { workflow: tracing.clientInterceptors } : undefined;
    this.temporal = new Client({ connection, namespace: config.namespace, interceptors });
  }

  /** Connects to Temporal; when nothing answers, a UserError that says how to get one. */
  static async connect(config: TemporalConfig): Promise<SwitchyardClient> {
    let connection: Connection;
    try {
      connection = await Connection.connect({ ...connectionOptions(config), connectTimeout: '5s' });
    } catch (err) {
      throw temporalUnreachable(config, err);
    }
    return new SwitchyardClient(connection, config);
  }

  /** Connects, runs `work` with the client, and closes the connection however `work` ends. */
  static async using<T>(config: TemporalConfig, work: (client: SwitchyardClient) => Promise<T>): Promise<T> {
    const client = await SwitchyardClient.connect(config);
    try {
      return await work(client);
    } finally {
      await client.close();
    }
  }

  close(): Promise<void> {
    return this.connection.close();
  }

  /** What starting a deployment needs: a worker polling the task queue, the search attributes registered. */
  async assertReady(): Promise<void> {
    await this.assertWorkerPolling();
    await this.assertSearchAttributesRegistered();
  }

  /** Fails with a clear line when no worker polls the task queue: the workflow would only wait. */
  async assertWorkerPolling(): Promise<void> {
    const { address, namespace, taskQueue } = this.config;
    const { pollers } = await this.temporal.workflowService.describeTaskQueue({
      namespace,
      taskQueue: { name: taskQueue },
      taskQueueType: proto.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
    });
    if (!pollers?.length) {
      throw new UserError(
        `no Switchyard worker is polling task queue "${taskQueue}" on ${address}. ` +
          'Start one with `switchyard worker` (or `npm run dev`), or set SWITCHYARD_TASK_QUEUE to the queue your worker uses.',
      );
    }
  }

  /** Workflows fail their tasks on unknown search attributes: check before starting, with the fix. */
  async assertSearchAttributesRegistered(): Promise<void> {
    const missing = (await missingSearchAttributes(this.connection, this.config.namespace)).map((k) => k.name);
    if (missing.length) {
      throw new UserError(
        `namespace ${this.config.namespace} lacks Switchyard's search attributes (${missing.join(', ')}). Run \`switchyard setup\` once.`,
      );
    }
  }

  /** Registers the search attributes the namespace lacks (idempotent): those added, and those already there. */
  async registerSearchAttributes(): Promise<{ added: string[]; present: string[] }> {
    const added = await registerSearchAttributes(this.connection, this.config.namespace);
    return { added, present: allSearchAttributes.map((k) => k.name).filter((n) => !added.includes(n)) };
  }

  /** Runs the preflight workflow (through a worker) and returns its report. */
  async preflight(input: PreflightInput): Promise<{ workflowId: string; report: PreflightReport }> {
    const workflowId = `preflight-${input.cluster}-${Date.now().toString(36)}`;
    const report = await this.temporal.workflow.execute<typeof preflight>('preflight', {
      taskQueue: this.config.taskQueue,
      workflowId,
      args: [input],
      workflowExecutionTimeout: '2m',
    });
    return { workflowId, report };
  }

  /**
   * `switchyard plan`: the changes a deployment of the spec would make, read (only read) from AWS by the
   * plan workflow on a worker, and from Temporal, the deployment of the service that runs now (a deploy
   * would be refused while it does).
   */
  async plan(spec: DeploymentSpec): Promise<DeploymentPlan & { running?: string }> {
    const plan = await this.temporal.workflow.execute<typeof planDeployment>('planDeployment', {
      taskQueue: this.config.taskQueue,
      workflowId: `plan-${spec.service}-${spec.environment}-${Date.now().toString(36)}`,
      args: [{ spec }],
      workflowExecutionTimeout: '2m',
    });
    const current = await this.temporal.workflow
      .getHandle(serviceWorkflowId(spec.service, spec.environment))
      .describe()
      .catch((err: unknown) => {
        if (err instanceof WorkflowNotFoundError) return undefined;
        throw err;
      });
    if (current?.status.name !== 'RUNNING') return plan;
    const running = String(current.memo?.deploymentId ?? 'unknown');
    return {
      ...plan,
      running,
      refused: `a deployment of ${spec.service}/${spec.environment} is already running: ${running}`,
    };
  }

  /** Starts a deployment of the spec, refused while another of the same service and environment runs. */
  start(spec: AnySpec, requestedBy: string): Promise<{ deploymentId: string; handle: DeploymentHandle }> {
    return startDeployment(this.temporal, this.config.taskQueue, spec, requestedBy);
  }

  /** Starts a release: refused while it, or any of its services, is running. */
  release(loaded: LoadedRelease, requestedBy: string): ReturnType<typeof startRelease> {
    return startRelease(this.temporal, this.config.taskQueue, loaded, requestedBy);
  }

  /**
   * A deployment by its id, or the latest of a service ("web" or "web/prod"). Visibility can trail a start
   * by a moment, so a fresh id is looked up for a few seconds before giving up.
   */
  async find(ref: string, waitMs = 5_000): Promise<DeploymentHandle> {
    const query = deploymentQuery(ref);
    const deadline = Date.now() + waitMs;
    for (;;) {
      let latest: { workflowId: string; runId: string; startTime: Date } | undefined;
      for await (const wf of this.temporal.workflow.list({ query })) {
        if (!latest || wf.startTime > latest.startTime) latest = wf;
      }
      if (latest) return deploymentHandle(this.temporal, latest.workflowId, latest.runId);
      if (Date.now() > deadline)
        throw new UserError(`no deployment ${isDeploymentId(ref) ? 'with id' : 'of service'} ${ref} was found`);
      await new Promise((r) => setTimeout(r, 500));
    }
  }

  /** Up to `limit` recent deployments, newest first. */
  list(limit: number): Promise<DeploymentRow[]> {
    return listDeployments(this.temporal, limit);
  }

  /** The deployment's status with its workflow's state (and whether it is stuck). */
  inspect(handle: DeploymentHandle): Promise<DeploymentReport> {
    return inspectDeployment(handle);
  }

  /**
   * Sends a message (tests-passed, approve, rollback...) and returns its answer once it has taken effect;
   * refused when the deployment has ended, is stuck, or finds the message makes no sense in its phase.
   */
  send(handle: DeploymentHandle, command: MessageCommand, message: ActorMessage, opts?: SendOptions): Promise<Sent> {
    return sendMessage(handle, command, message, opts);
  }

  /** Follows the deployment to its end, calling `onChange` with each new step; a UserError if it gets stuck. */
  follow(
    handle: DeploymentHandle,
    onChange: (status: DeploymentStatus, newSteps: DeploymentStatus['history']) => void,
    intervalMs?: number,
  ): Promise<DeploymentResult> {
    return followDeployment(handle, onChange, intervalMs);
  }

  /** Follows it until it ends, is in `phase`, or `deadline` passes (src/client/steer.ts watchDeployment). */
  watch(
    handle: DeploymentHandle,
    onChange: (status: DeploymentStatus, newSteps: DeploymentStatus['history']) => void,
    opts: WatchOptions,
  ): Promise<Watched> {
    return watchDeployment(handle, onChange, opts);
  }

  /** Gets a stuck deployment out (src/client/recover.ts); `progress` hears each step. */
  recover(ref: string, opts: RecoverOptions, progress: (line: string) => void): Promise<RecoveryReport> {
    return recoverDeployment(this, ref, opts, progress);
  }
}
