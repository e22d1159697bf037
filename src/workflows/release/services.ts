// A release's services as child deployments: started side by side (each under its service's workflow id,
// so the per-service lock holds: a busy service refuses the release), told what they may go past, heard
// from as they reach each point, and followed to how they end. A service that fails or rolls back before
// the teardown stops the release: every other one is put back (./roll-back.ts).
import {
  ApplicationFailure,
  CancellationScope,
  ChildWorkflowCancellationType,
  ChildWorkflowFailure,
  ParentClosePolicy,
  setHandler,
  startChild,
  workflowInfo,
} from '@temporalio/workflow';
import { TypedSearchAttributes, WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import type { ActorMessage, DeploymentInput, DeploymentResult } from '../../shared/deployment';
import { failureTypes } from '../../shared/failures';
import { searchAttributes } from '../../shared/naming';
import type { ReleaseGo, ReleaseReport } from '../../shared/release';
import type { blueGreenDeployment } from '../blue-green';
import { describeFailure } from '../common/activities';
import { releaseGoSignal, releaseReportSignal, signals, type MessageName } from '../messages';
import { running, type ReleaseChild, type ReleaseContext } from './context';

/** Hears the services' reports: each point reached; production back on one, before a rollback, stops the release. */
export function hearReports(ctx: ReleaseContext): void {
  setHandler(releaseReportSignal, (report: ReleaseReport) => {
    const child = ctx.children[report.index];
    if (!child) return;
    child.reached.add(report.kind);
    child.stepsDone = Math.max(child.stepsDone, report.stepsDone ?? 0);
    child.status.phase = child.result?.phase ?? report.phase;
    if (report.percent !== undefined) child.status.percent = report.percent;
    if (report.stepsDone !== undefined) child.status.stepsDone = child.stepsDone;
    if (report.kind === 'restored') {
      child.status.reason = report.reason;
      // Past the point of no return nothing is rolled back: what it staged goes at once.
      if (ctx.tracker.phase === 'tearing_down') void tell(child, { cleanup: true });
      else stop(ctx, `${child.label} rolled back${report.reason ? `: ${report.reason}` : ''}`);
    }
  });
}

/** Something went wrong with a service before the teardown: the release rolls back (once). */
function stop(ctx: ReleaseContext, why: string): void {
  if (ctx.rollingBack || ctx.failure) return;
  ctx.failure = why;
  ctx.tracker.note(why);
  ctx.main.cancel();
}

/**
 * Starts every service's deployment side by side. Each is the release's child (the web UI shows them
 * under it) and closes by itself: a rollback is asked for by message, never by cancelling it.
 */
export async function startServices(ctx: ReleaseContext): Promise<void> {
  await CancellationScope.nonCancellable(() => Promise.all(ctx.children.map((c) => startService(ctx, c))));
  if (ctx.refused) throw ApplicationFailure.nonRetryable(ctx.refused, failureTypes.prerequisite);
}

async function startService(ctx: ReleaseContext, child: ReleaseChild): Promise<void> {
  const { input } = ctx;
  const { spec, deploymentId } = child.service;
  const args: DeploymentInput = {
    deploymentId,
    spec,
    requestedBy: input.requestedBy,
    pollIntervalMs: input.pollIntervalMs,
    release: {
      releaseId: input.releaseId,
      workflowId: workflowInfo().workflowId,
      index: child.index,
      mode: input.mode,
    },
  };
  try {
    child.handle = await startChild<typeof blueGreenDeployment>('blueGreenDeployment', {
      workflowId: child.workflowId,
      args: [args],
      memo: { deploymentId, releaseId: input.releaseId },
      typedSearchAttributes: new TypedSearchAttributes([
        { key: searchAttributes.service, value: spec.service },
        { key: searchAttributes.environment, value: spec.environment },
        { key: searchAttributes.image, value: spec.image },
        { key: searchAttributes.deploymentId, value: deploymentId },
        { key: searchAttributes.phase, value: 'pending' },
        { key: searchAttributes.release, value: input.releaseId },
      ]),
      staticSummary: `release ${input.name}: deploy ${child.label}: ${spec.image}`,
      staticDetails: `deployment ${deploymentId} of release ${input.releaseId}, requested by ${input.requestedBy}`,
      cancellationType: ChildWorkflowCancellationType.ABANDON,
      parentClosePolicy: ParentClosePolicy.REQUEST_CANCEL,
    });
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    ctx.refused ??= `${child.label} is busy: a deployment of it is already running (workflow ${child.workflowId}); wait for it or roll it back, then release again`;
    ctx.tracker.note(`${child.label}: refused, a deployment of it is already running`);
    return;
  }
  child.status.phase = 'staging';
  ctx.tracker.note(`${child.label}: deployment ${deploymentId} started`);
  void child.handle.result().then(
    (result) => ended(ctx, child, result),
    (err: unknown) => ended(ctx, child, resultOf(child, err)),
  );
}

function ended(ctx: ReleaseContext, child: ReleaseChild, result: DeploymentResult): void {
  child.result = result;
  Object.assign(child.status, { phase: result.phase, ended: true, reason: result.reason });
  ctx.tracker.note(`${child.label}: ${result.phase}${result.reason ? ` (${result.reason})` : ''}`);
  if (result.phase !== 'active') stop(ctx, `${child.label} ${result.phase}: ${result.reason ?? 'no reason given'}`);
}

/** How a child that did not complete ended: its result from the failure it ended with, or the failure. */
function resultOf(child: ReleaseChild, err: unknown): DeploymentResult {
  const cause = err instanceof ChildWorkflowFailure ? err.cause : undefined;
  if (cause instanceof ApplicationFailure && cause.details?.length) return cause.details[0] as DeploymentResult;
  return {
    deploymentId: child.service.deploymentId,
    phase: 'failed',
    reason: describeFailure(err),
    leftovers: [`whatever deployment ${child.service.deploymentId} created (it ended without a result)`],
  };
}

/** Tells every running service what it may go past now. */
export async function tellAll(ctx: ReleaseContext, go: ReleaseGo): Promise<void> {
  await Promise.all(running(ctx).map((c) => tell(c, go)));
}

export async function tell(child: ReleaseChild, go: ReleaseGo): Promise<void> {
  // A service that ended meanwhile cannot be signalled: its end is heard from its result.
  await child.handle?.signal(releaseGoSignal, go).catch(() => undefined);
}

/** Sends a message on to a running service, as its sender sent it to the release. */
export async function forward(child: ReleaseChild, name: MessageName, msg: ActorMessage): Promise<void> {
  await child.handle?.signal(signals[name], msg).catch(() => undefined);
}
