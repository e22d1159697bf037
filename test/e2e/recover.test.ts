// End to end, a deployment wedged on purpose and got out of it: a deployment started by a worker of an
// incompatible workflow version (test/support/poisoned-workflows.ts) is picked up by today's worker, whose
// every workflow task then fails with a non-determinism error, as the incident of issue 11 did. The
// built CLI must say so plainly (`status`, refusing `rollback`), and `switchyard recover` must put
// production back on the last known-good deployment (blue/green: the previous deployment, split traffic
// and all; rolling: the known-good revision), remove what the stuck deployment created, and end its
// workflow with the reason; the service then deploys again as usual.
import {
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  RegisterTaskDefinitionCommand,
} from '@aws-sdk/client-ecs';
import { bundleWorkflowCode, NativeConnection, Worker } from '@temporalio/worker';
import { temporal } from '@temporalio/proto';
import { createActivities } from '../../src/activities';
import { destroyAwsClients } from '../../src/aws/clients';
import type { DeploymentHandle } from '../../src/client/handle';
import { stuckTask } from '../../src/client/stuck';
import { demoAccount } from '../../src/dev/demo';
import type { AccountClients } from '../../src/dev/seed';
import { serviceWorkflowId, tagKeys } from '../../src/shared/naming';
import type { DeploymentSpec, DeploymentStatus, RollingSpec } from '../../src/shared/deployment';
import { pauseSignal, statusQuery, testsPassedSignal } from '../../src/workflows/messages';
import { chaosSpec, driveToEnd, scopeOf, useChaosStack } from '../support/chaos';
import { runCli, startCli, type LongRunningCli } from '../support/cli';
import { findLeaks } from '../support/leak-checker';
import { atAwsPace, awsClientsOnMoto, iamPropagationMs, servers, setAwsScenario } from '../support/servers';
import { watchTrafficSafety } from '../support/traffic-invariant';
import { createEc2Service } from '../../src/dev/emulator/ec2-capacity';

const suffix = Date.now().toString(36).slice(-6);
// A bake at 10% that outlasts the test: the deployment is wedged with production split.
const spec: DeploymentSpec = chaosSpec(`rc${suffix}`, { percent: 10, bakeMs: 30 * 60_000 });

describe('switchyard recover: a deployment wedged on a non-determinism error', () => {
  const stack = useChaosStack('recover');
  let clients: AccountClients;
  let bundle: string;
  let today: LongRunningCli | undefined;
  beforeAll(async () => {
    clients = awsClientsOnMoto();
    bundle = (
      await bundleWorkflowCode({ workflowsPath: require.resolve('../support/poisoned-workflows'), logger: quiet })
    ).code;
  });
  afterAll(async () => {
    today?.child.kill('SIGINT');
    await today?.exited;
    destroyAwsClients(clients);
    await setAwsScenario({});
  });

  async function stopTodaysWorkers(): Promise<void> {
    for (const w of [stack.worker.worker, today]) {
      w?.child.kill('SIGINT');
      await w?.exited;
    }
  }

  async function startTodaysWorker(): Promise<void> {
    await stopTodaysWorkers();
    today = startCli(['worker'], stack.worker.env);
    await today.waitForOutput(/worker polling task queue/);
  }

  /** Stops whichever worker of today runs, and runs `work` with a worker of the incompatible version. */
  async function onIncompatibleWorker<T>(work: () => Promise<T>): Promise<T> {
    await stopTodaysWorkers();
    const connection = await NativeConnection.connect({ address: servers.temporalAddress });
    const worker = await Worker.create({
      connection,
      taskQueue: stack.temporal.taskQueue,
      workflowBundle: { code: bundle },
      activities: createActivities(clients),
    });
    try {
      return await worker.runUntil(work);
    } finally {
      await connection.close();
    }
  }

  /** Today's worker takes over; a message makes it run the deployment's next task, which fails for ever. */
  async function wedge(handle: DeploymentHandle): Promise<void> {
    await startTodaysWorker();
    await handle.signal(pauseSignal, { by: 'test' });
    for (let i = 0; i < 300 && !(await stuckTask(handle)); i++) await new Promise((r) => setTimeout(r, 100));
    expect(await stuckTask(handle)).toMatchObject({ cause: 'NON_DETERMINISTIC_ERROR' });
  }

  /** A deployment started on the incompatible worker and driven until `until`, then wedged on today's. */
  async function stuckDeployment(
    deploySpec: DeploymentSpec,
    until: (s: DeploymentStatus) => boolean,
  ): Promise<{ deploymentId: string; handle: DeploymentHandle }> {
    const started = await onIncompatibleWorker(async () => {
      const it = await stack.client.start(deploySpec, 'test');
      for (let i = 0; i < 600; i++) {
        // The incompatible version registers its handlers after its first timer: retried until then.
        const status = await it.handle.query(statusQuery).catch(() => undefined);
        if (status && until(status)) return it;
        if (status?.phase === 'awaiting_tests') await it.handle.signal(testsPassedSignal, { by: 'test' });
        await new Promise((r) => setTimeout(r, 100));
      }
      throw new Error('the deployment never reached the point to wedge it at');
    });
    await wedge(started.handle);
    return started;
  }

  const recover = (id: string, ...more: string[]) =>
    runCli(['recover', id, '--by', 'oncall', ...more], stack.worker.env, 180_000);

  async function terminationReason(handle: DeploymentHandle): Promise<string | undefined> {
    const history = await handle.fetchHistory();
    return (
      history.events?.find(
        (e) => e.eventType === temporal.api.enums.v1.EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED,
      )?.workflowExecutionTerminatedEventAttributes?.reason ?? undefined
    );
  }

  it(
    'blue/green, stuck at 10%: status says so, rollback refuses, recover restores the previous deployment and cleans up',
    async () => {
      const first = await stack.client.start(spec, 'test');
      expect(await driveToEnd(first.handle)).toMatchObject({ phase: 'active' });
      const watch = watchTrafficSafety(stack.clients, scopeOf(stack, spec), 100);

      const { deploymentId, handle } = await stuckDeployment(
        { ...spec, image: 'nginx:2' },
        (s) => s.traffic?.percent === 10,
      );

      const status = await runCli(['status', deploymentId], stack.worker.env, 20_000);
      expect(status.code).toBe(0);
      expect(status.stdout).toMatch(
        new RegExp(`^STUCK +deployment ${deploymentId} is stuck: its workflow task has failed \\d+ time\\(s\\)`),
      );
      expect(status.stdout).toContain('NON_DETERMINISTIC_ERROR');
      expect(status.stdout).toContain(`switchyard recover ${deploymentId}`);

      // What `deploy --wait` follows it with gives up with the same words instead of waiting for ever.
      await expect(stack.client.follow(handle, () => undefined)).rejects.toThrow(`deployment ${deploymentId} is stuck`);

      const rollback = await runCli(['rollback', deploymentId, '--by', 'oncall'], stack.worker.env, 20_000);
      expect(rollback.code).toBe(1);
      expect(rollback.stderr).toContain(`cannot rollback: deployment ${deploymentId} is stuck`);

      const recovered = await recover(deploymentId, '--reason', 'wedged after a worker upgrade');
      expect(recovered.stderr).toContain(`deployment ${deploymentId} is stuck`);
      expect({ code: recovered.code, first: recovered.stdout.split('\n')[0] }).toEqual({
        code: 0,
        first: `recovered deployment ${deploymentId}: production is back on ${first.deploymentId}`,
      });
      expect(recovered.stdout).toContain(
        `production ${spec.hosts.production}: 100% on ${first.deploymentId} (read back)`,
      );

      expect((await handle.describe()).status.name).toBe('TERMINATED');
      expect(await terminationReason(handle)).toBe('switchyard recover by oncall: wedged after a worker upgrade');
      expect(await findLeaks(stack.clients, { ...scopeOf(stack, spec), live: first.deploymentId })).toEqual([]);
      expect((await watch.stop()).violations).toEqual([]);

      const after = JSON.parse((await runCli(['status', deploymentId, '--json'], stack.worker.env, 20_000)).stdout);
      expect(after).toMatchObject({
        deploymentId,
        workflowStatus: 'TERMINATED',
        reason: 'terminated: switchyard recover by oncall: wedged after a worker upgrade',
      });

      // Again, on the ended deployment: the same account, nothing more to do, same answer.
      const again = await recover(deploymentId);
      expect({ code: again.code, first: again.stdout.split('\n')[0] }).toEqual({
        code: 0,
        first: `recovered deployment ${deploymentId}: production is back on ${first.deploymentId}`,
      });
      expect(await findLeaks(stack.clients, { ...scopeOf(stack, spec), live: first.deploymentId })).toEqual([]);

      // The service deploys again; a deployment that is not stuck is not recovered without --force.
      const next = await stack.client.start(
        { ...spec, image: 'nginx:3', traffic: { ...spec.traffic!, steps: [{ kind: 'setWeight', percent: 100 }] } },
        'test',
      );
      for (let i = 0; i < 600 && (await next.handle.query(statusQuery)).phase !== 'awaiting_tests'; i++)
        await new Promise((r) => setTimeout(r, 100));
      const refused = await runCli(['recover', next.deploymentId], stack.worker.env, 20_000);
      expect({ code: refused.code, stderr: refused.stderr.trim() }).toEqual({
        code: 1,
        stderr: `switchyard: deployment ${next.deploymentId} is not stuck (its workflow tasks complete): roll it back with \`switchyard rollback ${next.deploymentId}\`, or pass --force to recover it anyway`,
      });
      expect(await driveToEnd(next.handle)).toMatchObject({ phase: 'active' });
      expect(await findLeaks(stack.clients, { ...scopeOf(stack, spec), live: next.deploymentId })).toEqual([]);
    },
    atAwsPace(10 * 60_000),
  );

  it(
    'blue/green, stuck while draining (production all on it, the previous one idle): recover puts production back on the previous one',
    async () => {
      const draining: DeploymentSpec = {
        ...chaosSpec(`rd${suffix}`, { percent: 100, bakeMs: 1_000, drainMs: 30 * 60_000 }),
      };
      const first = await stack.client.start(draining, 'test');
      expect(await driveToEnd(first.handle)).toMatchObject({ phase: 'active' });
      const { deploymentId } = await stuckDeployment({ ...draining, image: 'nginx:2' }, (s) => s.phase === 'draining');
      const recovered = await recover(deploymentId, '--json');
      expect(recovered.code).toBe(0);
      expect(JSON.parse(recovered.stdout)).toMatchObject({
        deploymentId,
        production: 'restored',
        live: first.deploymentId,
        leftovers: [],
      });
      expect(await findLeaks(stack.clients, { ...scopeOf(stack, draining), live: first.deploymentId })).toEqual([]);
    },
    atAwsPace(10 * 60_000),
  );

  it(
    'a first deployment, stuck with all of production: it stays live, the workflow ends, nothing else is touched',
    async () => {
      const alone: DeploymentSpec = { ...chaosSpec(`rf${suffix}`, { finalBakeMs: 30 * 60_000 }) };
      const { deploymentId } = await stuckDeployment(alone, (s) => s.phase === 'baking');
      const recovered = await recover(deploymentId, '--json');
      expect(recovered.code).toBe(0);
      expect(JSON.parse(recovered.stdout)).toMatchObject({
        deploymentId,
        production: 'kept',
        live: deploymentId,
        leftovers: [],
      });
      expect(await findLeaks(stack.clients, { ...scopeOf(stack, alone), live: deploymentId })).toEqual([]);
    },
    atAwsPace(10 * 60_000),
  );

  it(
    'a first deployment, stuck awaiting its tests (never live): recover removes all it staged, exit 0',
    async () => {
      const staged: DeploymentSpec = chaosSpec(`rn${suffix}`);
      const { deploymentId } = await stuckDeployment(staged, (s) => s.phase === 'awaiting_tests');
      const recovered = await recover(deploymentId, '--json');
      expect(recovered.code).toBe(0);
      expect(JSON.parse(recovered.stdout)).toMatchObject({ deploymentId, production: 'none', leftovers: [] });
      expect(await findLeaks(stack.clients, scopeOf(stack, staged))).toEqual([]);
    },
    atAwsPace(10 * 60_000),
  );

  it(
    'nothing verified to serve but the stuck deployment at 10%: production is left as it was, nothing it forwards to is removed, exit 1',
    async () => {
      const split: DeploymentSpec = { ...chaosSpec(`rl${suffix}`, { percent: 10, bakeMs: 30 * 60_000 }) };
      const first = await stack.client.start(split, 'test');
      expect(await driveToEnd(first.handle)).toMatchObject({ phase: 'active' });
      const { deploymentId } = await stuckDeployment({ ...split, image: 'nginx:2' }, (s) => s.traffic?.percent === 10);
      const rule = async () =>
        (await createActivities(stack.clients).findHostRule({
          listenerArn: stack.listenerArn,
          host: split.hosts.production,
        }))!.targets;
      const before = await rule();
      // The previous deployment's tasks stop running: it can no longer be verified to serve.
      await setAwsScenario({ neverSteady: `-${first.deploymentId}$` });
      const recovered = await recover(deploymentId, '--json');
      await setAwsScenario({});
      expect(recovered.code).toBe(1);
      const report = JSON.parse(recovered.stdout);
      expect(report).toMatchObject({ deploymentId, production: 'left' });
      expect([...report.leftovers].sort()).toEqual(
        [
          `production ${split.hosts.production} left as it was (${JSON.stringify(before)}): nothing else can serve it`,
          `deployment ${first.deploymentId}: production still forwards to it`,
          `deployment ${deploymentId}: production still forwards to it`,
        ].sort(),
      );
      expect(await rule()).toEqual(before);
    },
    atAwsPace(10 * 60_000),
  );

  it(
    'while a recovery runs, no deployment of the service can start',
    async () => {
      const locked = chaosSpec(`rk${suffix}`);
      const recovery = await stack.client.temporal.workflow.start('recoverDeployment', {
        taskQueue: stack.temporal.taskQueue,
        workflowId: serviceWorkflowId(locked.service, locked.environment),
        memo: { deploymentId: 'aaaaaaaa', recovery: true },
        args: [{ deploymentId: 'aaaaaaaa', spec: locked, requestedBy: 'test', reason: 'test', settleMs: 5_000 }],
      });
      await expect(stack.client.start(locked, 'test')).rejects.toThrow(
        `deployment aaaaaaaa of ${locked.service}/${locked.environment} is being recovered (switchyard recover): deploy once that has finished`,
      );
      // Nothing was ever deployed for this service: no production rule, nothing to restore.
      expect(await recovery.result()).toMatchObject({ deploymentId: 'aaaaaaaa', production: 'none', leftovers: [] });
    },
    atAwsPace(5 * 60_000),
  );

  it(
    'rolling, stuck in its rollout: recover puts the known-good revision back and deregisters the stuck one',
    async () => {
      const ecsService = `rr${suffix}-test`;
      const taskDefinition = { containerDefinitions: [{ name: 'app', image: 'app:1', memory: 128 }] };
      const rolling: RollingSpec = {
        strategy: 'rolling',
        service: `rr${suffix}`,
        environment: 'test',
        cluster: demoAccount.cluster,
        taskDefinition,
        image: 'app:2',
        container: { name: 'app' },
        ecsService,
        timeouts: { steadyMs: 30 * 60_000 },
        iamPropagationMs,
      };
      const v1 = await clients.ecs.send(new RegisterTaskDefinitionCommand({ family: ecsService, ...taskDefinition }));
      await createEc2Service(clients, {
        cluster: rolling.cluster,
        serviceName: ecsService,
        taskDefinition: v1.taskDefinition!.taskDefinitionArn,
        desiredCount: 2,
      });
      const describe = async () =>
        (
          await clients.ecs.send(
            new DescribeServicesCommand({ cluster: rolling.cluster, services: [ecsService], include: ['TAGS'] }),
          )
        ).services![0];

      // app:2 goes live on today's worker and is recorded as known good.
      await startTodaysWorker();
      const good = await stack.client.start(rolling, 'test');
      expect(await good.handle.result()).toMatchObject({ phase: 'active' });
      const knownGood = (await describe()).tags!.find((t) => t.key === tagKeys.knownGood)!.value!;

      // app:3 never finishes rolling out; the deployment waits for it on the incompatible worker.
      await setAwsScenario({ stuckImages: '^app:3$' });
      const { deploymentId, handle } = await onIncompatibleWorker(async () => {
        const started = await stack.client.start({ ...rolling, image: 'app:3' }, 'test');
        for (let i = 0; i < 600 && (await describe()).taskDefinition === knownGood; i++)
          await new Promise((r) => setTimeout(r, 100));
        return started;
      });
      const stuckRevision = (await describe()).taskDefinition!;
      expect(stuckRevision).not.toBe(knownGood);
      await wedge(handle);

      const recovered = await recover(deploymentId, '--json');
      expect(recovered.code).toBe(0);
      expect(JSON.parse(recovered.stdout)).toMatchObject({
        deploymentId,
        production: 'restored',
        live: knownGood,
        leftovers: [],
      });
      const service = await describe();
      expect({
        taskDefinition: service.taskDefinition,
        deployments: service.deployments!.map((d) => `${d.status} ${d.rolloutState}`),
      }).toEqual({ taskDefinition: knownGood, deployments: ['PRIMARY COMPLETED'] });
      expect(
        (await clients.ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: stuckRevision }))).taskDefinition!
          .status,
      ).toBe('INACTIVE');
      expect(await terminationReason(handle)).toBe(
        'switchyard recover by oncall: it could not make progress (NON_DETERMINISTIC_ERROR)',
      );
    },
    atAwsPace(10 * 60_000),
  );
});

const quiet = {
  log: () => undefined,
  trace: () => undefined,
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: (m: string) => console.error(m),
};
