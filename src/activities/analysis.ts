// One round of an analysis gate as one activity (one history event group per interval, whatever the
// number of checks): CloudWatch alarms, target health of the new target group, and an HTTP probe. The
// AWS calls are the CloudWatch and ELBv2 activities' own; this module only combines and judges.
import type { AnalysisCheck, AnalysisChecks, AnalysisResult } from '../shared/traffic';
import type { createCloudWatchActivities } from './cloudwatch';
import type { createElbv2Activities } from './elbv2';
import { statusMatches, type createHttpActivities } from './http';

interface Checkers {
  cloudwatch: ReturnType<typeof createCloudWatchActivities>;
  elbv2: ReturnType<typeof createElbv2Activities>;
  http: ReturnType<typeof createHttpActivities>;
}

export function createAnalysisActivities({ cloudwatch, elbv2, http }: Checkers) {
  return {
    async runAnalysis(input: { checks: AnalysisChecks; targetGroupArn: string }): Promise<AnalysisResult> {
      const { checks } = input;
      const failures: string[] = [];
      const observations: string[] = [];
      const failedChecks = new Set<AnalysisCheck>();
      const fail = (check: AnalysisCheck, failure: string) => {
        failures.push(failure);
        failedChecks.add(check);
      };
      const [alarms, health, probe] = await Promise.all([
        checks.alarms.length ? cloudwatch.describeAlarmStates({ alarmNames: checks.alarms }) : undefined,
        checks.maxUnhealthyTargets !== undefined
          ? elbv2.countTargetHealth({ targetGroupArn: input.targetGroupArn })
          : undefined,
        checks.http ? http.probeHttp(checks.http) : undefined,
      ]);
      if (alarms) {
        const firing = checks.alarms.filter((name) => alarms[name] === 'ALARM');
        const missing = checks.alarms.filter((name) => !(name in alarms));
        observations.push(`alarms: ${checks.alarms.map((n) => `${n}=${alarms[n] ?? 'missing'}`).join(', ')}`);
        if (firing.length) fail('alarms', `alarm ${firing.join(', ')} in ALARM`);
        if (missing.length) fail('alarms', `alarm ${missing.join(', ')} does not exist`);
      }
      if (health && checks.maxUnhealthyTargets !== undefined) {
        observations.push(`targets: ${health.healthy} healthy, ${health.unhealthy} unhealthy, ${health.other} other`);
        if (health.unhealthy > checks.maxUnhealthyTargets) {
          fail('targets', `${health.unhealthy} unhealthy targets (at most ${checks.maxUnhealthyTargets} allowed)`);
        }
      }
      if (probe && checks.http) {
        const { url, expectStatus, maxLatencyMs } = checks.http;
        observations.push(`http: ${url} → ${probe.status ?? probe.error} in ${probe.latencyMs} ms`);
        if (probe.status === undefined) fail('http', `http ${url}: ${probe.error}`);
        else if (!statusMatches(probe.status, expectStatus))
          fail('http', `http ${url}: status ${probe.status} (expected ${expectStatus})`);
        else if (probe.latencyMs > maxLatencyMs)
          fail('http', `http ${url}: ${probe.latencyMs} ms (at most ${maxLatencyMs} ms allowed)`);
      }
      return { at: new Date().toISOString(), failures, observations, failedChecks: [...failedChecks] };
    },
  };
}
