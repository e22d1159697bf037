// Replays recorded deployment histories (test/histories, recorded by the end-to-end tests with
// SWITCHYARD_RECORD_HISTORIES=1) against today's workflow code: a change that would break deployments
// already running (non-determinism) fails here. Re-record only when such a break is intended and guarded
// with patched(). test/histories/incidents holds histories recorded from broken deployments.
import fs from 'node:fs';
import path from 'node:path';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { Worker } from '@temporalio/worker';
import { servers } from '../support/servers';

const dir = path.resolve(__dirname, '..', 'histories');
const files = fs.readdirSync(dir).filter((f) => f.endsWith('.json'));

describe('replay of recorded deployments', () => {
  it('has histories to replay', () => {
    expect(files).toEqual(
      expect.arrayContaining([
        'first-deployment.json',
        'bake-after-worker-crash-1.json',
        'bake-after-worker-crash-2.json',
        'second-deployment-approved.json',
        'rollback-while-draining.json',
        'progressive-rollback-at-50-percent.json',
        'progressive-paused-resumed-promoted.json',
        'rolling-success.json',
        'rolling-circuit-breaker-rollback.json',
        'rolling-one-liner.json',
        'rolling-one-liner-circuit-breaker.json',
        'rolling-force-new-deployment.json',
        'adoption-canary-scale-to-zero.json',
        'adoption-rollback-at-10-percent.json',
        'adoption-rule-changed-paused-resumed.json',
        'progressive-approval-step.json',
        'notifications-approved.json',
        'notifications-rolled-back-dead-webhook.json',
        'code-deploy-success.json',
        'code-deploy-rollback-termination-wait.json',
        // A release and one of its services (issue 19), and a release rolled back in its last drain.
        'release-lockstep.json',
        'release-lockstep-service.json',
        'release-ordered-rollback-in-drain.json',
        // CodeDeploy mode before its tearing_down phase after CodeDeploy's success.
        'code-deploy-success.before-code-deploy-tearing-down.json',
        // Rolled back before failed workflows carried the outcome: they completed with it.
        'progressive-rollback-at-50-percent.before-outcome-in-workflow-status.json',
        'rolling-circuit-breaker-rollback.before-outcome-in-workflow-status.json',
        // Steered by signals, before the CLI sent its messages as Updates: signals still replay.
        'second-deployment-approved.before-message-updates.json',
        'progressive-paused-resumed-promoted.before-message-updates.json',
      ]),
    );
  });

  it('holds the messages the CLI sends as accepted and completed Updates, and the older ones as signals', () => {
    const events = (file: string) =>
      (JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8')) as { events: Record<string, unknown>[] }).events;
    const names = (file: string, key: string) =>
      events(file).flatMap((e) => {
        const attrs = e[key] as { acceptedRequest?: { input?: { name?: string } }; signalName?: string } | undefined;
        return attrs ? [attrs.acceptedRequest?.input?.name ?? attrs.signalName] : [];
      });
    expect(names('second-deployment-approved.json', 'workflowExecutionUpdateAcceptedEventAttributes')).toEqual([
      'testsPassed',
      'approve',
    ]);
    expect(names('second-deployment-approved.json', 'workflowExecutionUpdateCompletedEventAttributes')).toHaveLength(2);
    expect(
      names('second-deployment-approved.before-message-updates.json', 'workflowExecutionSignaledEventAttributes'),
    ).toEqual(['testsPassed', 'approve']);
  });

  it('ends a rolled-back deployment as a failed workflow carrying its result, and labels its timers', () => {
    type Event = Record<string, unknown> & { userMetadata?: { summary?: { data?: string } } };
    const events = (file: string) =>
      (JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8')) as { events: Event[] }).events;
    const failure = (file: string) =>
      (events(file).at(-1)?.workflowExecutionFailedEventAttributes as { failure?: Record<string, unknown> } | undefined)
        ?.failure as { applicationFailureInfo?: { type?: string; details?: { payloads?: { data?: string }[] } } };
    const decoded = (data?: string) => JSON.parse(Buffer.from(data ?? '', 'base64').toString()) as unknown;
    const rolledBack = failure('progressive-rollback-at-50-percent.json').applicationFailureInfo;
    expect(rolledBack?.type).toBe('DeploymentRolledBack');
    expect(decoded(rolledBack?.details?.payloads?.[0]?.data)).toMatchObject({ phase: 'rolled_back', leftovers: [] });
    // Recorded before the patch: completed with the same result, and still replayed below.
    expect(events('progressive-rollback-at-50-percent.before-outcome-in-workflow-status.json').at(-1)).toHaveProperty(
      'workflowExecutionCompletedEventAttributes',
    );
    const summaries = events('progressive-rollback-at-50-percent.json')
      .filter((e) => e.timerStartedEventAttributes)
      .map((e) => decoded(e.userMetadata?.summary?.data));
    expect(summaries).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^tests gate timeout \(/),
        expect.stringMatching(/^bake at 50% \(1 of \d+\)$/),
      ]),
    );
  });

  it.each(files)('%s replays without non-determinism', async (file) => {
    const history = historyFromJSON(JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8')));
    await expect(
      Worker.runReplayHistory({ workflowBundle: { codePath: servers.workflowBundlePath }, replayName: file }, history),
    ).resolves.toBeUndefined();
  });
});

describe('the incident of issue 11 (a deployment wedged after a worker crash mid-bake)', () => {
  // Its bake at 5% decided with `remaining -= Date.now() - started` whether to start another timer. The
  // first execution of that workflow task ran on a restarted worker that had just answered a status
  // query without the deployment in its cache: sdk-core applied the history as it stood, including the
  // TimerFired event after the last WorkflowTaskStarted, in an activation stamped with that last task's
  // time (workflow time only moves at a WorkflowTaskStarted event), so it measured ~0 ms across the 3 s
  // timer and started a fourth timer (event 134). Any replay applies the same TimerFired in the task
  // that started 13 s later and measures 13 s. Both executions saw the same events; only the time
  // differed, so no workflow code can produce event 134 on replay and still end a bake on time when a
  // worker really is down for 13 s. Such deployments are got out with `switchyard recover`.
  it('cannot replay on any code: the recorded branch depended on a time only its first execution saw', async () => {
    const history = historyFromJSON(
      JSON.parse(fs.readFileSync(path.join(dir, 'incidents', 'bake-after-worker-crash.json'), 'utf8')),
    );
    await expect(
      Worker.runReplayHistory(
        { workflowBundle: { codePath: servers.workflowBundlePath }, replayName: 'incident' },
        history,
      ),
    ).rejects.toThrow(/No command scheduled for event HistoryEvent\(id: 134, TimerStarted\)/);
  });
});
