// End to end, the rolling strategy: `switchyard deploy` picks it from the spec, updates an existing ECS
// service (moto behind the behaviour proxy runs the rollouts), and on a circuit-breaker failure or the
// deadline puts back the revision Switchyard last saw succeed, not the one before the failing revision.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CreateServiceCommand, DescribeServicesCommand, RegisterTaskDefinitionCommand } from '@aws-sdk/client-ecs';
import { stringify } from 'yaml';
import { destroyAwsClients } from '../../src/aws/clients';
import { createActivities } from '../../src/activities';
import { demoAccount } from '../../src/dev/demo';
import { seedAccount, type AccountClients } from '../../src/dev/seed';
import { tagKeys } from '../../src/shared/naming';
import { runCli, startCli } from '../support/cli';
import { deploymentIdOf, startE2eWorker, type E2eWorker } from '../support/e2e-worker';
import { recordHistory } from '../support/histories';
import { addContainerInstances, waitUntilListed } from '../../src/dev/emulator/ec2-capacity';
import { atAwsPace, awsClientsOnMoto, iamPropagationMs, resetAws, setAwsScenario } from '../support/servers';

// On Fargate with names at the spec's length limits (service 20 characters, environment 10), and on EC2
// with bridge networking (with container instances to place tasks on); the histories come from the
// Fargate run.
const stamp = Date.now().toString(36).slice(-6);
const cluster = demoAccount.cluster;
const variants = [
  {
    label: 'Fargate, names at the length limits',
    service: `ro${stamp}`.padEnd(20, 'x'),
    environment: 'production',
    taskDefinition: {
      requiresCompatibilities: ['FARGATE'],
      networkMode: 'awsvpc',
      cpu: '256',
      memory: '512',
      containerDefinitions: [{ name: 'app', image: 'app:1', memory: 512 }],
    },
    onEc2: false,
    records: true,
  },
  {
    label: 'EC2 with bridge networking',
    service: `ro${stamp}b`,
    environment: 'prod',
    taskDefinition: {
      requiresCompatibilities: ['EC2'],
      networkMode: 'bridge',
      containerDefinitions: [{ name: 'app', image: 'app:1', memory: 512 }],
    },
    onEc2: true,
    records: false,
  },
];

describe.each(variants)(
  'rolling updates, end to end: $label',
  ({ service, environment, taskDefinition, onEc2, records }) => {
    const ecsService = `${service}-${environment}`;
    let dir: string;
    let specFile: string;
    let worker: E2eWorker;
    let clients: AccountClients;

    beforeAll(async () => {
      await resetAws();
      // Two describes a rollout: one in progress, then its outcome (the ramp itself is an activity test's).
      await setAwsScenario({ rolloutDescribes: 2 });
      clients = awsClientsOnMoto();
      await seedAccount(clients, demoAccount);
      const v1 = await register('app:1');
      const subnets = (await createActivities(clients).findLoadBalancer({ loadBalancer: demoAccount.loadBalancer }))!
        .subnetIds;
      if (onEc2) await addContainerInstances(clients, cluster, 3);
      await clients.ecs.send(
        new CreateServiceCommand({
          cluster,
          serviceName: ecsService,
          taskDefinition: v1,
          desiredCount: 3,
          ...(onEc2
            ? { launchType: 'EC2' }
            : {
                launchType: 'FARGATE',
                networkConfiguration: {
                  awsvpcConfiguration: { subnets, securityGroups: [], assignPublicIp: 'DISABLED' },
                },
              }),
        }),
      );
      await waitUntilListed(clients, cluster, ecsService);
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchyard-rolling-'));
      specFile = path.join(dir, 'spec.yaml');
      fs.writeFileSync(
        specFile,
        stringify({
          strategy: 'rolling',
          service,
          environment,
          cluster,
          taskDefinition,
          container: { name: 'app' },
          timeouts: { steady: '3m' },
          iamPropagation: `${iamPropagationMs}ms`,
          // Images by tag outside ECR: not pinned (test/e2e/ecs-deploy.test.ts tests pinning).
          pinImageDigest: false,
        }),
      );
      worker = await startE2eWorker('rolling');
    });

    afterAll(async () => {
      await worker?.stop();
      destroyAwsClients(clients);
      fs.rmSync(dir, { recursive: true, force: true });
    });

    async function register(image: string): Promise<string> {
      const out = await clients.ecs.send(
        new RegisterTaskDefinitionCommand({
          ...taskDefinition,
          family: ecsService,
          containerDefinitions: [{ name: 'app', image, memory: 512 }],
        } as never),
      );
      return out.taskDefinition!.taskDefinitionArn!;
    }

    async function serviceState() {
      const s = (
        await clients.ecs.send(new DescribeServicesCommand({ cluster, services: [ecsService], include: ['TAGS'] }))
      ).services![0];
      return {
        taskDefinition: s.taskDefinition,
        deployments: s.deployments!.map((d) => `${d.status} ${d.rolloutState}`),
        knownGood: s.tags?.find((t) => t.key === tagKeys.knownGood)?.value,
      };
    }

    async function deploy(image: string, file = specFile) {
      const run = startCli(['deploy', '-f', file, '--image', image, '--wait'], worker.env);
      const id = await deploymentIdOf(run);
      return { id, code: await run.exited, output: run.output() };
    }

    let good: string;

    it(
      'rolls the service to the new revision and records it as known good',
      async () => {
        const result = await deploy('app:2');
        expect(result.code).toBe(0);
        expect(result.output).toContain(`deployment ${result.id}: active`);
        const state = await serviceState();
        expect(state.taskDefinition).toMatch(new RegExp(`task-definition/${ecsService}:2$`));
        expect(state).toEqual({
          taskDefinition: state.taskDefinition,
          deployments: ['PRIMARY COMPLETED'],
          knownGood: state.taskDefinition,
        });
        good = state.taskDefinition!;
        if (records) await recordHistory('rolling-success', result.id);
        const status = JSON.parse((await runCli(['status', result.id, '--json'], worker.env)).stdout);
        expect(status).toMatchObject({
          phase: 'active',
          knownGoodTaskDefinition: good,
          resources: { taskDefinitionArn: good, serviceName: ecsService },
        });
      },
      atAwsPace(120_000),
    );

    it(
      'a circuit-breaker failure rolls back to the last known-good revision, not to the revision before the failing one',
      async () => {
        // Someone registers a revision by hand: "revision - 1" of the failing deployment would be this one.
        const manual = await register('app:manual');
        await setAwsScenario({ rolloutDescribes: 2, failingImages: '^app:bad$' });
        try {
          const result = await deploy('app:bad');
          expect(result.code).toBe(2);
          expect(result.output).toMatch(
            /rolled_back \(failed: the rollout of .* on .*: ECS deployment circuit breaker: tasks failed to start\./,
          );
          if (records) await recordHistory('rolling-circuit-breaker-rollback', result.id);
        } finally {
          await setAwsScenario({ rolloutDescribes: 2 });
        }
        const state = await serviceState();
        expect(state).toEqual({ taskDefinition: good, deployments: ['PRIMARY COMPLETED'], knownGood: good });
        expect(state.taskDefinition).not.toBe(manual);
      },
      atAwsPace(120_000),
    );

    it(
      'a rollout that does not complete by the deadline rolls back the same way',
      async () => {
        const shortSpec = path.join(dir, 'short.yaml');
        fs.writeFileSync(shortSpec, fs.readFileSync(specFile, 'utf8').replace('steady: 3m', 'steady: 8s'));
        await setAwsScenario({ rolloutDescribes: 2, stuckImages: '^app:slow$' });
        try {
          const result = await deploy('app:slow', shortSpec);
          expect(result.code).toBe(2);
          expect(result.output).toMatch(
            /rolled_back \(failed: gave up waiting for the rollout of .* at the deadline: PRIMARY 0\/3 IN_PROGRESS; ACTIVE 3\/3 COMPLETED\)/,
          );
        } finally {
          await setAwsScenario({ rolloutDescribes: 2 });
        }
        expect(await serviceState()).toEqual({
          taskDefinition: good,
          deployments: ['PRIMARY COMPLETED'],
          knownGood: good,
        });
      },
      atAwsPace(120_000),
    );

    it(
      'a rollback request puts the known-good revision back and answers once the rollback has ended; gates are refused',
      async () => {
        await setAwsScenario({ rolloutDescribes: 2, stuckImages: '^app:stuck$' });
        try {
          const run = startCli(['deploy', '-f', specFile, '--image', 'app:stuck', '--wait'], worker.env);
          const id = await deploymentIdOf(run);
          await run.waitForOutput(/updating/);
          expect(await runCli(['approve', id], worker.env)).toMatchObject({
            code: 1,
            stderr: `switchyard: deployment ${id}: approval refused: a rolling update has no gates or traffic steps\n`,
          });
          const rollback = await runCli(['rollback', id, '--reason', 'wrong image', '--json'], worker.env);
          expect(rollback.code).toBe(0);
          expect(JSON.parse(rollback.stdout)).toMatchObject({
            sent: 'rollback',
            as: 'update',
            answer: { phase: 'rolled_back', note: expect.stringContaining('rollback requested by e2e: wrong image') },
          });
          // Answered at the end of the rollback: the service is back on the known-good revision already.
          expect(await serviceState()).toEqual({
            taskDefinition: good,
            deployments: ['PRIMARY COMPLETED'],
            knownGood: good,
          });
          expect(await run.exited).toBe(2);
        } finally {
          await setAwsScenario({ rolloutDescribes: 2 });
        }
      },
      atAwsPace(120_000),
    );

    it(
      'refuses to start when the service does not exist, changing nothing',
      async () => {
        const missing = path.join(dir, 'missing.yaml');
        fs.writeFileSync(missing, fs.readFileSync(specFile, 'utf8').replace(/^service: .*$/m, 'service: nosuch'));
        const result = await deploy('app:3', missing);
        expect(result.code).toBe(1);
        expect(result.output).toContain(
          `failed (invalid input: not found: ECS service nosuch-${environment} in cluster ${cluster})`,
        );
        expect(await serviceState()).toEqual({
          taskDefinition: good,
          deployments: ['PRIMARY COMPLETED'],
          knownGood: good,
        });
      },
      atAwsPace(60_000),
    );
  },
);
