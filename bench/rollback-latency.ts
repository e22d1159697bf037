// Rollback latency: from the rollback request (a signal through Temporal, as `switchyard rollback` sends
// it) to the production rule reading back all of production on the previous target group, while a
// deployment bakes at 100%. Beside it, in the same run: a bare ModifyRule round trip and a bare signal
// round trip. BENCH_ROLLBACKS=N (default 50).
import { ModifyRuleCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { resourceNames } from '../src/shared/naming';
import { resumeSignal, rollbackSignal, statusQuery, testsPassedSignal } from '../src/workflows/messages';
import {
  allAtOnce,
  benchSpec,
  progress,
  round1,
  startBenchStack,
  summary,
  waitForStatus,
  type Benchmark,
} from './support';

export const rollbackLatency: Benchmark = {
  name: 'rollback',
  title: 'Rollback latency',
  async run() {
    const rollbacks = Number(process.env.BENCH_ROLLBACKS ?? 50);
    const stack = await startBenchStack('rollback');
    const spec = benchSpec('rb', { drainMs: 1_000 });
    try {
      await stack.startWorker();
      const deploy = async (finalBakeMs: number) => {
        const { deploymentId, handle } = await stack.client.start(
          { ...spec, traffic: allAtOnce(finalBakeMs) },
          'bench',
        );
        await waitForStatus(handle, (s) => s.phase === 'awaiting_tests', 25);
        await handle.signal(testsPassedSignal, { by: 'bench' });
        return { deploymentId, handle };
      };
      const first = await deploy(0);
      await first.handle.result();
      const live = resourceNames(spec, first.deploymentId).targetGroup;
      const host = spec.hosts.production;

      const endToEnd: number[] = [];
      const inWorkflow: number[] = [];
      const signalRtt: number[] = [];
      for (let i = 0; i < rollbacks; i++) {
        const { handle } = await deploy(10 * 60_000);
        await waitForStatus(handle, (s) => s.phase === 'baking', 25);
        // A bare signal round trip (ignored by the workflow: it is not paused).
        let t = performance.now();
        await handle.signal(resumeSignal, { by: 'bench' });
        signalRtt.push(performance.now() - t);
        t = performance.now();
        await handle.signal(rollbackSignal, { by: 'bench' });
        for (;;) {
          const rule = await stack.aws.findHostRule({ listenerArn: stack.listenerArn, host });
          if (rule?.targets.length === 1 && rule.targets[0].targetGroupArn.includes(`/${live}/`)) break;
        }
        endToEnd.push(performance.now() - t);
        await handle.result();
        inWorkflow.push((await handle.query(statusQuery)).traffic?.restoreMs ?? NaN);
        if ((i + 1) % 10 === 0) progress(`rollback ${i + 1}/${rollbacks}: last ${round1(endToEnd.at(-1)!)} ms`);
      }
      // A bare ModifyRule round trip: the production rule set to what it already is.
      const rule = (await stack.aws.findHostRule({ listenerArn: stack.listenerArn, host }))!;
      const modifyRule: number[] = [];
      for (let i = 0; i < rollbacks; i++) {
        const t = performance.now();
        await stack.clients.elbv2.send(
          new ModifyRuleCommand({
            RuleArn: rule.ruleArn,
            Actions: [
              {
                Type: 'forward',
                ForwardConfig: {
                  TargetGroups: rule.targets.map((x) => ({ TargetGroupArn: x.targetGroupArn, Weight: x.weight })),
                },
              },
            ],
          }),
        );
        modifyRule.push(performance.now() - t);
      }
      const result = {
        rollbackToVerifiedMs: summary(endToEnd),
        restoreMsAsTheWorkflowSawIt: summary(inWorkflow),
        signalRttMs: summary(signalRtt),
        modifyRuleRttMs: summary(modifyRule),
      };
      const bare = result.signalRttMs.p50 + result.modifyRuleRttMs.p50;
      const ratio = round1(result.rollbackToVerifiedMs.p99 / bare);
      return {
        result: { ...result, p99OverBareRtts: ratio },
        rows: [
          {
            measure: `rollback request → production read back on the previous target group (${rollbacks} rollbacks)`,
            value: `p50 ${result.rollbackToVerifiedMs.p50} ms, p99 ${result.rollbackToVerifiedMs.p99} ms`,
          },
          {
            measure: 'bare signal RTT / bare ModifyRule RTT (p50)',
            value: `${result.signalRttMs.p50} ms / ${result.modifyRuleRttMs.p50} ms`,
          },
          {
            measure: 'end-to-end p99 over (p50 signal RTT + p50 ModifyRule RTT)',
            value: `${ratio}×`,
            target: '≤ 2×',
            met: ratio <= 2,
          },
        ],
      };
    } finally {
      await stack.stop();
    }
  },
};
