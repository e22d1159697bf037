// `switchyard plan` against what deployments then do: each plan, taken through the real CLI and worker,
// lists the writes the deployment that follows makes on the conformance layer, as the emulator's write
// journal records them (same operations, names, rule priorities and weights; in the same order, up to
// what runs side by side), and the plan itself writes nothing.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { destroyAwsClients } from '../../src/aws/clients';
import { demoAccount } from '../../src/dev/demo';
import { EmulatorControl } from '../../src/dev/emulator/control';
import type { JournalEntry } from '../../src/dev/emulator/behaviours/write-journal';
import { seedAccount, type AccountClients } from '../../src/dev/seed';
import { newDeploymentId, type DeploymentPlan } from '../../src/shared/plan';
import { runCli, startCli } from '../support/cli';
import { blueGreenSpec, fargateTaskDefinition, writeSpec } from '../support/e2e-spec';
import { deploymentIdOf, startE2eWorker, type E2eWorker } from '../support/e2e-worker';
import { pushImage } from '../support/ecr';
import { atAwsPace, awsClientsOnMoto, resetAws, servers } from '../support/servers';

const service = `plan${Date.now().toString(36).slice(-6)}`;
const hosts = { production: `${service}.switchyard.test`, stage: `stage.${service}.switchyard.test` };

describe('switchyard plan, held to the deployment that follows', () => {
  let dir: string;
  let specFile: string;
  let worker: E2eWorker;
  let clients: AccountClients;
  const control = new EmulatorControl(servers.awsEndpoint);
  const images: Record<string, string> = {};

  beforeAll(async () => {
    await resetAws();
    clients = awsClientsOnMoto();
    await seedAccount(clients, demoAccount);
    for (const tag of ['1.0', '2.0']) images[tag] = (await pushImage(clients, 'web', tag)).image;
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchyard-plan-'));
    fs.writeFileSync(path.join(dir, 'task-definition.json'), JSON.stringify(fargateTaskDefinition));
    specFile = writeSpec(
      dir,
      blueGreenSpec(service, {
        taskDefinition: './task-definition.json',
        desiredCount: 2,
        hosts,
        approval: { required: false },
        drain: '2s',
        pinImageDigest: true, // the images are in the emulated ECR
        traffic: { type: 'steps', steps: [{ setWeight: 20 }, { pause: '1s' }, { setWeight: 60 }], finalBake: '1s' },
      }),
    );
    worker = await startE2eWorker('plan');
  });

  afterAll(async () => {
    await worker?.stop();
    destroyAwsClients(clients);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  async function planNow(): Promise<{ code: number | null; plan: DeploymentPlan & { running?: string } }> {
    const out = await runCli(['plan', '-f', specFile, '--image', images['2.0'], '-o', 'json'], worker.env);
    return { code: out.code, plan: JSON.parse(out.stdout) as DeploymentPlan & { running?: string } };
  }

  /** Deploys the image, passing the tests gate; returns the id and the journal of what the deployment wrote. */
  async function deploy(tag: string, whileRunning?: (id: string) => Promise<void>) {
    await control.reset();
    const run = startCli(['deploy', '-f', specFile, '--image', images[tag], '--wait'], worker.env);
    const id = await deploymentIdOf(run);
    await run.waitForOutput(/awaiting_tests/);
    await whileRunning?.(id);
    expect((await runCli(['tests-passed', id], worker.env)).code).toBe(0);
    expect(await run.exited).toBe(0);
    return { id, journal: await control.journal() };
  }

  /** The journal as the plan names things: the deployment's id is the plan's placeholder. */
  function asPlanned(journal: JournalEntry[], id: string): string[] {
    return journal.map((e) =>
      [e.operation, e.subject, e.detail].filter(Boolean).join(' | ').split(id).join(newDeploymentId),
    );
  }

  function expectPlanIsExecution(plan: DeploymentPlan, journal: JournalEntry[], id: string): void {
    const planned = plan.changes.map((c) => [c.operation, c.subject, c.detail].filter(Boolean).join(' | '));
    const done = asPlanned(journal, id);
    expect([...done].sort()).toEqual([...planned].sort());
    // In order: each write's place in the plan never goes back (changes of one order run side by side).
    const orderOf = new Map(planned.map((p, i) => [p, plan.changes[i].order]));
    const orders = done.map((d) => orderOf.get(d)!);
    expect(orders).toEqual([...orders].sort((a, b) => a - b));
  }

  it(
    'a first deployment: the plan lists every write it makes, and the plan writes nothing',
    async () => {
      await control.reset();
      const { code, plan } = await planNow();
      expect(code).toBe(0);
      expect(await control.journal()).toEqual([]);
      expect(plan).toMatchObject({ service, environment: 'prod', live: expect.stringMatching(/^nothing: /) });
      expect(plan.changes.map((c) => c.operation)).toEqual(
        expect.arrayContaining(['IAM.CreateRole', 'ECS.CreateService', 'ELBv2.CreateRule']),
      );
      const { id, journal } = await deploy('1.0');
      expectPlanIsExecution(plan, journal, id);
    },
    atAwsPace(240_000),
  );

  it(
    'the next one: weights step by step, the previous deployment torn down; while one runs, plan says deploy would be refused (exit 1)',
    async () => {
      const { plan } = await planNow();
      expect(plan.live).toMatch(new RegExp(`^${hosts.production} forwards to [a-z0-9]{8} `));
      const weights = plan.changes.filter(
        (c) => c.operation === 'ELBv2.ModifyRule' && c.subject === `host ${hosts.production}`,
      );
      expect(weights.map((c) => c.detail?.replace(/-[a-z0-9]{8}=/g, '-*='))).toEqual([
        `${service}-prod-${newDeploymentId}=20, ${service}-prod-*=80`,
        `${service}-prod-${newDeploymentId}=60, ${service}-prod-*=40`,
        `${service}-prod-${newDeploymentId}=100`,
      ]);
      expect(plan.changes.filter((c) => c.phase === 'teardown').map((c) => c.operation)).toEqual([
        'ECS.UpdateService',
        'ECS.DeleteService',
        'ECS.DeregisterTaskDefinition',
        'ELBv2.DeleteTargetGroup',
      ]);
      const { id, journal } = await deploy('2.0', async (running) => {
        const during = await planNow();
        expect(during.code).toBe(1);
        expect(during.plan).toMatchObject({ running, refused: expect.stringContaining(`already running: ${running}`) });
        const text = await runCli(['plan', '-f', specFile, '--image', images['2.0']], worker.env);
        expect(text.code).toBe(1);
        expect(text.stdout).toContain(`refused: a deployment of ${service}/prod is already running: ${running}`);
      });
      expectPlanIsExecution(plan, journal, id);
    },
    atAwsPace(240_000),
  );
});
