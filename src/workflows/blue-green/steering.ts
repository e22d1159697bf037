// How people steer a blue/green deployment: the status query, the messages (tests passed or failed,
// approve, rollback, pause, resume, promote), each honoured only in the phases where it makes sense, and
// the gates that wait on them.
import { condition, setHandler } from '@temporalio/workflow';
import { formatDuration } from '../../shared/duration';
import type { Phase } from '../../shared/deployment';
import { rollbackBecause } from '../common/activities';
import { acceptRollbacks } from '../common/rollback-request';
import {
  approveSignal,
  pauseSignal,
  promoteSignal,
  resumeSignal,
  statusQuery,
  testsFailedSignal,
  testsPassedSignal,
} from '../messages';
import type { TrafficStatus } from '../../shared/deployment';
import { statusView, type BlueGreenContext } from './context';

/** Phases a rollback request is honoured in: everything before teardown. */
const rollbackable: Phase[] = ['staging', 'awaiting_tests', 'awaiting_approval', 'activating', 'baking', 'draining'];

export function installSteering(ctx: BlueGreenContext): void {
  const { tracker, status, steering } = ctx;
  setHandler(statusQuery, () => statusView(ctx));
  setHandler(testsPassedSignal, (msg) => {
    if (tracker.phase !== 'awaiting_tests')
      return tracker.ignored('tests passed', `the deployment is ${tracker.phase}`);
    steering.testsVerdict = 'passed';
    status.testsReportedBy = msg?.by;
  });
  setHandler(testsFailedSignal, (msg) => {
    if (tracker.phase !== 'awaiting_tests')
      return tracker.ignored('tests failed', `the deployment is ${tracker.phase}`);
    steering.testsVerdict = 'failed';
    steering.testsFailure = `tests failed${msg?.by ? ` (reported by ${msg.by})` : ''}${msg?.reason ? `: ${msg.reason}` : ''}`;
    status.testsReportedBy = msg?.by;
    status.reason = steering.testsFailure;
  });
  setHandler(approveSignal, (msg) => {
    if (tracker.phase !== 'awaiting_approval') return tracker.ignored('approval', `the deployment is ${tracker.phase}`);
    steering.approved = true;
    status.approvedBy = msg?.by ?? 'unknown';
    tracker.note(`approved by ${status.approvedBy}`);
  });
  acceptRollbacks(tracker, ctx.main, rollbackable, steering.rollback);

  setHandler(pauseSignal, (msg) => {
    const traffic = ctx.traffic;
    if (!traffic || !['activating', 'baking'].includes(tracker.phase))
      return tracker.ignored('pause', `the deployment is ${tracker.phase}`);
    if (traffic.paused) return tracker.ignored('pause', 'already paused');
    traffic.paused = true;
    tracker.note(`paused at ${traffic.percent}% by ${msg?.by ?? 'unknown'}${msg?.reason ? `: ${msg.reason}` : ''}`);
  });
  setHandler(resumeSignal, (msg) => {
    const traffic = ctx.traffic;
    if (!traffic || (!traffic.paused && !steering.ruleHeld))
      return tracker.ignored('resume', 'the deployment is not paused');
    traffic.paused = false;
    steering.ruleHeld = false;
    tracker.note(`resumed at ${traffic.percent}% by ${msg?.by ?? 'unknown'}`);
  });
  setHandler(promoteSignal, (msg) => {
    const traffic = ctx.traffic;
    if (!traffic || !['activating', 'baking'].includes(tracker.phase))
      return tracker.ignored('promote', `the deployment is ${tracker.phase}`);
    if (traffic.promoted) return tracker.ignored('promote', 'already promoted');
    traffic.promoted = true;
    traffic.paused = false;
    tracker.note(
      `promoted by ${msg?.by ?? 'unknown'}: ${tracker.phase === 'baking' ? 'ending the bake at 100%' : 'skipping the remaining steps and the bake, to 100%'}`,
    );
  });
}

export async function testsGate(ctx: BlueGreenContext): Promise<void> {
  const { spec, tracker, status, steering } = ctx;
  tracker.enter(
    'awaiting_tests',
    `ready for tests on ${spec.hosts.stage}`,
    `tests passed / tests failed (timeout ${formatDuration(spec.timeouts.testsMs)})`,
  );
  const answered = await condition(() => steering.testsVerdict !== undefined, spec.timeouts.testsMs);
  if (!answered) throw rollbackBecause(`no test result within ${formatDuration(spec.timeouts.testsMs)}`);
  if (steering.testsVerdict === 'failed') throw rollbackBecause(steering.testsFailure ?? 'tests failed');
  tracker.note(`tests passed${status.testsReportedBy ? ` (reported by ${status.testsReportedBy})` : ''}`);
}

export async function approvalGate(ctx: BlueGreenContext): Promise<void> {
  const { spec, tracker, steering } = ctx;
  if (!spec.approval.required) return;
  const timeout = formatDuration(spec.approval.timeoutMs);
  tracker.enter(
    'awaiting_approval',
    'waiting for approval',
    `approve or rollback (timeout ${timeout}, then ${spec.approval.onTimeout})`,
  );
  if (await condition(() => steering.approved, spec.approval.timeoutMs)) return;
  if (spec.approval.onTimeout === 'rollback') throw rollbackBecause(`not approved within ${timeout}`);
  tracker.note(`not approved within ${timeout}: continuing, as the spec says`);
}

/** Holds while a pause is in force (until resume or promote). */
export async function holdWhilePaused(ctx: BlueGreenContext, traffic: TrafficStatus): Promise<void> {
  if (!traffic.paused) return;
  ctx.tracker.waiting(`holding at ${traffic.percent}%`, 'resume or promote');
  await condition(() => !traffic.paused || traffic.promoted);
}
