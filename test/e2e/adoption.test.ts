// Adopting a live service end to end, as a new user would: an account with a platform team's unmanaged,
// autoscaled Fargate service behind an HTTPS rule that signs users in (authenticate-oidc before the
// forward) on a host and a path. `switchyard init` writes the spec; the built CLI deploys it with a canary
// plan through the dev server to a worker process, against moto behind the conformance layer. While each
// deployment runs, production is read from the emulated account every 200 ms (by an observer the proxy
// neither counts nor faults): the rule's other actions and conditions, and the running tasks behind it.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  DescribeScalableTargetsCommand,
  DescribeScalingPoliciesCommand,
} from '@aws-sdk/client-application-auto-scaling';
import { DescribeServicesCommand, ListServicesCommand } from '@aws-sdk/client-ecs';
import {
  DescribeRulesCommand,
  DescribeTargetGroupsCommand,
  ModifyRuleCommand,
  type Rule,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { parse, stringify } from 'yaml';
import { destroyAwsClients } from '../../src/aws/clients';
import type { AccountClients } from '../../src/dev/seed';
import { resourceNames } from '../../src/shared/naming';
import { runCli, startCli, type LongRunningCli } from '../support/cli';
import { deploymentIdOf, startE2eWorker, type E2eWorker } from '../support/e2e-worker';
import { recordHistory } from '../support/histories';
import { atAwsPace, awsClientsOnMoto, iamPropagationMs, observerClientsOnMoto, resetAws } from '../support/servers';
import { seedUnmanagedService, type UnmanagedService } from '../support/unmanaged-service';

const steps = {
  type: 'steps',
  steps: [{ setWeight: 10 }, { pause: '2s' }, { setWeight: 50 }, { pause: '2s' }, { setWeight: 100 }],
};

describe('adopting a live service, end to end', () => {
  let dir: string;
  let worker: E2eWorker;
  let clients: AccountClients;
  let observer: AccountClients;
  let seeded: UnmanagedService;
  let original: Rule;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchyard-adoption-'));
    worker = await startE2eWorker('adoption');
  });
  afterAll(async () => {
    await worker?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  beforeEach(async () => {
    await resetAws();
    clients = awsClientsOnMoto();
    observer = observerClientsOnMoto();
    seeded = await seedUnmanagedService(clients);
    original = await readRule();
  });
  afterEach(() => {
    destroyAwsClients(clients);
    destroyAwsClients(observer);
  });

  const readRule = async (): Promise<Rule> =>
    (await observer.elbv2.send(new DescribeRulesCommand({ RuleArns: [seeded.ruleArn] }))).Rules![0];
  const forwardOf = (rule: Rule) =>
    (rule.Actions?.find((a) => a.Type === 'forward')?.ForwardConfig?.TargetGroups ?? [])
      .filter((g) => (g.Weight ?? 0) > 0)
      .map((g) => `${g.TargetGroupArn!.split(':targetgroup/')[1].split('/')[0]}=${g.Weight}`)
      .join(',');
  /**
   * A rule as AWS returns it: never an OIDC client secret (DescribeRules leaves it out), nor the
   * UseExistingClientSecret flag a write sends with it. moto echoes both back.
   */
  const asAwsReturnsIt = (rule: Rule): Rule => ({
    ...rule,
    Actions: (rule.Actions ?? []).map((a) => {
      if (!a.AuthenticateOidcConfig) return a;
      const config = { ...a.AuthenticateOidcConfig };
      delete config.ClientSecret;
      delete config.UseExistingClientSecret;
      return { ...a, AuthenticateOidcConfig: config };
    }),
  });
  /** What of the rule must never change: every condition, the priority, every action but the forward. */
  const besidesForward = (rule: Rule) => ({
    priority: rule.Priority,
    conditions: rule.Conditions,
    actions: (asAwsReturnsIt(rule).Actions ?? []).filter((a) => a.Type !== 'forward'),
  });

  /** The ACTIVE services of the cluster: name → {desired, running, target groups}. */
  async function services(): Promise<Map<string, { desired: number; running: number; groups: string[] }>> {
    const arns = (await observer.ecs.send(new ListServicesCommand({ cluster: seeded.cluster }))).serviceArns ?? [];
    const found = new Map<string, { desired: number; running: number; groups: string[] }>();
    for (let i = 0; i < arns.length; i += 10) {
      const out = await observer.ecs.send(
        new DescribeServicesCommand({ cluster: seeded.cluster, services: arns.slice(i, i + 10) }),
      );
      for (const s of out.services ?? [])
        if (s.status === 'ACTIVE')
          found.set(s.serviceName!, {
            desired: s.desiredCount ?? 0,
            running: s.runningCount ?? 0,
            groups: (s.loadBalancers ?? []).map((lb) => lb.targetGroupArn!),
          });
    }
    return found;
  }

  /**
   * Production as the load balancer serves it, every 200 ms: the forward's weights each time they change,
   * the fewest tasks running behind the groups it forwards to, and every reading whose rule lost anything
   * besides its forward action.
   */
  function watchProduction() {
    const weights: string[] = [];
    const changedBesidesForward: string[] = [];
    let fewestServing = Number.POSITIVE_INFINITY;
    let running = true;
    const expected = JSON.stringify(besidesForward(original));
    const loop = (async () => {
      while (running) {
        const rule = await readRule();
        const now = forwardOf(rule);
        if (weights.at(-1) !== now) weights.push(now);
        if (JSON.stringify(besidesForward(rule)) !== expected) changedBesidesForward.push(JSON.stringify(rule));
        const live = (rule.Actions?.find((a) => a.Type === 'forward')?.ForwardConfig?.TargetGroups ?? [])
          .filter((g) => (g.Weight ?? 0) > 0)
          .map((g) => g.TargetGroupArn!);
        const serving = [...(await services()).values()]
          .filter((s) => s.groups.some((g) => live.includes(g)))
          .reduce((n, s) => n + s.running, 0);
        fewestServing = Math.min(fewestServing, serving);
        await new Promise((r) => setTimeout(r, 200));
      }
    })();
    return {
      weights,
      stop: async () => {
        running = false;
        await loop;
        return { weights, changedBesidesForward, fewestServing };
      },
    };
  }

  async function generateSpec(retire: 'leave' | 'scaleToZero'): Promise<string> {
    const file = path.join(dir, `web-${retire}.yaml`);
    const init = await runCli(
      ['init', `${seeded.cluster}/${seeded.service.name}`, '-o', file, '--force', '--retire', retire],
      worker.env,
    );
    expect(init).toMatchObject({ code: 0 });
    // A test's pace: short steps, drain and analysis interval (the generated plan is a real canary).
    const doc = parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
    expect(doc).toMatchObject({
      adopt: { service: seeded.service.name, retire },
      autoScaling: { from: 'production' },
      productionRule: { pathPatterns: [seeded.pathPattern] },
    });
    Object.assign(doc, {
      traffic: steps,
      analysis: { maxUnhealthyTargets: 0, interval: '1s' },
      drain: '2s',
      timeouts: { steady: '3m', tests: '5m' },
      iamPropagation: `${iamPropagationMs}ms`,
      // Images by tag outside ECR: not pinned (test/e2e/ecs-deploy.test.ts tests pinning).
      pinImageDigest: false,
    });
    fs.writeFileSync(file, stringify(doc));
    return file;
  }

  async function startDeploy(file: string, image: string): Promise<{ deploy: LongRunningCli; id: string }> {
    const deploy = startCli(['deploy', '-f', file, '--image', image, '--wait'], worker.env);
    const id = await deploymentIdOf(deploy);
    await deploy.waitForOutput(/awaiting_tests/);
    expect(await runCli(['tests-passed', id], worker.env)).toMatchObject({ code: 0 });
    return { deploy, id };
  }

  const names = (file: string, id: string) => {
    const spec = parse(fs.readFileSync(file, 'utf8')) as { service: string; environment: string };
    return resourceNames(spec, id);
  };
  const resourceId = (service: string) => `service/${seeded.cluster}/${service}`;

  async function scalingOf(service: string) {
    const target = (
      await observer.applicationAutoScaling.send(
        new DescribeScalableTargetsCommand({ ServiceNamespace: 'ecs', ResourceIds: [resourceId(service)] }),
      )
    ).ScalableTargets?.[0];
    const policies =
      (
        await observer.applicationAutoScaling.send(
          new DescribeScalingPoliciesCommand({ ServiceNamespace: 'ecs', ResourceId: resourceId(service) }),
        )
      ).ScalingPolicies ?? [];
    return { target, policies };
  }

  async function targetGroupExists(arn: string): Promise<boolean> {
    const out = await observer.elbv2
      .send(new DescribeTargetGroupsCommand({ TargetGroupArns: [arn] }))
      .catch((err: Error) => (err.name === 'TargetGroupNotFoundException' ? undefined : Promise.reject(err)));
    return Boolean(out?.TargetGroups?.length);
  }

  it(
    'first deployment takes over by the canary plan: never fewer tasks, sign-in kept, scaling carried, the old service scaled to 0 and kept; the second replaces the first',
    async () => {
      const before = (await services()).get(seeded.service.name)!;
      expect(before.running).toBeGreaterThanOrEqual(seeded.scaling.min);
      const file = await generateSpec('scaleToZero');

      const watch = watchProduction();
      const first = await startDeploy(file, 'nginx:2');
      expect(await first.deploy.exited).toBe(0);
      const seen = await watch.stop();
      const firstNames = names(file, first.id);
      const seededGroup = seeded.targetGroup.name;
      expect(seen.weights).toEqual([
        `${seededGroup}=1`,
        `${firstNames.targetGroup}=10,${seededGroup}=90`,
        `${firstNames.targetGroup}=50,${seededGroup}=50`,
        `${firstNames.targetGroup}=100`,
      ]);
      expect(seen.changedBesidesForward).toEqual([]);
      expect(seen.fewestServing).toBeGreaterThanOrEqual(before.running);

      const after = await services();
      expect(after.get(firstNames.ecsService)!.desired).toBeGreaterThanOrEqual(before.running);
      // Retired as the spec says: at 0, its scaling suspended, not deleted; its target group kept.
      expect(after.get(seeded.service.name)).toMatchObject({ desired: 0 });
      expect((await scalingOf(seeded.service.name)).target?.SuspendedState).toMatchObject({
        DynamicScalingInSuspended: true,
        DynamicScalingOutSuspended: true,
        ScheduledScalingSuspended: true,
      });
      expect(await targetGroupExists(seeded.targetGroup.arn)).toBe(true);
      // The scaling followed the new service, request counts on its own target group.
      const carried = await scalingOf(firstNames.ecsService);
      expect(carried.target).toMatchObject({ MinCapacity: seeded.scaling.min, MaxCapacity: seeded.scaling.max });
      expect(carried.target?.SuspendedState).toMatchObject({
        DynamicScalingInSuspended: false,
        DynamicScalingOutSuspended: false,
      });
      expect(carried.policies.map((p) => p.PolicyName).sort()).toEqual([...seeded.scaling.policies].sort());
      const labels = carried.policies.flatMap(
        (p) => p.TargetTrackingScalingPolicyConfiguration?.PredefinedMetricSpecification?.ResourceLabel ?? [],
      );
      expect(labels).toHaveLength(1);
      expect(labels[0]).toMatch(new RegExp(`/targetgroup/${firstNames.targetGroup}/[0-9a-f]+$`));
      await recordHistory('adoption-canary-scale-to-zero', first.id);

      // The second deployment replaces the first: its service, scaling and target group go.
      const second = await startDeploy(file, 'nginx:3');
      expect(await second.deploy.exited).toBe(0);
      const secondNames = names(file, second.id);
      const now = await services();
      expect(now.has(firstNames.ecsService)).toBe(false);
      expect((await scalingOf(firstNames.ecsService)).target).toBeUndefined();
      expect(
        await targetGroupExists(
          (await readRule()).Actions!.find((a) => a.Type === 'forward')!.ForwardConfig!.TargetGroups![0]
            .TargetGroupArn!,
        ),
      ).toBe(true);
      expect(forwardOf(await readRule())).toBe(`${secondNames.targetGroup}=100`);
      expect(besidesForward(await readRule())).toEqual(besidesForward(original));
      expect((await scalingOf(secondNames.ecsService)).target).toMatchObject({ MinCapacity: seeded.scaling.min });
      // What Switchyard did not create is still there.
      expect(now.get(seeded.service.name)).toMatchObject({ desired: 0 });
      expect(await targetGroupExists(seeded.targetGroup.arn)).toBe(true);
    },
    atAwsPace(300_000),
  );

  it(
    'a rollback during adoption restores the rule exactly and leaves the old service as it was',
    async () => {
      const before = (await services()).get(seeded.service.name)!;
      const scalingBefore = await scalingOf(seeded.service.name);
      const file = await generateSpec('scaleToZero');
      const watch = watchProduction();
      const { deploy, id } = await startDeploy(file, 'nginx:4');
      const own = names(file, id);
      const deadline = Date.now() + 60_000;
      while (!watch.weights.some((w) => w.startsWith(`${own.targetGroup}=10,`))) {
        if (Date.now() > deadline) throw new Error('never reached 10%');
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(await runCli(['rollback', id, '--reason', 'e2e'], worker.env)).toMatchObject({ code: 0 });
      expect(await deploy.exited).toBe(2);
      const seen = await watch.stop();
      expect(seen.changedBesidesForward).toEqual([]);
      // Every action, condition and the priority as they were before Switchyard came.
      expect(asAwsReturnsIt(await readRule())).toEqual(asAwsReturnsIt(original));
      const after = await services();
      expect(after.has(own.ecsService)).toBe(false);
      expect(after.get(seeded.service.name)).toMatchObject({ desired: before.desired });
      expect((await scalingOf(own.ecsService)).target).toBeUndefined();
      expect(await targetGroupExists(seeded.targetGroup.arn)).toBe(true);
      const scalingAfter = await scalingOf(seeded.service.name);
      expect(scalingAfter.target).toEqual(scalingBefore.target);
      expect(scalingAfter.policies).toEqual(scalingBefore.policies);
      await recordHistory('adoption-rollback-at-10-percent', id);
    },
    atAwsPace(180_000),
  );

  it(
    "refuses, before any change, a spec whose rule conditions are not the live rule's",
    async () => {
      const file = await generateSpec('scaleToZero');
      const doc = parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
      delete doc.productionRule;
      const hostOnly = path.join(dir, 'host-only.yaml');
      fs.writeFileSync(hostOnly, stringify(doc));
      const before = await readRule();
      const refused = await runCli(['deploy', '-f', hostOnly, '--image', 'nginx:6', '--wait'], worker.env);
      expect(refused.code).toBe(1);
      expect(refused.stderr + refused.stdout).toContain(
        `the listener has priority 10: host-header ${seeded.productionHost}, path-pattern ${seeded.pathPattern}: set productionRule's pathPatterns and httpHeaders to that rule's`,
      );
      expect(await readRule()).toEqual(before);
      expect([...(await services()).keys()]).toEqual([seeded.service.name]);
    },
    atAwsPace(120_000),
  );

  it(
    'a rule changed by hand mid-deployment pauses it, untouched, until resume',
    async () => {
      const file = await generateSpec('leave');
      const watch = watchProduction();
      const { deploy, id } = await startDeploy(file, 'nginx:5');
      const own = names(file, id);
      const deadline = Date.now() + 60_000;
      while (!watch.weights.some((w) => w.startsWith(`${own.targetGroup}=10,`))) {
        if (Date.now() > deadline) throw new Error('never reached 10%');
        await new Promise((r) => setTimeout(r, 50));
      }
      // What a `terraform apply` would do: the rule back as Terraform knows it, all on the old group.
      await clients.elbv2.send(
        new ModifyRuleCommand({
          RuleArn: seeded.ruleArn,
          Actions: asAwsReturnsIt(original).Actions!.map((a) =>
            a.AuthenticateOidcConfig
              ? { ...a, AuthenticateOidcConfig: { ...a.AuthenticateOidcConfig, UseExistingClientSecret: true } }
              : a,
          ),
        }),
      );
      await deploy.waitForOutput(/changed outside Switchyard/);
      await new Promise((r) => setTimeout(r, 4_000));
      expect(forwardOf(await readRule())).toBe(`${seeded.targetGroup.name}=1`);
      const status = JSON.parse((await runCli(['status', id, '--json'], worker.env)).stdout);
      expect(status.traffic).toMatchObject({ paused: true });
      expect(await runCli(['resume', id], worker.env)).toMatchObject({ code: 0 });
      expect(await deploy.exited).toBe(0);
      const seen = await watch.stop();
      expect(seen.changedBesidesForward).toEqual([]);
      expect(forwardOf(await readRule())).toBe(`${own.targetGroup}=100`);
      // adopt.retire: leave: the old service runs on as it was, its scale-in (held during the shift) back on.
      expect((await services()).get(seeded.service.name)?.desired).toBe(seeded.service.desiredCount);
      expect((await scalingOf(seeded.service.name)).target?.SuspendedState).toMatchObject({
        DynamicScalingInSuspended: false,
        DynamicScalingOutSuspended: false,
        ScheduledScalingSuspended: false,
      });
      await recordHistory('adoption-rule-changed-paused-resumed', id);
    },
    atAwsPace(180_000),
  );
});
