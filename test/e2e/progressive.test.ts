// End to end, progressive traffic for real: the CLI deploys through the dev server to a worker process,
// against moto behind the behaviour proxy. The production rule is read from the emulated ALB while each
// deployment runs, and the account is checked afterwards: listener rules, target groups, services.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PutMetricAlarmCommand, SetAlarmStateCommand } from '@aws-sdk/client-cloudwatch';
import { DescribeServicesCommand, ListServicesCommand } from '@aws-sdk/client-ecs';
import { DescribeRulesCommand, DescribeTargetGroupsCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { stringify } from 'yaml';
import { createActivities } from '../../src/activities';
import { destroyAwsClients } from '../../src/aws/clients';
import { demoAccount } from '../../src/dev/demo';
import { seedAccount, type AccountClients } from '../../src/dev/seed';
import { resourceNames } from '../../src/shared/naming';
import { runCli, startCli, type LongRunningCli } from '../support/cli';
import { deploymentIdOf, startE2eWorker, type E2eWorker } from '../support/e2e-worker';
import { recordHistory } from '../support/histories';
import { addContainerInstances } from '../../src/dev/emulator/ec2-capacity';
import { atAwsPace, awsClientsOnMoto, iamPropagationMs, resetAws, setAwsScenario } from '../support/servers';

// On Fargate with names at the spec's length limits (service 20 characters, environment 10), and on EC2
// with bridge networking (instance targets; container instances to place tasks on); the histories come
// from the Fargate run.
const stamp = Date.now().toString(36).slice(-6);
const variants = [
  {
    label: 'Fargate, names at the length limits',
    service: `pt${stamp}`.padEnd(20, 'x'),
    environment: 'production',
    taskDefinition: {
      requiresCompatibilities: ['FARGATE'],
      networkMode: 'awsvpc',
      cpu: '256',
      memory: '512',
      containerDefinitions: [{ name: 'web', image: 'nginx:1', memory: 512 }],
    },
    containerInstances: 0,
    records: true,
  },
  {
    label: 'EC2 with bridge networking',
    service: `pt${stamp}b`,
    environment: 'test',
    taskDefinition: {
      requiresCompatibilities: ['EC2'],
      networkMode: 'bridge',
      containerDefinitions: [
        { name: 'web', image: 'nginx:1', memory: 256, portMappings: [{ containerPort: 80, hostPort: 0 }] },
      ],
    },
    containerInstances: 4,
    records: false,
  },
];

describe.each(variants)(
  'progressive traffic, end to end: $label',
  ({ service, environment, taskDefinition, containerInstances, records }) => {
    const hosts = { production: `${service}.switchyard.test`, stage: `stage.${service}.switchyard.test` };
    const alarm = `${service}-5xx`;
    const tg = (id: string) => resourceNames({ service, environment }, id).targetGroup;
    let dir: string;
    let worker: E2eWorker;
    let clients: AccountClients;
    let aws: ReturnType<typeof createActivities>;
    let listenerArn: string;
    let live: string;

    beforeAll(async () => {
      await resetAws();
      clients = awsClientsOnMoto();
      aws = createActivities(clients);
      await seedAccount(clients, demoAccount);
      if (containerInstances) await addContainerInstances(clients, demoAccount.cluster, containerInstances);
      listenerArn = await aws.ensureListener({
        loadBalancerArn: (await aws.findLoadBalancer({ loadBalancer: demoAccount.loadBalancer }))!.arn,
        port: 80,
      });
      await clients.cloudwatch.send(
        new PutMetricAlarmCommand({
          AlarmName: alarm,
          MetricName: 'HTTPCode_Target_5XX_Count',
          Namespace: 'AWS/ApplicationELB',
          Statistic: 'Sum',
          Period: 60,
          EvaluationPeriods: 1,
          Threshold: 5,
          ComparisonOperator: 'GreaterThanThreshold',
        }),
      );
      await setAlarm('OK');
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchyard-progressive-'));
      worker = await startE2eWorker('progressive');
    });

    afterAll(async () => {
      await worker?.stop();
      destroyAwsClients(clients);
      fs.rmSync(dir, { recursive: true, force: true });
    });

    async function setAlarm(state: 'OK' | 'ALARM'): Promise<void> {
      await clients.cloudwatch.send(
        new SetAlarmStateCommand({ AlarmName: alarm, StateValue: state, StateReason: 'e2e' }),
      );
    }

    function specFile(name: string, traffic: unknown): string {
      const file = path.join(dir, `${name}.yaml`);
      fs.writeFileSync(
        file,
        stringify({
          service,
          environment,
          cluster: demoAccount.cluster,
          taskDefinition,
          container: { name: 'web', port: 80 },
          desiredCount: 2,
          loadBalancer: { name: demoAccount.loadBalancer },
          hosts,
          hostedZone: demoAccount.hostedZone,
          timeouts: { steady: '3m', tests: '5m' },
          drain: '2s',
          iamPropagation: `${iamPropagationMs}ms`,
          // Images by tag outside ECR: not pinned (test/e2e/ecs-deploy.test.ts tests pinning).
          pinImageDigest: false,
          traffic,
          analysis: { alarms: [alarm], maxUnhealthyTargets: 0, interval: '1s' },
        }),
      );
      return file;
    }

    /** The production rule as "target-group=weight, ..." each time it changes, read from the ALB every 100 ms. */
    /** Watches a failed test left running: stopped after each test, so none reads the next test's account. */
    const watching = new Set<() => Promise<string[]>>();
    /** Deployments a failed test left running: rolled back, so the next test finds production as it expects. */
    const unfinished = new Map<string, LongRunningCli>();
    afterEach(async () => {
      for (const stop of watching) await stop().catch(() => undefined);
      for (const [id, deploy] of unfinished) {
        await runCli(['rollback', id], worker.env);
        await deploy.exited;
      }
      unfinished.clear();
    });

    function watchProduction(): { snapshots: string[]; stop: () => Promise<string[]> } {
      const snapshots: string[] = [];
      let running = true;
      const loop = (async () => {
        while (running) {
          const rule = await aws.findHostRule({ listenerArn, host: hosts.production });
          const now = (rule?.targets ?? [])
            .map((t) => `${t.targetGroupArn.split(':targetgroup/')[1].split('/')[0]}=${t.weight}`)
            .join(',');
          if (now && snapshots.at(-1) !== now) snapshots.push(now);
          await new Promise((r) => setTimeout(r, 100));
        }
      })();
      // A read that fails ends the watch; the test that stops it sees why.
      loop.catch(() => undefined);
      const stop = async () => {
        running = false;
        watching.delete(stop);
        await loop;
        return snapshots;
      };
      watching.add(stop);
      return { snapshots, stop };
    }

    async function startDeploy(file: string, image: string): Promise<{ deploy: LongRunningCli; id: string }> {
      const deploy = startCli(['deploy', '-f', file, '--image', image, '--wait'], worker.env);
      const id = await deploymentIdOf(deploy);
      unfinished.set(id, deploy);
      void deploy.exited.then(() => unfinished.delete(id));
      await deploy.waitForOutput(/awaiting_tests/);
      expect(await runCli(['tests-passed', id], worker.env)).toMatchObject({ code: 0 });
      return { deploy, id };
    }

    async function until(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 30_000): Promise<void> {
      const deadline = Date.now() + timeoutMs;
      while (!(await check())) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    }

    /** What the account holds for this service: rules by host, target groups, ACTIVE services. */
    async function account() {
      const rules = (await clients.elbv2.send(new DescribeRulesCommand({ ListenerArn: listenerArn }))).Rules ?? [];
      const hostRules = rules.filter((r) => !r.IsDefault && JSON.stringify(r.Conditions).includes(service));
      const groups = ((await clients.elbv2.send(new DescribeTargetGroupsCommand({}))).TargetGroups ?? [])
        .map((g) => g.TargetGroupName!)
        .filter((n) => n.startsWith(service));
      const arns =
        (await clients.ecs.send(new ListServicesCommand({ cluster: demoAccount.cluster }))).serviceArns ?? [];
      const described = arns.length
        ? ((await clients.ecs.send(new DescribeServicesCommand({ cluster: demoAccount.cluster, services: arns })))
            .services ?? [])
        : [];
      return {
        rules: hostRules.map((r) => r.Conditions![0].HostHeaderConfig!.Values![0]).sort(),
        targetGroups: groups.sort(),
        services: described
          .filter((s) => s.status === 'ACTIVE' && s.serviceName!.startsWith(service))
          .map((s) => s.serviceName!)
          .sort(),
      };
    }
    const onlyLive = (id: string) => ({
      rules: [hosts.production],
      targetGroups: [tg(id)],
      services: [resourceNames({ service, environment }, id).ecsService],
    });

    const steps = {
      type: 'steps',
      steps: [{ setWeight: 10 }, { pause: '2s' }, { setWeight: 50 }, { pause: '2s' }, { setWeight: 100 }],
    };

    it(
      'first deployment, then a 10% → 50% → 100% plan: weights change in order on the ALB, the previous deployment goes',
      async () => {
        const first = await startDeploy(specFile('first', 'allAtOnce'), 'nginx:1');
        expect(await first.deploy.exited).toBe(0);
        live = first.id;

        const watch = watchProduction();
        const second = await startDeploy(specFile('steps', steps), 'nginx:2');
        expect(await second.deploy.exited).toBe(0);
        expect(await watch.stop()).toEqual([
          `${tg(first.id)}=100`,
          `${tg(second.id)}=10,${tg(first.id)}=90`,
          `${tg(second.id)}=50,${tg(first.id)}=50`,
          `${tg(second.id)}=100`,
        ]);
        live = second.id;
        expect(await account()).toEqual(onlyLive(live));
      },
      atAwsPace(120_000),
    );

    it.each([
      [
        'an alarm firing at 50%',
        50,
        () => setAlarm('ALARM'),
        () => setAlarm('OK'),
        `analysis failed at 50% (step 4 of 5): alarm ${alarm} in ALARM`,
      ],
      [
        'targets going unhealthy at 10%',
        10,
        (id: string) => setAwsScenario({ unhealthyTargets: tg(id) }),
        () => setAwsScenario({}),
        'analysis failed at 10% (step 2 of 5): 2 unhealthy targets (at most 0 allowed)',
      ],
    ])(
      '%s rolls back: production all on the previous deployment, nothing of the new one left',
      async (_name, percent, breakIt, repair, reason) => {
        const watch = watchProduction();
        const { deploy, id } = await startDeploy(specFile('steps', steps), `nginx:${percent}`);
        await until(`${percent}% on the new deployment`, () =>
          watch.snapshots.some((s) => s.startsWith(`${tg(id)}=${percent},`)),
        );
        await breakIt(id);
        try {
          expect(await deploy.exited).toBe(2);
        } finally {
          await repair();
        }
        expect(deploy.output()).toContain(`deployment ${id}: rolled_back (${reason})`);
        if (records) await recordHistory(`progressive-rollback-at-${percent}-percent`, id);
        expect((await watch.stop()).at(-1)).toBe(`${tg(live)}=100`);
        expect(await account()).toEqual(onlyLive(live));
      },
      atAwsPace(120_000),
    );

    it(
      'pause holds the weight, resume goes on, promote goes to 100% at once',
      async () => {
        const watch = watchProduction();
        // The first two pauses outlast a CLI's start on a loaded machine: pause and promote must arrive in them.
        const slow = {
          type: 'steps',
          steps: [
            { setWeight: 10 },
            { pause: '12s' },
            { setWeight: 30 },
            { pause: '12s' },
            { setWeight: 60 },
            { pause: '3s' },
            { setWeight: 100 },
          ],
        };
        const { deploy, id } = await startDeploy(specFile('slow', slow), 'nginx:5');
        await until('10%', () => watch.snapshots.some((s) => s.startsWith(`${tg(id)}=10,`)));
        expect(await runCli(['pause', id, '--reason', 'dashboards'], worker.env)).toMatchObject({ code: 0 });
        await new Promise((r) => setTimeout(r, 5_000));
        expect(watch.snapshots.at(-1)).toBe(`${tg(id)}=10,${tg(live)}=90`);
        const status = JSON.parse((await runCli(['status', id, '--json'], worker.env)).stdout);
        expect(status.traffic).toMatchObject({ percent: 10, paused: true });
        expect(await runCli(['resume', id], worker.env)).toMatchObject({ code: 0 });
        await until('30%', () => watch.snapshots.some((s) => s.startsWith(`${tg(id)}=30,`)));
        expect(await runCli(['promote', id], worker.env)).toMatchObject({ code: 0 });
        expect(await deploy.exited).toBe(0);
        expect((await watch.stop()).slice(-3)).toEqual([
          `${tg(id)}=10,${tg(live)}=90`,
          `${tg(id)}=30,${tg(live)}=70`,
          `${tg(id)}=100`,
        ]);
        if (records) await recordHistory('progressive-paused-resumed-promoted', id);
        live = id;
        expect(await account()).toEqual(onlyLive(live));
      },
      atAwsPace(120_000),
    );

    it(
      'an approval step holds its weight until approved (promote cannot skip it), and records who approved',
      async () => {
        const watch = watchProduction();
        const gated = {
          type: 'steps',
          steps: [{ setWeight: 25 }, { approval: { timeout: '5m' } }, { setWeight: 100 }],
        };
        const { deploy, id } = await startDeploy(specFile('approval-step', gated), 'nginx:7');
        await deploy.waitForOutput(/awaiting_approval/);
        // The watch reads the ALB every 100 ms: the gate may open before it has seen the 25% the step set.
        await until('25% on the new deployment', () => watch.snapshots.at(-1) === `${tg(id)}=25,${tg(live)}=75`);
        expect(await runCli(['promote', id], worker.env)).toMatchObject({
          code: 1,
          stderr: `switchyard: deployment ${id}: promote refused: the deployment is awaiting_approval\n`,
        });
        const approved = await runCli(['approve', id, '--by', 'release-manager', '--json'], worker.env);
        expect(approved.code).toBe(0);
        expect(JSON.parse(approved.stdout).answer).toEqual({
          phase: 'activating',
          note: expect.stringMatching(
            /^approved by release-manager \(\d+@[^)]+\) \(at 25% \(step 2 of 3\)\); the deployment is activating$/,
          ),
        });
        expect(await deploy.exited).toBe(0);
        expect((await watch.stop()).slice(-2)).toEqual([`${tg(id)}=25,${tg(live)}=75`, `${tg(id)}=100`]);
        const status = JSON.parse((await runCli(['status', id, '--json'], worker.env)).stdout);
        expect(status).toMatchObject({ approvedBy: 'release-manager' });
        expect(status.approvals).toEqual([
          {
            at: expect.any(String),
            gate: 'at 25% (step 2 of 3)',
            by: 'release-manager',
            identity: expect.stringMatching(/^\d+@/),
          },
        ]);
        if (records) await recordHistory('progressive-approval-step', id);
        live = id;
        expect(await account()).toEqual(onlyLive(live));
      },
      atAwsPace(120_000),
    );

    it(
      'rollback during the bake at 100% puts production back in one listener change',
      async () => {
        const watch = watchProduction();
        const { deploy, id } = await startDeploy(specFile('bake', { type: 'allAtOnce', finalBake: '5m' }), 'nginx:6');
        await deploy.waitForOutput(/baking/);
        const previous = live;
        const rollback = await runCli(['rollback', id, '--reason', 'p99'], worker.env);
        expect(rollback.code).toBe(0);
        // Answered once production read back on the previous deployment, with the time that took.
        expect(rollback.stdout).toMatch(
          new RegExp(`^rollback: production restored to ${previous} \\(read back\\), \\d+ ms after the request`),
        );
        const rule = await aws.findHostRule({ listenerArn, host: hosts.production });
        expect(
          rule?.targets
            .filter((t) => t.weight > 0)
            .map((t) => t.targetGroupArn.split(':targetgroup/')[1].split('/')[0]),
        ).toEqual([tg(previous)]);
        expect(await deploy.exited).toBe(2);
        // One change: from all on the new deployment straight to all on the previous one.
        expect((await watch.stop()).slice(-2)).toEqual([`${tg(id)}=100`, `${tg(previous)}=100`]);
        const status = JSON.parse((await runCli(['status', id, '--json'], worker.env)).stdout);
        expect(status.traffic.restoreMs).toBeGreaterThanOrEqual(0);
        expect(await account()).toEqual(onlyLive(previous));
      },
      atAwsPace(120_000),
    );
  },
);
