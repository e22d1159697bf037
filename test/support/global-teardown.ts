// After the run: every call went through the conformance layer; any refusal means the product (or a
// test) did something AWS would refuse, and any task started before its role propagated something AWS
// would fail: the run fails with what it was. Tests that provoke refusals on
// purpose run their own proxy (test/conformance), so this one's count stays theirs to explain.
import fs from 'node:fs';

export default async function globalTeardown(): Promise<void> {
  const state = globalThis.switchyardHarness;
  if (!state) return;
  const report = state.proxy?.conformance();
  await Promise.all([...state.environments.map((env) => env.teardown()), state.stopMoto?.()]);
  fs.rmSync(state.tmpDir, { recursive: true, force: true });
  if (report) {
    const throttled =
      Object.entries(report.throttled)
        .map(([bucket, n]) => `${bucket} ${n}`)
        .join(', ') || 'none';
    console.error(
      `conformance: ${report.checked} calls checked, ${report.violations} refused as AWS would, ${report.failedTaskLaunches} task launch(es) AWS would fail; throttled: ${throttled}; retries refused after a lost answer: ${report.retriesRefused}`,
    );
    if (report.violations) {
      const lines = report.recent.map((v) => `  ${v.at} ${v.operation} [${v.rule}]: ${v.message}`).join('\n');
      throw new Error(
        `the conformance layer refused ${report.violations} call(s) AWS would refuse (${JSON.stringify(report.byRule)}):\n${lines}`,
      );
    }
    if (report.failedTaskLaunches) {
      const lines = report.recentFailedTaskLaunches.map((v) => `  ${v.at} ${v.operation}: ${v.message}`).join('\n');
      throw new Error(`${report.failedTaskLaunches} service(s) started tasks AWS would fail to start:\n${lines}`);
    }
  }
}
