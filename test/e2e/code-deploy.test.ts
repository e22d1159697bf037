// End to end, CodeDeploy mode: `switchyard deploy` with `strategy: codeDeploy` drives the deployment group
// a team already has (the emulator runs CodeDeploy's ECS blue/green lifecycle, which moto does not),
// holds it at the ready wait for the tests and approval gates, and ends with CodeDeploy's outcome: active
// (exit 0), or rolled back (exit 2) with production read back on the original task set. After each case
// the production listener, the service's task sets and the CodeDeploy deployment are as expected, the
// production listener never sent traffic to a target group no task set serves, and the history replays.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { GetDeploymentCommand, ListDeploymentsCommand } from '@aws-sdk/client-codedeploy';
import { CreateServiceCommand, ListTaskDefinitionsCommand } from '@aws-sdk/client-ecs';
import { ModifyListenerCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { stringify } from 'yaml';
import { destroyAwsClients } from '../../src/aws/clients';
import { demoAccount } from '../../src/dev/demo';
import { seedAccount, type AccountClients } from '../../src/dev/seed';
import { waitUntilListed } from '../../src/dev/emulator/ec2-capacity';
import { createActivities } from '../../src/activities';
import { runCli, startCli } from '../support/cli';
import { codeDeployTaskDefinition, createCodeDeployService, type CodeDeployGroupOptions } from '../support/codedeploy';
import { deploymentIdOf, startE2eWorker, type E2eWorker } from '../support/e2e-worker';
import { checkHistory } from '../support/history-check';
import { historyOf, recordHistory } from '../support/histories';
import {
  atAwsPace,
  awsClientsOnMoto,
  iamPropagationMs,
  observerClientsOnMoto,
  resetAws,
  setAwsScenario,
} from '../support/servers';
import { watchListenerSafety, type InvariantWatch } from '../support/traffic-invariant';

const stamp = Date.now().toString(36).slice(-5);
const cluster = demoAccount.cluster;

describe('CodeDeploy mode, end to end', () => {
  let dir: string;
  let worker: E2eWorker;
  let clients: AccountClients;
  /** The invariant's reads: neither counted nor throttled by the emulator. */
  let observer: AccountClients;
  let count = 0;
  let demoSubnets: string[];

  beforeAll(async () => {
    await resetAws();
    clients = awsClientsOnMoto();
    observer = observerClientsOnMoto();
    await seedAccount(clients, demoAccount);
    demoSubnets = (await createActivities(clients).findLoadBalancer({ loadBalancer: demoAccount.loadBalancer }))!
      .subnetIds;
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchyard-codedeploy-'));
    worker = await startE2eWorker('codedeploy');
  });

  afterAll(async () => {
    await worker?.stop();
    destroyAwsClients(clients);
    destroyAwsClients(observer);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const watches: InvariantWatch[] = [];
  afterEach(async () => {
    // A test that failed early leaves its watch running.
    await Promise.all(watches.splice(0).map((w) => w.stop()));
    await setAwsScenario({});
  });

  /** A CODE_DEPLOY service of its own, its spec file, and a watch on its production listener. */
  async function service(group: CodeDeployGroupOptions, spec: Record<string, unknown> = {}) {
    count += 1;
    const name = `cd${stamp}${count}`;
    const s = await createCodeDeployService(clients, clients.codeDeploy, name, group);
    const file = path.join(dir, `${name}.yaml`);
    fs.writeFileSync(
      file,
      stringify({
        strategy: 'codeDeploy',
        service: name,
        environment: 'prod',
        cluster,
        ecsService: name,
        taskDefinition: codeDeployTaskDefinition(name, 'nginx:1'),
        container: { name: 'web', port: 80 },
        codeDeploy: { application: name, deploymentGroup: name },
        iamPropagation: `${iamPropagationMs}ms`,
        pinImageDigest: false,
        ...spec,
      }),
    );
    const watch = watchListenerSafety(observer, { cluster, service: name, listenerArn: s.production });
    watches.push(watch);
    return { ...s, file, watch };
  }

  /** The worker dies (SIGKILL), mid-task if it has one. */
  async function killWorker() {
    worker.worker.child.kill('SIGKILL');
    await worker.worker.exited;
  }

  /** A new worker process on the same task queue. */
  async function startWorkerAgain() {
    const again = startCli(['worker'], worker.env);
    await again.waitForOutput(/worker polling task queue/);
    worker = {
      ...worker,
      worker: again,
      async stop() {
        again.child.kill('SIGINT');
        await again.exited;
      },
    };
  }

  function deploy(file: string, image: string) {
    return startCli(['deploy', '-f', file, '--image', image, '--wait'], worker.env);
  }

  async function statusOf(id: string) {
    return JSON.parse((await runCli(['status', id, '--json'], worker.env)).stdout);
  }

  async function codeDeployment(id: string) {
    return (await clients.codeDeploy.send(new GetDeploymentCommand({ deploymentId: id }))).deploymentInfo!;
  }

  /** The deployment's history has no failed workflow task and replays against today's code. */
  async function expectCleanHistory(deploymentId: string) {
    const report = await checkHistory(deploymentId, await historyOf(deploymentId));
    expect(report.defects).toEqual([]);
    expect(report.failedTasks).toEqual({});
    return report;
  }

  async function expectNoViolations(watch: InvariantWatch) {
    const { violations, checks } = await watch.stop();
    expect(violations).toEqual([]);
    expect(checks).toBeGreaterThan(0);
  }

  /** Production and the test listener on the original task set, alone, running the original revision. */
  async function expectOnOriginal(s: Awaited<ReturnType<typeof service>>) {
    expect(await s.weights(s.production)).toEqual({ blue: 100, green: 0 });
    expect(await s.weights(s.test)).toEqual({ blue: 100, green: 0 });
    expect(await s.taskSets()).toEqual([{ status: 'PRIMARY', targetGroup: s.blue }]);
    expect(await s.revisions()).toEqual([s.original]);
  }

  it(
    'success: held at the ready wait for tests and approval, then CodeDeploy shifts production; active, exit 0',
    async () => {
      const s = await service(
        { readyWaitMinutes: 180, config: 'CodeDeployDefault.ECSCanary10Percent5Minutes' },
        { approval: { required: true, timeout: '1h' } },
      );
      const run = deploy(s.file, 'nginx:2');
      const id = await deploymentIdOf(run);
      await run.waitForOutput(/awaiting_tests/);
      const held = await statusOf(id);
      const codeDeployId = held.resources.codeDeployDeploymentId;
      expect(await codeDeployment(codeDeployId)).toMatchObject({
        status: 'Ready',
        description: expect.stringContaining(id),
      });
      // The replacement is up and takes test traffic; production has not moved.
      expect(await s.weights(s.test)).toEqual({ blue: 0, green: 100 });
      expect(await s.weights(s.production)).toEqual({ blue: 100, green: 0 });
      expect(await runCli(['pause', id], worker.env)).toMatchObject({
        code: 1,
        stderr: expect.stringContaining('CodeDeploy shifts production'),
      });
      expect((await runCli(['tests-passed', id], worker.env)).code).toBe(0);
      await run.waitForOutput(/awaiting_approval/);
      expect((await runCli(['approve', id, '--by', 'alice'], worker.env)).code).toBe(0);
      expect(await run.exited).toBe(0);
      expect(run.output()).toContain(`deployment ${id}: active`);

      expect(await s.weights(s.production)).toEqual({ blue: 0, green: 100 });
      expect(await s.taskSets()).toEqual([{ status: 'PRIMARY', targetGroup: s.green }]);
      const [revision] = await s.revisions();
      expect(revision).not.toBe(s.original);
      expect(await codeDeployment(codeDeployId)).toMatchObject({ status: 'Succeeded' });
      const status = await statusOf(id);
      expect(status).toMatchObject({
        phase: 'active',
        approvedBy: 'alice',
        resources: { taskDefinitionArn: revision, codeDeployDeploymentId: codeDeployId, serviceName: s.name },
        traffic: { plan: expect.stringContaining('CodeDeployDefault.ECSCanary10Percent5Minutes'), percent: 100 },
      });
      const notes = status.history.map((h: { note: string }) => h.note);
      expect(notes).toEqual(expect.arrayContaining(['CodeDeploy has 10% of production on the replacement task set']));
      await expectNoViolations(s.watch);
      await expectCleanHistory(id);
      await recordHistory('code-deploy-success', id);
    },
    atAwsPace(180_000),
  );

  it(
    'tests failed at the ready wait: CodeDeploy stops with rollback; rolled_back, exit 2, production never moved',
    async () => {
      const s = await service({ readyWaitMinutes: 180 });
      const run = deploy(s.file, 'nginx:2');
      const id = await deploymentIdOf(run);
      await run.waitForOutput(/awaiting_tests/);
      const codeDeployId = (await statusOf(id)).resources.codeDeployDeploymentId;
      expect((await runCli(['tests-failed', id, '--reason', 'checkout broken'], worker.env)).code).toBe(0);
      expect(await run.exited).toBe(2);
      expect(run.output()).toMatch(/rolled_back \(tests failed \(reported by e2e\): checkout broken\)/);
      await expectOnOriginal(s);
      expect(await codeDeployment(codeDeployId)).toMatchObject({
        status: 'Stopped',
        errorInformation: { code: 'MANUAL_STOP' },
      });
      await expectNoViolations(s.watch);
      await expectCleanHistory(id);
    },
    atAwsPace(180_000),
  );

  it(
    'approval timeout: rolled back by the gate, as the spec says; `switchyard wait` exits 2 with the reason',
    async () => {
      const s = await service({ readyWaitMinutes: 180 }, { approval: { required: true, timeout: '2s' } });
      expect((await runCli(['validate', '-f', s.file], worker.env)).stdout).toContain(
        `CodeDeploy deployment of ECS service ${s.name} by ${s.name}/${s.name}`,
      );
      const started = await runCli(['deploy', '-f', s.file, '--image', 'nginx:2'], worker.env);
      expect(started.code).toBe(0);
      const id = /^([a-z0-9]{8})$/m.exec(started.stdout)![1];
      const waited = startCli(['wait', id], worker.env);
      await waited.waitForOutput(/awaiting_tests/);
      expect((await runCli(['tests-passed', id], worker.env)).code).toBe(0);
      expect(await waited.exited).toBe(2);
      expect(waited.output()).toContain('rolled_back (not approved within 2s)');
      await expectOnOriginal(s);
      expect(await codeDeployment((await statusOf(id)).resources.codeDeployDeploymentId)).toMatchObject({
        status: 'Stopped',
      });
      await expectNoViolations(s.watch);
      await expectCleanHistory(id);
    },
    atAwsPace(180_000),
  );

  it(
    'recover: a deployment ended by force mid-way has its CodeDeploy deployment stopped with rollback and its revision deregistered',
    async () => {
      const s = await service({ readyWaitMinutes: 180 });
      const run = deploy(s.file, 'nginx:2');
      const id = await deploymentIdOf(run);
      await run.waitForOutput(/awaiting_tests/);
      const codeDeployId = (await statusOf(id)).resources.codeDeployDeploymentId;
      const recovered = await runCli(['recover', id, '--by', 'oncall', '--force', '--json'], worker.env, 120_000);
      expect(recovered).toMatchObject({ code: 0 });
      expect(JSON.parse(recovered.stdout)).toMatchObject({
        production: 'restored',
        live: s.original,
        leftovers: [],
        actions: expect.arrayContaining([
          expect.stringContaining(`CodeDeploy deployment ${codeDeployId}: stop with rollback requested`),
        ]),
      });
      await run.exited;
      await expectOnOriginal(s);
      expect(await codeDeployment(codeDeployId)).toMatchObject({ status: 'Stopped' });
      expect(
        (await clients.ecs.send(new ListTaskDefinitionsCommand({ familyPrefix: s.name, status: 'ACTIVE' })))
          .taskDefinitionArns,
      ).toEqual([s.original]);
      await expectNoViolations(s.watch);
    },
    atAwsPace(180_000),
  );

  it(
    'rollback during the termination wait: StopDeployment with rollback, answered once production is back on the original task set',
    async () => {
      // All at once, then a termination wait of 10 minutes (12 s scaled): the rollback lands inside it.
      const s = await service({
        readyWaitMinutes: 180,
        config: 'CodeDeployDefault.ECSAllAtOnce',
        terminationWaitMinutes: 10,
      });
      const run = deploy(s.file, 'nginx:2');
      const id = await deploymentIdOf(run);
      await run.waitForOutput(/awaiting_tests/);
      expect((await runCli(['tests-passed', id], worker.env)).code).toBe(0);
      await run.waitForOutput(/baking/);
      expect(await s.weights(s.production)).toEqual({ blue: 0, green: 100 });
      const rollback = await runCli(['rollback', id, '--reason', 'error rate', '--json'], worker.env);
      expect(rollback).toMatchObject({ code: 0, stderr: '' });
      expect(JSON.parse(rollback.stdout)).toMatchObject({
        sent: 'rollback',
        answer: { note: 'production is back on the original task set (read back)', restoreMs: expect.any(Number) },
      });
      // Answered once production read back on the original task set.
      await expectOnOriginal(s);
      expect(await run.exited).toBe(2);
      expect(run.output()).toContain('rolled_back (rollback requested by e2e: error rate)');
      const status = await statusOf(id);
      expect(await codeDeployment(status.resources.codeDeployDeploymentId)).toMatchObject({
        status: 'Stopped',
        rollbackInfo: { rollbackDeploymentId: expect.any(String) },
      });
      expect(status.traffic).toMatchObject({ percent: 0, restoredAt: expect.any(String) });
      await expectNoViolations(s.watch);
      await expectCleanHistory(id);
      await recordHistory('code-deploy-rollback-termination-wait', id);
    },
    atAwsPace(180_000),
  );

  it(
    "a failing lifecycle event: CodeDeploy's rollback (Switchyard asks for it whatever the group says); rolled_back with CodeDeploy's reason and the event",
    async () => {
      // The group itself does not roll back on failure: the deployment Switchyard starts does.
      const s = await service({ readyWaitMinutes: 180, config: 'CodeDeployDefault.ECSAllAtOnce' });
      await setAwsScenario({ failingLifecycleEvent: 'AfterAllowTraffic' });
      const run = deploy(s.file, 'nginx:2');
      const id = await deploymentIdOf(run);
      await run.waitForOutput(/awaiting_tests/);
      expect((await runCli(['tests-passed', id], worker.env)).code).toBe(0);
      expect(await run.exited).toBe(2);
      expect(run.output()).toMatch(
        /rolled_back \(CodeDeploy deployment \S+ Failed: HOOK_EXECUTION_FAILURE: .*\(AfterAllowTraffic\)\.; lifecycle event AfterAllowTraffic failed \(ScriptFailed: .*\); rolled back by CodeDeploy deployment \S+\)/,
      );
      await expectOnOriginal(s);
      await expectNoViolations(s.watch);
      await expectCleanHistory(id);
    },
    atAwsPace(180_000),
  );

  it(
    'a second deployment is refused: one in flight in the group (started outside Switchyard) is named, and nothing is registered',
    async () => {
      const s = await service({ readyWaitMinutes: 180 });
      const theirs = await s.deploy('nginx:theirs');
      const family = async () =>
        (await clients.ecs.send(new ListTaskDefinitionsCommand({ familyPrefix: s.name }))).taskDefinitionArns ?? [];
      const before = await family();
      const run = deploy(s.file, 'nginx:2');
      const id = await deploymentIdOf(run);
      expect(await run.exited).toBe(1);
      expect(run.output()).toContain(
        `failed (invalid input: CodeDeploy deployment group ${s.name}/${s.name} already has a deployment in progress: ${theirs}`,
      );
      expect(await family()).toEqual(before);
      // Theirs goes on untouched.
      const listed = await clients.codeDeploy.send(
        new ListDeploymentsCommand({ applicationName: s.name, deploymentGroupName: s.name }),
      );
      expect(listed.deployments).toEqual([theirs]);
      expect((await codeDeployment(theirs)).status).not.toMatch(/Stopped|Failed/);
      await s.watch.stop();
      await expectCleanHistory(id);
    },
    atAwsPace(120_000),
  );

  it(
    'refused before any change: a service on the ECS controller, a missing service, a group that would shift traffic on its own',
    async () => {
      const auto = await service({});
      const refused = async (file: string, message: string) => {
        const run = deploy(file, 'nginx:2');
        await deploymentIdOf(run);
        expect(await run.exited).toBe(1);
        expect(run.output()).toContain(message);
      };
      await refused(auto.file, 'shifts production as soon as the replacement task set is up');
      expect(await auto.revisions()).toEqual([auto.original]);
      await auto.watch.stop();

      // An hour of tests gate (the default) does not fit in 62 minutes of ready wait with the margin.
      const short = await service({ readyWaitMinutes: 62 });
      await refused(
        short.file,
        'holds traffic for 62 min (deploymentReadyOption.waitTimeInMinutes), less than the gates may wait (65m: timeouts.tests + 5m margin)',
      );
      await short.watch.stop();

      const onEcs = `${auto.name}-ecs`;
      await clients.ecs.send(
        new CreateServiceCommand({
          cluster,
          serviceName: onEcs,
          taskDefinition: auto.original,
          desiredCount: 1,
          launchType: 'FARGATE',
          networkConfiguration: {
            awsvpcConfiguration: { subnets: demoSubnets, securityGroups: [], assignPublicIp: 'DISABLED' },
          },
        }),
      );
      await waitUntilListed(clients, cluster, onEcs);
      const ecsController = path.join(dir, 'ecs-controller.yaml');
      fs.writeFileSync(
        ecsController,
        fs.readFileSync(auto.file, 'utf8').replace(/^ecsService: .*$/m, `ecsService: ${onEcs}`),
      );
      await refused(ecsController, `ECS service ${onEcs} uses the ECS deployment controller`);

      const missing = path.join(dir, 'missing.yaml');
      fs.writeFileSync(missing, fs.readFileSync(auto.file, 'utf8').replace(/^ecsService: .*$/m, 'ecsService: nosuch'));
      await refused(missing, `not found: ECS service nosuch in cluster ${cluster}`);
      expect(
        (await clients.ecs.send(new ListTaskDefinitionsCommand({ familyPrefix: auto.name }))).taskDefinitionArns,
      ).toEqual([auto.original]);
    },
    atAwsPace(120_000),
  );

  it(
    'a rollback that reaches the workflow after CodeDeploy succeeded: failed, saying so, and the revision production runs is kept',
    async () => {
      const s = await service({
        readyWaitMinutes: 180,
        config: 'CodeDeployDefault.ECSAllAtOnce',
        terminationWaitMinutes: 5,
      });
      const run = deploy(s.file, 'nginx:2');
      const id = await deploymentIdOf(run);
      await run.waitForOutput(/awaiting_tests/);
      expect((await runCli(['tests-passed', id], worker.env)).code).toBe(0);
      await run.waitForOutput(/baking/);
      const codeDeployId = (await statusOf(id)).resources.codeDeployDeploymentId;
      // No worker while CodeDeploy ends its termination wait (6 s scaled) and removes the original task set
      // (the emulator moves on CodeDeploy calls: these reads); the rollback is stored as a signal meanwhile.
      await killWorker();
      try {
        for (const deadline = Date.now() + 30_000; Date.now() < deadline; ) {
          if ((await codeDeployment(codeDeployId)).status === 'Succeeded') break;
          await new Promise((r) => setTimeout(r, 200));
        }
        expect(await s.taskSets()).toEqual([{ status: 'PRIMARY', targetGroup: s.green }]);
        expect((await runCli(['rollback', id, '--signal', '--reason', 'too late'], worker.env)).code).toBe(0);
      } finally {
        await startWorkerAgain();
      }
      expect(await run.exited).toBe(1);
      expect(run.output()).toContain('succeeded before it could be stopped: production runs');
      const [revision] = await s.revisions();
      expect(revision).not.toBe(s.original);
      const status = await statusOf(id);
      expect(status).toMatchObject({ phase: 'failed', leftovers: ['CodeDeploy deployment'] });
      expect(status.history.map((h: { note: string }) => h.note)).toEqual(
        expect.arrayContaining(['undo: task definition: kept (production runs this revision)']),
      );
      // The revision production runs is still registered.
      expect(
        (await clients.ecs.send(new ListTaskDefinitionsCommand({ familyPrefix: s.name, status: 'ACTIVE' })))
          .taskDefinitionArns,
      ).toEqual(expect.arrayContaining([revision]));
      expect((await codeDeployment(codeDeployId)).status).toBe('Succeeded');
      expect(await s.weights(s.production)).toEqual({ blue: 0, green: 100 });
      await expectNoViolations(s.watch);
      await expectCleanHistory(id);
    },
    atAwsPace(180_000),
  );

  it('the invariant fires: a production listener sending traffic to a target group no task set serves', async () => {
    const s = await service({ readyWaitMinutes: 180 });
    await clients.elbv2.send(
      new ModifyListenerCommand({
        ListenerArn: s.production,
        DefaultActions: [
          {
            Type: 'forward',
            ForwardConfig: {
              TargetGroups: [
                { TargetGroupArn: s.blue, Weight: 50 },
                { TargetGroupArn: s.green, Weight: 50 },
              ],
            },
          },
        ],
      }),
    );
    await new Promise((r) => setTimeout(r, 1_000));
    const { violations } = await s.watch.stop();
    expect(violations).toEqual([expect.stringContaining(`50% to ${s.green}, which no task set of ${s.name} serves`)]);
  });

  it(
    'a worker killed during the follow, twice, restarted after a real delay: the deployment carries on and its history replays',
    async () => {
      const s = await service({ readyWaitMinutes: 180, config: 'CodeDeployDefault.ECSLinear10PercentEvery1Minutes' });
      const run = deploy(s.file, 'nginx:2');
      const id = await deploymentIdOf(run);
      /** SIGKILL, a real pause, and a new worker process on the same task queue. */
      const restart = async () => {
        await killWorker();
        await new Promise((r) => setTimeout(r, 3_000));
        await startWorkerAgain();
      };
      // While staging (registering, starting CodeDeploy, following the install), then during the linear
      // shift (ten steps of 1 minute, 1.2 s scaled: the follow is what runs).
      await run.waitForOutput(/staging/);
      await restart();
      await run.waitForOutput(/awaiting_tests/);
      expect((await runCli(['tests-passed', id], worker.env)).code).toBe(0);
      await run.waitForOutput(/activating/);
      await restart();
      expect(await run.exited).toBe(0);
      expect(await s.weights(s.production)).toEqual({ blue: 0, green: 100 });
      expect(await s.taskSets()).toEqual([{ status: 'PRIMARY', targetGroup: s.green }]);
      await expectNoViolations(s.watch);
      const report = await expectCleanHistory(id);
      // A follow was cut short by a kill and retried on the new worker.
      expect(report).toMatchObject({ retriedActivities: { followCodeDeployDeployment: expect.any(Number) } });
    },
    atAwsPace(240_000),
  );
});
