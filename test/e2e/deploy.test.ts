// End to end: the CLI deploys through the real dev server to a real worker process, against moto behind
// the behaviour proxy; afterwards the emulated account is checked resource by resource.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DescribeTargetGroupsCommand, DescribeTargetHealthCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { DescribeServicesCommand, DescribeTaskDefinitionCommand } from '@aws-sdk/client-ecs';
import { stringify } from 'yaml';
import { createActivities } from '../../src/activities';
import { destroyAwsClients } from '../../src/aws/clients';
import { demoAccount } from '../../src/dev/demo';
import { seedAccount, type AccountClients } from '../../src/dev/seed';
import { resourceNames } from '../../src/shared/naming';
import { runCli, startCli, startCliOnTerminal, type LongRunningCli } from '../support/cli';
import { deploymentIdOf, startE2eWorker, type E2eWorker } from '../support/e2e-worker';
import { recordHistory } from '../support/histories';
import { pushImage, type PushedImage } from '../support/ecr';
import { addContainerInstances } from '../../src/dev/emulator/ec2-capacity';
import {
  atAwsPace,
  awsClientsOnMoto,
  awsTimeScale,
  iamPropagationMs,
  resetAws,
  setAwsScenario,
} from '../support/servers';
import { fargateTaskDefinition } from '../support/e2e-spec';

// Each scenario runs on Fargate with names at the spec's length limits (service 20 characters,
// environment 10), and on EC2 with bridge networking (instance targets on dynamic ports, container
// instances to place tasks on); the histories come from the Fargate run.
const stamp = Date.now().toString(36).slice(-6);
const variants = [
  {
    label: 'Fargate, names at the length limits',
    service: `e2e${stamp}`.padEnd(20, 'x'),
    environment: 'production',
    taskDefinition: fargateTaskDefinition,
    containerInstances: 0,
    runsAs: { launchType: 'FARGATE', targetType: 'ip', target: /^10\.0\.\d+\.\d+$/ },
    records: true,
  },
  {
    label: 'EC2 with bridge networking',
    service: `e2e${stamp}b`,
    environment: 'test',
    taskDefinition: {
      requiresCompatibilities: ['EC2'],
      networkMode: 'bridge',
      containerDefinitions: [
        { name: 'web', image: 'nginx:1', memory: 256, portMappings: [{ containerPort: 80, hostPort: 0 }] },
      ],
    },
    containerInstances: 4,
    runsAs: { launchType: 'EC2', targetType: 'instance', target: /^i-[0-9a-f]+$/ },
    records: false,
  },
];

describe.each(variants)(
  'switchyard deploy, end to end: $label',
  ({ service, environment, taskDefinition, containerInstances, runsAs, records }) => {
    const hosts = { production: `${service}.switchyard.test`, stage: `stage.${service}.switchyard.test` };
    let dir: string;
    let specFile: string;
    let env: NodeJS.ProcessEnv;
    let worker: E2eWorker;
    let clients: AccountClients;
    let aws: ReturnType<typeof createActivities>;
    // Each deployment's image, pushed to the emulated ECR under its tag: the spec pins tags (the default).
    const images = new Map<string, PushedImage>();

    beforeAll(async () => {
      await resetAws();
      clients = awsClientsOnMoto();
      aws = createActivities(clients);
      await seedAccount(clients, demoAccount);
      for (const tag of ['1.0', '2.0', '3.0', '4.0', '5.0', '6.0'])
        images.set(tag, await pushImage(clients, 'web', tag));
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchyard-deploy-'));
      if (containerInstances) await addContainerInstances(clients, demoAccount.cluster, containerInstances);
      fs.writeFileSync(path.join(dir, 'task-definition.json'), JSON.stringify(taskDefinition));
      specFile = path.join(dir, 'spec.yaml');
      fs.writeFileSync(
        specFile,
        stringify({
          service,
          environment,
          cluster: demoAccount.cluster,
          taskDefinition: './task-definition.json',
          container: { name: 'web', port: 80 },
          desiredCount: 2,
          loadBalancer: { name: demoAccount.loadBalancer, listenerPort: 80 },
          hosts,
          hostedZone: demoAccount.hostedZone,
          timeouts: { steady: '3m', tests: '5m' },
          approval: { required: true, timeout: '10m' },
          drain: '4s',
          iamPropagation: `${iamPropagationMs}ms`,
        }),
      );
      worker = await startE2eWorker('deploy');
      env = worker.env;
    });

    afterAll(async () => {
      await worker?.stop();
      destroyAwsClients(clients);
      fs.rmSync(dir, { recursive: true, force: true });
    });

    /** The pushed image under the tag, as the spec names it (by tag). */
    const image = (tag: string) => images.get(tag)!.image;

    /** Starts `deploy --wait` with the image under the tag and returns it with the deployment id it printed. */
    async function startDeploy(tag: string): Promise<{ deploy: LongRunningCli; id: string }> {
      const deploy = startCli(['deploy', '-f', specFile, '--image', image(tag), '--wait'], env);
      return { deploy, id: await deploymentIdOf(deploy) };
    }

    /** The image the deployment's revision names. */
    async function registeredImage(id: string): Promise<string | undefined> {
      const { ecsService } = resourceNames({ service, environment }, id);
      const svc = await clients.ecs.send(
        new DescribeServicesCommand({ cluster: demoAccount.cluster, services: [ecsService] }),
      );
      const def = await clients.ecs.send(
        new DescribeTaskDefinitionCommand({ taskDefinition: svc.services![0].taskDefinition }),
      );
      return def.taskDefinition!.containerDefinitions!.find((c) => c.name === 'web')!.image;
    }

    async function live(): Promise<string | undefined> {
      const listenerArn = await aws.ensureListener({
        loadBalancerArn: (await aws.findLoadBalancer({ loadBalancer: demoAccount.loadBalancer }))!.arn,
        port: 80,
      });
      const rule = await aws.findHostRule({ listenerArn, host: hosts.production });
      const arn = rule?.targets.find((t) => t.weight > 0)?.targetGroupArn;
      return arn?.split(':targetgroup/')[1].split('/')[0];
    }

    async function exists(id: string) {
      const names = resourceNames({ service, environment }, id);
      const tg = await clients.elbv2.send(new DescribeTargetGroupsCommand({ Names: [names.targetGroup] })).then(
        () => true,
        () => false,
      );
      // A deleted service is DRAINING for a while (as in AWS): only an ACTIVE one still exists.
      const svc =
        (await aws.findService({ cluster: demoAccount.cluster, name: names.ecsService }))?.status === 'ACTIVE';
      return { targetGroup: tg, service: svc };
    }

    async function activeRevisions(): Promise<string[]> {
      const family = resourceNames({ service, environment }, 'x').family;
      const latest = await clients.ecs.send(
        new DescribeTaskDefinitionCommand({ taskDefinition: family, include: ['TAGS'] }),
      );
      const max = latest.taskDefinition!.revision!;
      const active: string[] = [];
      for (let r = 1; r <= max; r++) {
        const def = await clients.ecs.send(
          new DescribeTaskDefinitionCommand({ taskDefinition: `${family}:${r}`, include: ['TAGS'] }),
        );
        if (def.taskDefinition?.status === 'ACTIVE')
          active.push(def.tags!.find((t) => t.key === 'switchyard:deployment')!.value!);
      }
      return active;
    }

    async function passGates(id: string, deploy: LongRunningCli): Promise<void> {
      await deploy.waitForOutput(/awaiting_tests/);
      // A message that makes no sense in the phase is refused, and says why.
      expect(await runCli(['approve', id, '--by', 'alice'], env)).toMatchObject({
        code: 1,
        stdout: '',
        stderr: `switchyard: deployment ${id}: approval refused: the deployment is awaiting_tests\n`,
      });
      // Each returns once its gate has opened: the deployment is past it when the command exits.
      const passed = await runCli(['tests-passed', id], env);
      expect(passed).toMatchObject({ code: 0 });
      expect(passed.stdout).toMatch(
        /^tests-passed: tests passed \(reported by e2e \(\d+@[^)]+\)\); the deployment is awaiting_approval \(answered in \d+ ms\)\n$/,
      );
      const approved = await runCli(['approve', id, '--by', 'alice', '--json'], env);
      expect(approved.code).toBe(0);
      expect(JSON.parse(approved.stdout)).toMatchObject({
        sent: 'approve',
        to: id,
        as: 'update',
        answer: { phase: 'activating', note: expect.stringMatching(/^approved by alice \(\d+@.+\)/) },
      });
    }

    let v1: string;
    let v2: string;

    it(
      'deploys v1, then v2: after approval v1 is gone and production forwards to v2',
      async () => {
        const first = await startDeploy('1.0');
        v1 = first.id;
        await passGates(v1, first.deploy);
        expect(await first.deploy.exited).toBe(0);
        expect(await live()).toBe(resourceNames({ service, environment }, v1).targetGroup);

        const second = await startDeploy('2.0');
        v2 = second.id;
        await passGates(v2, second.deploy);
        expect(await second.deploy.exited).toBe(0);
        expect(second.deploy.output()).toContain(`deployment ${v2}: active`);
        expect(await runCli(['wait', v2], env)).toMatchObject({ code: 0, stdout: `deployment ${v2}: active\n` });
        expect(await live()).toBe(resourceNames({ service, environment }, v2).targetGroup);
        expect(await exists(v1)).toEqual({ targetGroup: false, service: false });
        expect(await exists(v2)).toEqual({ targetGroup: true, service: true });
        expect(await activeRevisions()).toEqual([v2]);
        // It runs as the task definition says: its launch type, its target type, its kind of target.
        const names = resourceNames({ service, environment }, v2);
        const group = (await clients.elbv2.send(new DescribeTargetGroupsCommand({ Names: [names.targetGroup] })))
          .TargetGroups![0];
        expect(group.TargetType).toBe(runsAs.targetType);
        const targets =
          (await clients.elbv2.send(new DescribeTargetHealthCommand({ TargetGroupArn: group.TargetGroupArn })))
            .TargetHealthDescriptions ?? [];
        expect(targets.map((t) => t.Target!.Id)).toEqual([
          expect.stringMatching(runsAs.target),
          expect.stringMatching(runsAs.target),
        ]);
        expect(
          (
            await clients.ecs.send(
              new DescribeServicesCommand({ cluster: demoAccount.cluster, services: [names.ecsService] }),
            )
          ).services?.[0].launchType,
        ).toBe(runsAs.launchType);

        // A first deployment (it waits for the roles it created) and a second one.
        if (records) await recordHistory('first-deployment', v1);
        if (records) await recordHistory('second-deployment-approved', v2);
        const status = await runCli(['status', v2, '--json'], env);
        expect(JSON.parse(status.stdout)).toMatchObject({
          phase: 'active',
          approvedBy: 'alice',
          requestedBy: 'e2e',
          previous: { deploymentId: v1 },
          pinnedImage: image('2.0').replace(/:2\.0$/, `@${images.get('2.0')!.digest}`),
        });
        // The tag is pinned: the revision names the digest ECR held at stage time, not the tag.
        expect(await registeredImage(v2)).toBe(image('2.0').replace(/:2\.0$/, `@${images.get('2.0')!.digest}`));
      },
      atAwsPace(120_000),
    );

    it(
      'deploys v3 and rolls back while draining: production back on v2, v3 gone, exit code 2',
      async () => {
        const third = await startDeploy('3.0');
        await passGates(third.id, third.deploy);
        await third.deploy.waitForOutput(/draining/);
        const rollback = await runCli(['rollback', third.id, '--reason', 'error rate up'], env);
        expect(rollback.code).toBe(0);
        expect(rollback.stdout).toMatch(
          new RegExp(
            `^rollback: production restored to ${v2} \\(read back\\), \\d+ ms after the request \\(answered in \\d+ ms\\)\\n$`,
          ),
        );
        // It returned once production read back on v2: the load balancer says so before the deployment ends.
        expect(await live()).toBe(resourceNames({ service, environment }, v2).targetGroup);
        // A second request is refused: one is under way.
        const again = await runCli(['rollback', third.id], env);
        expect(again.code).toBe(1);
        expect(again.stderr).toMatch(
          /rollback refused: (a rollback is already under way|the deployment is (rolled_back|already rolling back))|has ended/,
        );
        expect(await third.deploy.exited).toBe(2);
        expect(third.deploy.output()).toContain(
          `deployment ${third.id}: rolled_back (rollback requested by e2e: error rate up)`,
        );
        // Waiting for the rollback itself is a success; waiting for the end reports it (2).
        expect(await runCli(['wait', third.id, '--for', 'rolled_back'], env)).toMatchObject({ code: 0 });
        expect(await runCli(['wait', third.id], env)).toMatchObject({
          code: 2,
          stdout: `deployment ${third.id}: rolled_back (rollback requested by e2e: error rate up)\n`,
        });
        if (records) await recordHistory('rollback-while-draining', third.id);
        expect(await live()).toBe(resourceNames({ service, environment }, v2).targetGroup);
        expect(await exists(third.id)).toEqual({ targetGroup: false, service: false });
        expect(await exists(v2)).toEqual({ targetGroup: true, service: true });
        expect(await activeRevisions()).toEqual([v2]);
      },
      atAwsPace(120_000),
    );

    it(
      'refuses a second deployment of the same service while one runs, naming it',
      async () => {
        const running = await startDeploy('4.0');
        const refused = await runCli(['deploy', '-f', specFile, '--image', image('5.0')], env);
        expect(refused.code).toBe(1);
        expect(refused.stderr).toBe(
          `switchyard: a deployment of ${service}/${environment} is already running: ${running.id}. ` +
            `Wait for it (switchyard status ${running.id}) or roll it back (switchyard rollback ${running.id}).\n`,
        );
        await running.deploy.waitForOutput(/awaiting_tests/);
        // CI waiting on a deployment it did not start: for a phase, and against a timeout.
        expect(await runCli(['wait', running.id, '--for', 'awaiting_tests'], env)).toMatchObject({
          code: 0,
          stdout: `deployment ${running.id}: awaiting_tests\n`,
        });
        const late = await runCli(['wait', `${service}/${environment}`, '--timeout', '2s'], env);
        expect(late.code).toBe(124);
        // Its steps so far on stderr, then why it gave up.
        expect(late.stderr).toContain('awaiting_tests     ready for tests');
        expect(late.stderr).toMatch(
          new RegExp(
            `\\nswitchyard: deployment ${running.id} is awaiting_tests after 2s, not ended \\(wait --timeout\\)\\n$`,
          ),
        );
        // People watch it live (a terminal: one view redrawn; a pipe: one line a step); CI reads JSON lines.
        const piped = startCli(['status', running.id, '--watch'], env);
        const terminal = startCliOnTerminal(['status', running.id, '--watch'], env);
        const jsonl = startCli(['wait', running.id, '-o', 'jsonl'], env);
        await terminal.waitForOutput(/phase {6}awaiting_tests/);
        await piped.waitForOutput(/awaiting_tests {5}ready for tests/);
        // As a signal: stored durably (for a worker to take when it runs), not answered.
        expect(await runCli(['tests-failed', service, '--reason', 'smoke', '--signal'], env)).toMatchObject({
          code: 0,
          stdout: `tests-failed stored for ${service} as a signal (not answered: \`switchyard status ${service}\` shows what it did)\n`,
        });
        expect(await running.deploy.exited).toBe(2);
        const end = `deployment ${running.id}: rolled_back (tests failed (reported by e2e): smoke)`;
        expect(await piped.exited).toBe(2);
        expect(piped.output()).toMatch(/rolling_back {7}rolling back: tests failed/);
        expect(piped.output().trimEnd().split('\n').at(-1)).toBe(end);
        expect(await terminal.exited).toBe(2);
        // Redrawn in place, ending on the rolled-back view and the result.
        const views = terminal.output().split('\x1b[H\x1b[2J');
        expect(views.length).toBeGreaterThan(2);
        expect(views.at(-1)).toMatch(/phase {6}rolled_back/);
        expect(views.at(-1)!.trimEnd().split(/\r?\n/).at(-1)).toBe(end);
        expect(await jsonl.exited).toBe(2);
        const documents = jsonl
          .output()
          .split('\n')
          .filter((l) => l.startsWith('{'))
          .map((l) => JSON.parse(l));
        expect(documents.at(-1)).toMatchObject({ deploymentId: running.id, phase: 'rolled_back', waitedFor: 'end' });
        expect(documents).toContainEqual(
          expect.objectContaining({ deploymentId: running.id, phase: 'rolling_back', note: expect.any(String) }),
        );
        const ended = await runCli(['wait', running.id, '--json'], env);
        expect(ended.code).toBe(2);
        expect(JSON.parse(ended.stdout)).toMatchObject({
          deploymentId: running.id,
          phase: 'rolled_back',
          waitedFor: 'end',
        });
        expect(await live()).toBe(resourceNames({ service, environment }, v2).targetGroup);
      },
      atAwsPace(120_000),
    );

    it.each([
      [
        'a service that never becomes steady',
        { neverSteady: service },
        /running 0 of 2, 1 deployment\(s\), rollout IN_PROGRESS/,
      ],
      ['targets that stay unhealthy', { unhealthyTargets: service }, /0 of 2 healthy \(unhealthy, unhealthy\)/],
    ])(
      '%s: rolled back at the steady deadline, production left alone',
      async (_name, scenario, detail) => {
        // 6 s, and what a full-scale run adds before the waits get to the targets (MISSING for 5 s, ...).
        const shortSpec = path.join(dir, 'short-steady.yaml');
        fs.writeFileSync(
          shortSpec,
          fs.readFileSync(specFile, 'utf8').replace(/steady: 3m/, `steady: ${6 + Math.round(awsTimeScale * 15)}s`),
        );
        await setAwsScenario(scenario);
        try {
          const stuck = startCli(['deploy', '-f', shortSpec, '--image', image('6.0'), '--wait'], env);
          expect(await stuck.exited).toBe(2);
          expect(stuck.output()).toMatch(/rolled_back \(failed: gave up waiting for .* at the deadline: /);
          expect(stuck.output()).toMatch(detail);
          const id = /^([a-z0-9]{8})$/m.exec(stuck.output())![1];
          expect(await exists(id)).toEqual({ targetGroup: false, service: false });
          expect(await live()).toBe(resourceNames({ service, environment }, v2).targetGroup);
        } finally {
          await setAwsScenario({});
        }
      },
      atAwsPace(120_000),
    );

    it('rejects an invalid spec before touching anything', async () => {
      const bad = path.join(dir, 'bad.yaml');
      fs.writeFileSync(bad, stringify({ service: 'Bad Name', desiredCount: 0 }));
      const result = await runCli(['deploy', '-f', bad], env);
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(
        new RegExp(`^switchyard: ${bad} is not a valid deployment spec:\\n  - service: expected 1-20 lowercase`),
      );
    });
  },
);
