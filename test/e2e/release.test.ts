// End to end, releases through the CLI: three services, each first deployed on its own, then released
// together through the dev server to a worker process, against moto behind the conformance layer.
// After each case the account is read back: every service's listener rules, target groups and ECS
// services. Also: a bad release file and a busy service are refused before anything changes.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DescribeServicesCommand, ListServicesCommand } from '@aws-sdk/client-ecs';
import { DescribeRulesCommand, DescribeTargetGroupsCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { stringify } from 'yaml';
import { createActivities } from '../../src/activities';
import { destroyAwsClients } from '../../src/aws/clients';
import { demoAccount } from '../../src/dev/demo';
import { seedAccount, type AccountClients } from '../../src/dev/seed';
import { resourceNames } from '../../src/shared/naming';
import { runCli, startCli, type LongRunningCli } from '../support/cli';
import { blueGreenSpec, writeSpec } from '../support/e2e-spec';
import { deploymentIdOf, startE2eWorker, type E2eWorker } from '../support/e2e-worker';
import { recordHistory } from '../support/histories';
import { awsClientsOnMoto, resetAws } from '../support/servers';

const stamp = Date.now().toString(36).slice(-5);
const services = ['orders', 'web', 'payments'].map((s) => `${s.slice(0, 3)}${stamp}`);

describe('releases, end to end', () => {
  let dir: string;
  let worker: E2eWorker;
  let clients: AccountClients;
  let listenerArn: string;
  /** Each service's live deployment, as the last case left it. */
  const live = new Map<string, string>();

  beforeAll(async () => {
    await resetAws();
    clients = awsClientsOnMoto();
    const aws = createActivities(clients);
    await seedAccount(clients, demoAccount);
    listenerArn = await aws.ensureListener({
      loadBalancerArn: (await aws.findLoadBalancer({ loadBalancer: demoAccount.loadBalancer }))!.arn,
      port: 80,
    });
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchyard-release-'));
    worker = await startE2eWorker('release');
    // Each service live on its own first, so the releases have production to move and to put back.
    for (const service of services) {
      const deploy = startCli(['deploy', '-f', specFile(service), '--wait'], worker.env);
      const id = await deploymentIdOf(deploy);
      await deploy.waitForOutput(/awaiting_tests/);
      expect(await runCli(['tests-passed', id], worker.env)).toMatchObject({ code: 0 });
      expect(await deploy.exited).toBe(0);
      live.set(service, id);
    }
  }, 240_000);

  afterAll(async () => {
    await worker?.stop();
    destroyAwsClients(clients);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  function specFile(service: string, overrides: Record<string, unknown> = {}): string {
    return writeSpec(dir, blueGreenSpec(service, overrides), `${service}-${Object.keys(overrides).join('-')}.yaml`);
  }

  function releaseFile(name: string, release: Record<string, unknown>): string {
    const file = path.join(dir, `${name}.yaml`);
    fs.writeFileSync(file, stringify({ name, ...release }));
    return file;
  }

  /** What the account holds for the service: its rules by host, its target groups, its ACTIVE services. */
  async function account(service: string) {
    const rules = (await clients.elbv2.send(new DescribeRulesCommand({ ListenerArn: listenerArn }))).Rules ?? [];
    const hostRules = rules.filter((r) => !r.IsDefault && JSON.stringify(r.Conditions).includes(service));
    const groups = ((await clients.elbv2.send(new DescribeTargetGroupsCommand({}))).TargetGroups ?? []).filter((g) =>
      g.TargetGroupName!.startsWith(service),
    );
    const arns = (await clients.ecs.send(new ListServicesCommand({ cluster: demoAccount.cluster }))).serviceArns ?? [];
    const described = arns.length
      ? ((await clients.ecs.send(new DescribeServicesCommand({ cluster: demoAccount.cluster, services: arns })))
          .services ?? [])
      : [];
    const forward = hostRules
      .flatMap((r) => r.Actions ?? [])
      .flatMap((a) => a.ForwardConfig?.TargetGroups ?? [])
      .filter((t) => (t.Weight ?? 0) > 0)
      .map((t) => groups.find((g) => g.TargetGroupArn === t.TargetGroupArn)?.TargetGroupName ?? t.TargetGroupArn);
    return {
      rules: hostRules.map((r) => r.Conditions![0].HostHeaderConfig!.Values![0]).sort(),
      forward,
      targetGroups: groups.map((g) => g.TargetGroupName!).sort(),
      services: described
        .filter((s) => s.status === 'ACTIVE' && s.serviceName!.startsWith(service))
        .map((s) => s.serviceName!)
        .sort(),
    };
  }
  const onlyLive = (service: string, id: string) => {
    const names = resourceNames({ service, environment: 'prod' }, id);
    return {
      rules: [`${service}.switchyard.test`],
      forward: [names.targetGroup],
      targetGroups: [names.targetGroup],
      services: [names.ecsService],
    };
  };
  async function expectLive(ids: Map<string, string>): Promise<void> {
    for (const service of services) expect(await account(service)).toEqual(onlyLive(service, ids.get(service)!));
  }

  /** Starts the release, passes its one tests gate; returns it running with its id and its services' ids. */
  async function startRelease(file: string): Promise<{ run: LongRunningCli; id: string; deployments: string[] }> {
    const run = startCli(['release', '-f', file, '--wait'], worker.env);
    const id = await deploymentIdOf(run);
    await run.waitForOutput(/awaiting_tests/);
    const status = await runCli(['status', id, '-o', 'json'], worker.env);
    const deployments = (
      JSON.parse(status.stdout) as { release: { services: { deploymentId: string }[] } }
    ).release.services.map((s) => s.deploymentId);
    expect(await runCli(['tests-passed', id, '--by', 'ci'], worker.env)).toMatchObject({ code: 0 });
    return { run, id, deployments };
  }

  it('lockstep: all three go live on the shared plan, and status shows the release and each service', async () => {
    const file = releaseFile('lockstep', {
      mode: 'lockstep',
      services: services.map((s) => ({ spec: specFile(s), image: 'nginx:2' })),
      traffic: { type: 'steps', steps: [{ setWeight: 20 }, { pause: '2s' }, { setWeight: 100 }] },
      analysis: { interval: '1s' },
    });
    const { run, id, deployments } = await startRelease(file);
    expect(await run.exited).toBe(0);
    expect(run.output()).toMatch(/every service is live/);
    const status = await runCli(['status', id], worker.env);
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(/release\s+lockstep \(lockstep, 3 services\)/);
    for (const [i, service] of services.entries()) {
      expect(status.stdout).toMatch(new RegExp(`${service}/prod\\s+${deployments[i]}\\s+active\\s+100%`));
      live.set(service, deployments[i]);
    }
    await expectLive(live);
    // wait answers an ended release at once; recover is for one deployment, not a release.
    expect(await runCli(['wait', id], worker.env)).toMatchObject({ code: 0 });
    const recover = await runCli(['recover', id, '--force'], worker.env);
    expect(recover.code).toBe(1);
    expect(recover.stderr).toContain(`${id} is a release: roll it back`);
    await recordHistory('release-lockstep', id);
    await recordHistory('release-lockstep-service', deployments[2]);
  }, 240_000);

  it('ordered: a rollback of the release during the last drain puts all three back (exit 2)', async () => {
    const before = new Map(live);
    const file = releaseFile('ordered', {
      mode: 'ordered',
      services: services.map((s) => ({ spec: specFile(s, { drain: '30s' }), image: 'nginx:3' })),
    });
    const { run, id } = await startRelease(file);
    await run.waitForOutput(new RegExp(`${services[2]}/prod is live`), 120_000);
    const rollback = await runCli(['rollback', id, '--by', 'alice', '--reason', 'checkout errors'], worker.env);
    expect(rollback).toMatchObject({ code: 0 });
    expect(rollback.stdout).toMatch(/production put back on every service/);
    expect(await run.exited).toBe(2);
    await expectLive(before);
    await recordHistory('release-ordered-rollback-in-drain', id);
  }, 240_000);

  it('a busy service refuses the release, naming its deployment, before anything changes (exit 1)', async () => {
    const busy = startCli(['deploy', '-f', specFile(services[1]), '--image', 'nginx:4', '--wait'], worker.env);
    const busyId = await deploymentIdOf(busy);
    await busy.waitForOutput(/awaiting_tests/);
    const file = releaseFile('busy', {
      mode: 'ordered',
      services: services.map((s) => ({ spec: specFile(s), image: 'nginx:5' })),
    });
    const refused = await runCli(['release', '-f', file, '--wait'], worker.env);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`${services[1]}/prod (deployment ${busyId} is running)`);
    for (const service of [services[0], services[2]])
      expect(await account(service)).toEqual(onlyLive(service, live.get(service)!));
    expect(await runCli(['rollback', busyId], worker.env)).toMatchObject({ code: 0 });
    expect(await busy.exited).toBe(2);
    await expectLive(live);
  }, 240_000);

  it('a release file naming one service twice is refused before anything starts (exit 1)', async () => {
    const file = releaseFile('twice', {
      mode: 'lockstep',
      services: [{ spec: specFile(services[0]) }, { spec: specFile(services[0]) }],
      traffic: { type: 'steps', steps: [{ setWeight: 50 }, { approval: {} }, { setWeight: 100 }] },
    });
    const refused = await runCli(['release', '-f', file], worker.env);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`services: service ${services[0]}/prod is in the release twice`);
    expect(refused.stderr).toContain('traffic.steps[1]: a lockstep release has one approval');
    await expectLive(live);
  });
});
