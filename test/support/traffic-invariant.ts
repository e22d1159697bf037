// While a scenario runs: polls the emulated account and records a violation whenever the production rule
// sends traffic to a target group with no ACTIVE service or no healthy target behind it, or when its
// weights do not add up to 100 (a previous deployment torn down before the rule moved off it shows up as
// the first kind). In CodeDeploy mode, the production listener's default action is watched the same way:
// each target group it sends traffic to must have a task set of the service behind it.
import { DescribeServicesCommand } from '@aws-sdk/client-ecs';
import {
  DescribeListenersCommand,
  DescribeRulesCommand,
  DescribeTagsCommand,
  DescribeTargetHealthCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import type { AwsClients } from '../../src/aws/clients';
import { resourceNames, tagKeys } from '../../src/shared/naming';

export interface InvariantScope {
  service: string;
  environment: string;
  cluster: string;
  listenerArn: string;
  productionHost: string;
}

export interface InvariantWatch {
  violations: string[];
  /** How many times the rule was checked. */
  checks: number;
  stop(): Promise<{ violations: string[]; checks: number }>;
}

async function checkOnce(clients: AwsClients, scope: InvariantScope): Promise<string[]> {
  const rules = (await clients.elbv2.send(new DescribeRulesCommand({ ListenerArn: scope.listenerArn }))).Rules ?? [];
  const rule = rules.find((r) => r.Conditions?.some((c) => c.HostHeaderConfig?.Values?.includes(scope.productionHost)));
  if (!rule) return [];
  const targets = (rule.Actions?.[0]?.ForwardConfig?.TargetGroups ?? []).filter((t) => (t.Weight ?? 0) > 0);
  const problems: string[] = [];
  const total = targets.reduce((sum, t) => sum + (t.Weight ?? 0), 0);
  if (total !== 100) problems.push(`weights add up to ${total}`);
  for (const t of targets) {
    const arn = t.TargetGroupArn!;
    const tags = (await clients.elbv2.send(new DescribeTagsCommand({ ResourceArns: [arn] })).catch(() => undefined))
      ?.TagDescriptions?.[0]?.Tags;
    const id = tags?.find((x) => x.Key === tagKeys.deployment)?.Value;
    if (!id) {
      problems.push(`${t.Weight}% to ${arn}, which no longer exists or is not Switchyard's`);
      continue;
    }
    const name = resourceNames(scope, id).ecsService;
    const svc = (await clients.ecs.send(new DescribeServicesCommand({ cluster: scope.cluster, services: [name] })))
      .services?.[0];
    if (svc?.status !== 'ACTIVE') problems.push(`${t.Weight}% to ${id}, whose service is ${svc?.status ?? 'gone'}`);
    const health =
      (await clients.elbv2.send(new DescribeTargetHealthCommand({ TargetGroupArn: arn })).catch(() => undefined))
        ?.TargetHealthDescriptions ?? [];
    if (!health.some((h) => h.TargetHealth?.State === 'healthy'))
      problems.push(`${t.Weight}% to ${id}, which has no healthy target`);
  }
  return problems;
}

/** A CODE_DEPLOY service's production listener. */
export interface ListenerScope {
  cluster: string;
  service: string;
  listenerArn: string;
}

async function checkListenerOnce(clients: AwsClients, scope: ListenerScope): Promise<string[]> {
  // The task sets first, then the listener: a target group whose task set went before the listener moved
  // off it is a violation; one that goes just after this read is not mistaken for one.
  const service = (
    await clients.ecs.send(new DescribeServicesCommand({ cluster: scope.cluster, services: [scope.service] }))
  ).services?.[0];
  const taskSets = (service?.taskSets ?? []).filter((t) => t.status !== 'DRAINING');
  const served = new Set(taskSets.flatMap((t) => t.loadBalancers ?? []).map((l) => l.targetGroupArn));
  const listener = (await clients.elbv2.send(new DescribeListenersCommand({ ListenerArns: [scope.listenerArn] })))
    .Listeners?.[0];
  const action = listener?.DefaultActions?.find((a) => a.Type === 'forward');
  const groups = action?.ForwardConfig?.TargetGroups ?? [{ TargetGroupArn: action?.TargetGroupArn, Weight: 100 }];
  const problems: string[] = [];
  const total = groups.reduce((sum, t) => sum + (t.Weight ?? 0), 0);
  if (total !== 100) problems.push(`weights add up to ${total}`);
  const seen =
    taskSets
      .map(
        (t) =>
          `${t.status} ${t.loadBalancers?.map((l) => l.targetGroupArn?.split('/')[1]).join('+') || 'no target group'}`,
      )
      .join(', ') || 'none';
  for (const t of groups.filter((g) => (g.Weight ?? 0) > 0))
    if (!served.has(t.TargetGroupArn))
      problems.push(
        `${t.Weight}% to ${t.TargetGroupArn}, which no task set of ${scope.service} serves (task sets: ${seen})`,
      );
  return problems;
}

/** Checks every `intervalMs` until stopped; each distinct violation is recorded once, with when. */
export function watchTrafficSafety(clients: AwsClients, scope: InvariantScope, intervalMs = 200): InvariantWatch {
  return watchWith(() => checkOnce(clients, scope), intervalMs);
}

/** The same for a CODE_DEPLOY service's production listener. */
export function watchListenerSafety(clients: AwsClients, scope: ListenerScope, intervalMs = 200): InvariantWatch {
  return watchWith(() => checkListenerOnce(clients, scope), intervalMs);
}

function watchWith(check: () => Promise<string[]>, intervalMs: number): InvariantWatch {
  const watch: InvariantWatch = { violations: [], checks: 0, stop: async () => ({ violations: [], checks: 0 }) };
  let running = true;
  const seen = new Set<string>();
  const loop = (async () => {
    while (running) {
      // An AWS call failing under injected faults is not a violation: the next round checks again.
      const problems = await check().catch(() => undefined);
      if (problems) {
        watch.checks += 1;
        for (const p of problems.filter((x) => !seen.has(x))) {
          seen.add(p);
          watch.violations.push(`${new Date().toISOString()} ${p}`);
        }
      }
      await new Promise((r) => setTimeout(r, intervalMs));
    }
  })();
  watch.stop = async () => {
    running = false;
    await loop;
    return { violations: watch.violations, checks: watch.checks };
  };
  return watch;
}
