// End to end, a blue/green deployment on a capacity provider strategy (FARGATE_SPOT with a FARGATE base)
// instead of a launch type: the CLI deploys through the dev server to a worker process, against moto behind
// the behaviour proxy, which refuses a strategy beside a launch type or naming a provider the cluster lacks.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DescribeServicesCommand } from '@aws-sdk/client-ecs';
import { stringify } from 'yaml';
import { destroyAwsClients } from '../../src/aws/clients';
import { demoAccount } from '../../src/dev/demo';
import { seedAccount, type AccountClients } from '../../src/dev/seed';
import { resourceNames } from '../../src/shared/naming';
import { runCli, startCli } from '../support/cli';
import { deploymentIdOf, startE2eWorker, type E2eWorker } from '../support/e2e-worker';
import { fargate } from '../support/fargate';
import { atAwsPace, awsClientsOnMoto, iamPropagationMs, resetAws } from '../support/servers';

const service = `cp${Date.now().toString(36).slice(-6)}`;
const environment = 'test';
const strategy = [
  { capacityProvider: 'FARGATE_SPOT', weight: 3 },
  { capacityProvider: 'FARGATE', weight: 1, base: 1 },
];

describe('a deployment on a capacity provider strategy, end to end', () => {
  let dir: string;
  let worker: E2eWorker;
  let clients: AccountClients;

  beforeAll(async () => {
    await resetAws();
    clients = awsClientsOnMoto();
    // The demo cluster has FARGATE and FARGATE_SPOT associated, as the ECS console creates one.
    await seedAccount(clients, demoAccount);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchyard-capacity-'));
    worker = await startE2eWorker('capacity');
  });

  afterAll(async () => {
    await worker?.stop();
    destroyAwsClients(clients);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it(
    'runs the service on the strategy, with no launch type, and goes live',
    async () => {
      const file = path.join(dir, 'spec.yaml');
      fs.writeFileSync(
        file,
        stringify({
          service,
          environment,
          cluster: demoAccount.cluster,
          taskDefinition: { ...fargate, containerDefinitions: [{ name: 'web', image: 'nginx:1', memory: 512 }] },
          container: { name: 'web', port: 80 },
          desiredCount: 2,
          capacityProviderStrategy: strategy,
          loadBalancer: { name: demoAccount.loadBalancer },
          hosts: { production: `${service}.switchyard.test`, stage: `stage.${service}.switchyard.test` },
          hostedZone: demoAccount.hostedZone,
          timeouts: { steady: '3m', tests: '5m' },
          drain: '1s',
          iamPropagation: `${iamPropagationMs}ms`,
          // Images by tag outside ECR: not pinned (test/e2e/ecs-deploy.test.ts tests pinning).
          pinImageDigest: false,
        }),
      );
      const deploy = startCli(['deploy', '-f', file, '--wait'], worker.env);
      const id = await deploymentIdOf(deploy);
      await deploy.waitForOutput(/awaiting_tests/);
      const described = (
        await clients.ecs.send(
          new DescribeServicesCommand({
            cluster: demoAccount.cluster,
            services: [resourceNames({ service, environment }, id).ecsService],
          }),
        )
      ).services![0];
      expect(described.capacityProviderStrategy).toEqual(strategy);
      expect(described.launchType).toBeUndefined();
      expect(await runCli(['tests-passed', id], worker.env)).toMatchObject({ code: 0 });
      expect(await deploy.exited).toBe(0);
      expect(deploy.output()).toContain(`deployment ${id}: active`);
    },
    atAwsPace(120_000),
  );
});
