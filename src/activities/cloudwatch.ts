import { DescribeAlarmsCommand, type CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { attempt } from './errors';
import { oneObject } from './inputs';

/** DescribeAlarms takes at most 100 names per call (the spec allows no more). */
const maxAlarmNames = 100;

export function createCloudWatchActivities(cloudwatch: CloudWatchClient) {
  return {
    /** The state (OK, ALARM, INSUFFICIENT_DATA) of each named alarm; alarms that do not exist are left out. */
    async describeAlarmStates(input: { alarmNames: string[] }): Promise<Record<string, string>> {
      const names = oneObject(input, 'alarmNames').alarmNames;
      const states: Record<string, string> = {};
      for (let i = 0; i < names.length; i += maxAlarmNames) {
        const batch = names.slice(i, i + maxAlarmNames);
        const out = await attempt(`describe CloudWatch alarms ${batch.join(', ')}`, () =>
          cloudwatch.send(
            new DescribeAlarmsCommand({
              AlarmNames: batch,
              AlarmTypes: ['MetricAlarm', 'CompositeAlarm'],
              MaxRecords: maxAlarmNames,
            }),
          ),
        );
        for (const alarm of [...(out.MetricAlarms ?? []), ...(out.CompositeAlarms ?? [])]) {
          if (alarm.AlarmName) states[alarm.AlarmName] = alarm.StateValue ?? 'INSUFFICIENT_DATA';
        }
      }
      return states;
    },
  };
}
