// End to end, the rolling path ecs-deploy users know, on the conformance layer: `switchyard deploy
// --cluster C --service S --image I` bases the revision on the one the service runs and changes only the
// named container's image, pinned to the digest the emulated ECR holds; a circuit-breaker failure rolls
// back to the known-good revision, whose digest stays pinned after the tag moved; `--force-new-deployment`
// starts new tasks of the same revision; and the execution role Switchyard creates reads exactly the
// secrets its revision references.
import {
  CreateServiceCommand,
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  ListTaskDefinitionsCommand,
  RegisterTaskDefinitionCommand,
} from '@aws-sdk/client-ecs';
import { CreateRoleCommand, GetRoleCommand, GetRolePolicyCommand, ListRolePoliciesCommand } from '@aws-sdk/client-iam';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import { destroyAwsClients } from '../../src/aws/clients';
import { createActivities } from '../../src/activities';
import { demoAccount } from '../../src/dev/demo';
import { seedAccount, type AccountClients } from '../../src/dev/seed';
import { describedOnlyTaskDefinitionFields } from '../../src/shared/deployment';
import { resourceNames, tagKeys } from '../../src/shared/naming';
import { runCli, startCli } from '../support/cli';
import { deploymentIdOf, startE2eWorker, type E2eWorker } from '../support/e2e-worker';
import { moveTag, pushImage } from '../support/ecr';
import { waitUntilListed } from '../../src/dev/emulator/ec2-capacity';
import { recordHistory } from '../support/histories';
import { atAwsPace, awsClientsOnMoto, iamPropagationMs, resetAws, setAwsScenario } from '../support/servers';

const stamp = Date.now().toString(36).slice(-6);
const cluster = demoAccount.cluster;
const ecsService = `ed${stamp}-prod`;
const repository = `ed${stamp}`;
const ecsTrust = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { Service: 'ecs-tasks.amazonaws.com' }, Action: 'sts:AssumeRole' }],
});

let worker: E2eWorker;
let clients: AccountClients;
let dir: string;

beforeAll(async () => {
  await resetAws();
  // Two describes a rollout: one in progress, then its outcome.
  await setAwsScenario({ rolloutDescribes: 2 });
  clients = awsClientsOnMoto();
  await seedAccount(clients, demoAccount);
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchyard-ecs-deploy-'));
  worker = await startE2eWorker('ecs-deploy');
});

afterAll(async () => {
  await worker?.stop();
  destroyAwsClients(clients);
  fs.rmSync(dir, { recursive: true, force: true });
});

async function subnets(): Promise<string[]> {
  return (await createActivities(clients).findLoadBalancer({ loadBalancer: demoAccount.loadBalancer }))!.subnetIds;
}

async function createFargateService(name: string, taskDefinition: string): Promise<void> {
  await clients.ecs.send(
    new CreateServiceCommand({
      cluster,
      serviceName: name,
      taskDefinition,
      desiredCount: 2,
      launchType: 'FARGATE',
      networkConfiguration: {
        awsvpcConfiguration: { subnets: await subnets(), securityGroups: [], assignPublicIp: 'DISABLED' },
      },
    }),
  );
  // DescribeServices can miss a service for seconds after CreateService (eventual consistency: the
  // conformance layer has it MISSING for 5 s at AWS's pace); the team's service exists before it deploys.
  await waitUntilListed(clients, cluster, name);
}

async function service(name = ecsService) {
  const s = (await clients.ecs.send(new DescribeServicesCommand({ cluster, services: [name], include: ['TAGS'] })))
    .services![0];
  return {
    taskDefinition: s.taskDefinition!,
    deployments: s.deployments!.map((d) => ({ id: d.id, state: `${d.status} ${d.rolloutState}` })),
    knownGood: s.tags?.find((t) => t.key === tagKeys.knownGood)?.value,
  };
}

/** A revision as RegisterTaskDefinition would take it again (what a rolling update may change). */
async function registrable(arn: string): Promise<Record<string, unknown>> {
  const def = (await clients.ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: arn }))).taskDefinition!;
  return Object.fromEntries(
    Object.entries(def).filter(([k]) => !(describedOnlyTaskDefinitionFields as readonly string[]).includes(k)),
  );
}

async function revisions(family: string): Promise<string[]> {
  return (await clients.ecs.send(new ListTaskDefinitionsCommand({ familyPrefix: family, status: 'ACTIVE' })))
    .taskDefinitionArns!;
}

function deploy(args: string[]) {
  const run = startCli(['deploy', ...args, '--wait'], worker.env);
  return {
    id: deploymentIdOf(run),
    result: run.exited.then((code) => ({ code, output: run.output() })),
  };
}

describe('switchyard deploy --cluster --service --image, end to end', () => {
  let image1: { image: string; digest: string };
  let image2: { image: string; digest: string };
  let v1: string;
  let good: string;

  beforeAll(async () => {
    image1 = await pushImage(clients, repository, '1');
    image2 = await pushImage(clients, repository, '2');
    // The team's own roles: the revision keeps them (Switchyard creates none for it).
    const roles: Record<string, string> = {};
    for (const role of ['task', 'execution']) {
      const out = await clients.iam.send(
        new CreateRoleCommand({ RoleName: `team-${stamp}-${role}`, AssumeRolePolicyDocument: ecsTrust }),
      );
      roles[role] = out.Role!.Arn!;
    }
    // ECS cannot assume a role IAM created moments ago (the conformance layer fails tasks started so).
    await new Promise((resolve) => setTimeout(resolve, iamPropagationMs + 100));
    const out = await clients.ecs.send(
      new RegisterTaskDefinitionCommand({
        family: ecsService,
        requiresCompatibilities: ['FARGATE'],
        networkMode: 'awsvpc',
        cpu: '512',
        memory: '1024',
        taskRoleArn: roles.task,
        executionRoleArn: roles.execution,
        containerDefinitions: [
          {
            name: 'app',
            image: image1.image,
            essential: true,
            environment: [{ name: 'MODE', value: 'live' }],
            portMappings: [{ containerPort: 8080 }],
          },
          { name: 'proxy', image: 'public.ecr.aws/nginx/nginx:1.27', essential: true },
        ],
      }),
    );
    v1 = out.taskDefinition!.taskDefinitionArn!;
    await createFargateService(ecsService, v1);
  });

  it(
    'registers the running revision again with only the named container image changed, pinned to its digest, and rolls to it',
    async () => {
      const run = deploy([
        '--cluster',
        cluster,
        '--service',
        ecsService,
        '--image',
        image2.image,
        '--container',
        'app',
      ]);
      const id = await run.id;
      const { code, output } = await run.result;
      expect({ code, output }).toMatchObject({ code: 0, output: expect.stringContaining(`deployment ${id}: active`) });
      const state = await service();
      expect(state.taskDefinition).toMatch(new RegExp(`task-definition/${ecsService}:2$`));
      expect(state).toMatchObject({ deployments: [{ state: 'PRIMARY COMPLETED' }], knownGood: state.taskDefinition });
      const [before, after] = [await registrable(v1), await registrable(state.taskDefinition)];
      const pinned = `${image2.image.replace(/:2$/, '')}@${image2.digest}`;
      const containers = before.containerDefinitions as { name: string; image: string }[];
      expect(after).toEqual({
        ...before,
        containerDefinitions: containers.map((c) => (c.name === 'app' ? { ...c, image: pinned } : c)),
      });
      // The tag as given, and the image as pinned, in the status.
      const status = JSON.parse((await runCli(['status', id, '--json'], worker.env)).stdout);
      expect(status).toMatchObject({ phase: 'active', image: image2.image, pinnedImage: pinned });
      good = state.taskDefinition;
      await recordHistory('rolling-one-liner', id);
    },
    atAwsPace(120_000),
  );

  it(
    'a failing image rolls back to the known-good revision, still on its pinned digest after the tag moved',
    async () => {
      const moved = await moveTag(clients, repository, '2');
      expect(moved.digest).not.toBe(image2.digest);
      const bad = await pushImage(clients, repository, 'bad');
      await setAwsScenario({ rolloutDescribes: 2, failingImages: `^${repository}:bad$` });
      try {
        const run = deploy(['--cluster', cluster, '--service', ecsService, '--image', bad.image, '--container', 'app']);
        const { code, output } = await run.result;
        expect(code).toBe(2);
        expect(output).toMatch(
          /rolled_back \(failed: the rollout of .*: ECS deployment circuit breaker: tasks failed to start\./,
        );
        await recordHistory('rolling-one-liner-circuit-breaker', await run.id);
      } finally {
        await setAwsScenario({ rolloutDescribes: 2 });
      }
      const state = await service();
      expect(state).toMatchObject({
        taskDefinition: good,
        deployments: [{ state: 'PRIMARY COMPLETED' }],
        knownGood: good,
      });
      const app = ((await registrable(good)).containerDefinitions as { name: string; image: string }[]).find(
        (c) => c.name === 'app',
      )!;
      expect(app.image).toBe(`${image2.image.replace(/:2$/, '')}@${image2.digest}`);
    },
    atAwsPace(120_000),
  );

  it(
    '--force-new-deployment starts new tasks of the same revision and registers none',
    async () => {
      const before = await service();
      const registered = await revisions(ecsService);
      const run = deploy(['--cluster', cluster, '--service', ecsService, '--force-new-deployment']);
      const id = await run.id;
      const { code, output } = await run.result;
      expect({ code, output }).toMatchObject({ code: 0, output: expect.stringContaining(`deployment ${id}: active`) });
      const after = await service();
      expect(after).toMatchObject({
        taskDefinition: good,
        deployments: [{ state: 'PRIMARY COMPLETED' }],
        knownGood: good,
      });
      expect(after.deployments[0].id).not.toBe(before.deployments[0].id);
      expect(await revisions(ecsService)).toEqual(registered);
      await recordHistory('rolling-force-new-deployment', id);
    },
    atAwsPace(120_000),
  );

  it(
    'refuses, changing nothing: an image it cannot pin, a tag ECR does not hold, a revision of two containers without --container',
    async () => {
      const registered = await revisions(ecsService);
      const offline = await runCli(
        ['deploy', '--cluster', cluster, '--service', ecsService, '--image', 'nginx:1'],
        worker.env,
      );
      expect(offline.code).toBe(1);
      expect(offline.stderr).toContain('--image: nginx:1 is not in a private ECR registry');
      const missing = deploy([
        '--cluster',
        cluster,
        '--service',
        ecsService,
        '--image',
        `${image1.image.replace(/:1$/, '')}:nosuch`,
        '--container',
        'app',
      ]);
      const notThere = await missing.result;
      expect(notThere.code).toBe(1);
      expect(notThere.output).toMatch(/failed \(invalid input: .*nosuch/);
      const unnamed = await deploy(['--cluster', cluster, '--service', ecsService, '--image', image1.image]).result;
      expect(unnamed.code).toBe(1);
      expect(unnamed.output).toContain(
        `has 2 containers (app, proxy): name the one to update (--container or container.name)`,
      );
      expect(await revisions(ecsService)).toEqual(registered);
      expect((await service()).taskDefinition).toBe(good);
    },
    atAwsPace(120_000),
  );
});

describe('a service of one container: --cluster, --service and --image are all it takes', () => {
  const single = `ed${stamp}1-prod`;
  const repo = `ed${stamp}one`;

  it(
    'rolls the one container to the pinned image (the status shows the tag and its digest); a forced redeploy whose tasks fail ends failed (exit 1), nothing to roll back to',
    async () => {
      const one = await pushImage(clients, repo, 'one');
      const two = await pushImage(clients, repo, 'two');
      const base = await clients.ecs.send(
        new RegisterTaskDefinitionCommand({
          family: single,
          requiresCompatibilities: ['FARGATE'],
          networkMode: 'awsvpc',
          cpu: '256',
          memory: '512',
          // Tasks that pull from private ECR need an execution role: the team's, made above.
          executionRoleArn: (await clients.iam.send(new GetRoleCommand({ RoleName: `team-${stamp}-execution` }))).Role!
            .Arn!,
          containerDefinitions: [{ name: 'only', image: one.image, essential: true }],
        }),
      );
      await createFargateService(single, base.taskDefinition!.taskDefinitionArn!);

      const run = deploy(['--cluster', cluster, '--service', single, '--image', two.image]);
      const id = await run.id;
      const { code, output } = await run.result;
      expect({ code, output }).toMatchObject({ code: 0, output: expect.stringContaining(`deployment ${id}: active`) });
      const rolled = await service(single);
      const pinned = `${two.image.replace(/:two$/, '')}@${two.digest}`;
      expect((await registrable(rolled.taskDefinition)).containerDefinitions).toEqual([
        expect.objectContaining({ name: 'only', image: pinned }),
      ]);
      expect(rolled.knownGood).toBe(rolled.taskDefinition);
      const text = await runCli(['status', id], worker.env);
      expect(text.stdout).toContain(`image        ${two.image} (pinned to ${two.digest})`);

      // The running revision's image (tag `two`, pinned) now fails to start: a forced redeploy has only it.
      await setAwsScenario({ rolloutDescribes: 2, failingImages: `^${repo}:two$` });
      try {
        const forced = deploy(['--cluster', cluster, '--service', single, '--force-new-deployment']);
        const ended = await forced.result;
        expect(ended.code).toBe(1);
        expect(ended.output).toMatch(
          /failed \(.*circuit breaker.*; a forced redeploy has no other revision to roll back to\)/,
        );
      } finally {
        await setAwsScenario({ rolloutDescribes: 2 });
      }
      expect((await service(single)).taskDefinition).toBe(rolled.taskDefinition);
      expect(await revisions(single)).toHaveLength(2);
    },
    atAwsPace(180_000),
  );
});

describe('the execution role Switchyard creates', () => {
  const name = `sec${stamp}`;
  const secret = `arn:aws:secretsmanager:us-east-1:123456789012:secret:${name}/db-AbC123`;
  const parameter = `arn:aws:ssm:us-east-1:123456789012:parameter/${name}/flags`;
  const other = `arn:aws:ssm:us-east-1:123456789012:parameter/${name}/other`;
  const role = resourceNames({ service: name, environment: 'prod' }, 'x').executionRole;

  function specWith(secrets: { name: string; valueFrom: string }[]): string {
    const file = path.join(dir, `secrets-${secrets.length}.yaml`);
    fs.writeFileSync(
      file,
      stringify({
        strategy: 'rolling',
        service: name,
        environment: 'prod',
        cluster,
        taskDefinition: {
          requiresCompatibilities: ['FARGATE'],
          networkMode: 'awsvpc',
          cpu: '256',
          memory: '512',
          containerDefinitions: [{ name: 'app', memory: 512, secrets }],
        },
        container: { name: 'app' },
        timeouts: { steady: '3m' },
        iamPropagation: `${iamPropagationMs}ms`,
      }),
    );
    return file;
  }

  async function inlinePolicies(): Promise<Record<string, unknown>> {
    const names = (await clients.iam.send(new ListRolePoliciesCommand({ RoleName: role }))).PolicyNames ?? [];
    const entries = await Promise.all(
      names.map(async (policyName) => {
        const out = await clients.iam.send(new GetRolePolicyCommand({ RoleName: role, PolicyName: policyName }));
        return [policyName, JSON.parse(decodeURIComponent(out.PolicyDocument!))] as const;
      }),
    );
    return Object.fromEntries(entries);
  }

  beforeAll(async () => {
    const first = await pushImage(clients, repository, 'secrets');
    const out = await clients.ecs.send(
      new RegisterTaskDefinitionCommand({
        family: `${name}-prod`,
        requiresCompatibilities: ['FARGATE'],
        networkMode: 'awsvpc',
        cpu: '256',
        memory: '512',
        containerDefinitions: [{ name: 'app', image: first.image, memory: 512 }],
      }),
    );
    await createFargateService(`${name}-prod`, out.taskDefinition!.taskDefinitionArn!);
  });

  it(
    'is created within the boundary, and reads exactly the secrets and parameters its revision references',
    async () => {
      const image = (await pushImage(clients, repository, 'secrets-2')).image;
      const run = deploy([
        '-f',
        specWith([
          { name: 'DB', valueFrom: secret },
          { name: 'FLAGS', valueFrom: parameter },
        ]),
        '--image',
        image,
      ]);
      const id = await run.id;
      expect((await run.result).code).toBe(0);
      const created = (await clients.iam.send(new GetRoleCommand({ RoleName: role }))).Role!;
      expect(created).toMatchObject({
        Path: '/switchyard/',
        PermissionsBoundary: {
          PermissionsBoundaryArn: 'arn:aws:iam::123456789012:policy/switchyard/task-role-boundary',
        },
      });
      const policies = await inlinePolicies();
      expect(Object.keys(policies)).toEqual([`switchyard-secrets-${id}`]);
      expect(policies[`switchyard-secrets-${id}`]).toMatchObject({
        Statement: [
          { Action: ['secretsmanager:GetSecretValue'], Resource: [secret] },
          { Action: ['kms:Decrypt'] },
          { Action: ['ssm:GetParameters'], Resource: [parameter] },
          { Action: ['kms:Decrypt'] },
        ],
      });

      // The next revision references another parameter: once it runs, the role reads only that one.
      const next = deploy(['-f', specWith([{ name: 'OTHER', valueFrom: other }]), '--image', image]);
      const nextId = await next.id;
      expect((await next.result).code).toBe(0);
      const after = await inlinePolicies();
      expect(Object.keys(after)).toEqual([`switchyard-secrets-${nextId}`]);
      expect(after[`switchyard-secrets-${nextId}`]).toMatchObject({
        Statement: [{ Action: ['ssm:GetParameters'], Resource: [other] }, { Action: ['kms:Decrypt'] }],
      });
    },
    atAwsPace(180_000),
  );
});
