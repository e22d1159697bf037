// Chaos: deployments while 20% of AWS calls fail through the behaviour proxy (throttling, 5xx, latency,
// connections dropped after the work was done). Every deployment must end active with nothing duplicated
// or left behind, production never unsafe; the calls made and the faults met are counted and printed,
// and every call the worker made must be allowed by its IAM policy.
// Short in `npm test` (CHAOS_FAULT_DEPLOYMENTS, default 2); `npm run chaos` runs more. The draw is seeded
// (CHAOS_SEED, printed) so a run's fault sequence can be replayed.
import fs from 'node:fs';
import { policyFile } from '../../scripts/worker-policy';
import type { ProxyStats } from '../../src/dev/emulator/server';
import { chaosSpec, driveToEnd, expectHealthyHistories, scopeOf, useChaosStack } from '../support/chaos';
import { summarizeHistories, type HistoryReport } from '../support/history-check';
import { findLeaks } from '../support/leak-checker';
import { atAwsPace, servers, setAwsScenario } from '../support/servers';
import { watchTrafficSafety } from '../support/traffic-invariant';

const deployments = Number(process.env.CHAOS_FAULT_DEPLOYMENTS ?? 2);
/** The fault draw's seed, printed with the results: CHAOS_SEED=<it> replays the same fault sequence. */
const seed = Number(process.env.CHAOS_SEED ?? Math.floor(Math.random() * 2 ** 31));
const spec = chaosSpec(`fa${Date.now().toString(36).slice(-6)}`, { percent: 20, failureLimit: 1, drainMs: 1_000 });

async function stats(): Promise<ProxyStats> {
  return servers.emulator.stats();
}
const iamPrefixes: Record<string, string> = {
  ECS: 'ecs',
  ELBv2: 'elasticloadbalancing',
  Route53: 'route53',
  CloudWatch: 'cloudwatch',
  IAM: 'iam',
  ECR: 'ecr',
  ApplicationAutoScaling: 'application-autoscaling',
};
/** "ELBv2.ModifyRule" (the proxy's name of a call) → "elasticloadbalancing:ModifyRule". */
const iamAction = (operation: string) =>
  operation === 'Query.GetCallerIdentity' // STS: the proxy passes it through unclassified
    ? 'sts:GetCallerIdentity'
    : `${iamPrefixes[operation.split('.')[0]] ?? operation.split('.')[0]}:${operation.split('.')[1]}`;
// "No permissions are required to perform this operation." (https://docs.aws.amazon.com/STS/latest/APIReference/API_GetCallerIdentity.html)
const needsNoPermission = new Set(['sts:GetCallerIdentity']);
const total = (counts: Record<string, number | undefined>) =>
  Object.values(counts).reduce<number>((a, b) => a + (b ?? 0), 0);

describe(`chaos: ${deployments} deployments with 20% of AWS calls failing`, () => {
  const stack = useChaosStack('faults');
  afterAll(() => setAwsScenario({}));

  it(
    'every deployment ends active with no leak, no duplicate and no unsafe traffic moment',
    async () => {
      const watch = watchTrafficSafety(stack.clients, scopeOf(stack, spec), 100);
      await setAwsScenario({ faults: { rate: 0.2, latencyMs: 300, seed } });
      const before = await stats();
      const lines: string[] = [];
      const histories: HistoryReport[] = [];
      for (let i = 0; i < deployments; i++) {
        const { deploymentId, handle } = await stack.client.start({ ...spec, image: `nginx:${i + 2}` }, 'chaos');
        const outcome = await driveToEnd(handle);
        histories.push(...(await expectHealthyHistories(stack.client.temporal, [handle])));
        lines.push(`${deploymentId}: ${outcome.phase}${outcome.reason ? ` (${outcome.reason})` : ''}`);
        expect(outcome).toMatchObject({ phase: 'active', leftovers: [] });
        expect(await findLeaks(stack.clients, { ...scopeOf(stack, spec), live: deploymentId })).toEqual([]);
      }
      const after = await stats();
      await setAwsScenario({});
      const calls = total(after.calls) - total(before.calls);
      const { violations, checks } = await watch.stop();
      process.stdout.write(
        `faults (seed ${seed}): ${deployments} deployments, ${calls} AWS calls (${Math.round(calls / deployments)} a deployment), faults ${JSON.stringify(after.faults)}, ${checks} traffic checks, ${violations.length} violations; ${summarizeHistories(histories)}\n${lines.join('\n')}\n`,
      );
      expect(total(after.faults)).toBeGreaterThan(0);
      expect(violations).toEqual([]);
      // Every action the worker sent is granted by the worker's IAM policy (examples/iam/worker-policy.json;
      // what each grant is scoped to: test/unit/worker-policy.test.ts).
      const allowed = new Set(
        (
          JSON.parse(fs.readFileSync(policyFile, 'utf8')) as { Statement: { Effect: string; Action: string[] }[] }
        ).Statement.filter((st) => st.Effect === 'Allow').flatMap((st) => st.Action),
      );
      const sent = Object.keys(after.calls).map(iamAction);
      expect(sent.filter((action) => !allowed.has(action) && !needsNoPermission.has(action))).toEqual([]);
      expect(sent).toEqual(
        expect.arrayContaining([
          'ecs:CreateService',
          'elasticloadbalancing:ModifyRule',
          'route53:ChangeResourceRecordSets',
          'iam:CreateRole',
        ]),
      );
    },
    atAwsPace(20 * 60_000),
  );
});
