// Switchyard's own metrics from the workflows, through the workflow metric meter: emitted when a workflow
// task first runs, never on replay. The worker serves them with Temporal's on its Prometheus endpoint
// (SWITCHYARD_METRICS_ADDRESS); the README lists them. Made at each use: the meter belongs to the
// running workflow, not to the module.
import { metricMeter } from '@temporalio/workflow';
import type { Phase, TerminalPhase } from '../../shared/deployment';
import type { AnalysisCheck } from '../../shared/traffic';

export type Strategy = 'blue_green' | 'rolling' | 'code_deploy' | 'release';

export const deploymentMetrics = {
  started(strategy: Strategy): void {
    metricMeter.createCounter('switchyard_deployments_started', '1', 'deployments started').add(1, { strategy });
  },
  ended(strategy: Strategy, outcome: TerminalPhase): void {
    metricMeter
      .createCounter('switchyard_deployments_ended', '1', 'deployments ended, by outcome')
      .add(1, { strategy, outcome });
  },
  leftPhase(strategy: Strategy, phase: Phase, seconds: number): void {
    metricMeter
      .createHistogram('switchyard_phase_duration_seconds', 'float', 's', 'time a deployment spent in a phase')
      .record(seconds, { strategy, phase });
  },
  /** From the start of a rollback until production no longer depends on the deployment. */
  safeAfterRollback(strategy: Strategy, seconds: number): void {
    metricMeter
      .createHistogram('switchyard_rollback_to_safe_seconds', 'float', 's', 'rollback start to production safe')
      .record(seconds, { strategy });
  },
  analysisFailed(checks: readonly AnalysisCheck[]): void {
    const failures = metricMeter.createCounter('switchyard_analysis_failures', '1', 'failed analysis checks');
    for (const check of checks) failures.add(1, { check });
  },
};
