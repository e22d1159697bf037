// `switchyard rehearse` through the real CLI. The test's emulated account plays the real one: a first
// deployment runs there for real, then each rehearsal reads it (only reads: its write journal stays
// empty), recreates its shape in a private embedded stack behind the conformance layer, and runs the next
// deployment there: active, rolled back on failed tests, and refused where AWS would refuse a call (a
// CNAME left at the stage host), each reported with the account's reads and writes.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ChangeResourceRecordSetsCommand } from '@aws-sdk/client-route-53';
import { destroyAwsClients } from '../../src/aws/clients';
import { createActivities } from '../../src/activities';
import { demoAccount } from '../../src/dev/demo';
import { EmulatorControl } from '../../src/dev/emulator/control';
import type { RehearsalReport } from '../../src/dev/rehearse/rehearsal';
import { seedAccount, type AccountClients } from '../../src/dev/seed';
import { runCli, startCli } from '../support/cli';
import { blueGreenSpec, writeSpec } from '../support/e2e-spec';
import { deploymentIdOf, startE2eWorker, type E2eWorker } from '../support/e2e-worker';
import { atAwsPace, awsClientsOnMoto, awsTimeScale, resetAws, servers } from '../support/servers';

const stamp = Date.now().toString(36).slice(-6);
const service = `rh${stamp}`;

describe('switchyard rehearse, against a copy of the account in the embedded emulator', () => {
  let dir: string;
  let specFile: string;
  let worker: E2eWorker;
  let clients: AccountClients;
  let live: string;
  const control = new EmulatorControl(servers.awsEndpoint);

  beforeAll(async () => {
    await resetAws();
    clients = awsClientsOnMoto();
    await seedAccount(clients, demoAccount);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchyard-rehearse-'));
    specFile = writeSpec(dir, blueGreenSpec(service, { approval: { required: true, timeout: '5m' } }));
    worker = await startE2eWorker('rehearse');
    // The live deployment the rehearsals find: made for real in "the account".
    const first = startCli(['deploy', '-f', specFile, '--image', 'nginx:1', '--wait'], worker.env);
    live = await deploymentIdOf(first);
    await first.waitForOutput(/awaiting_tests/);
    expect((await runCli(['tests-passed', live], worker.env)).code).toBe(0);
    await first.waitForOutput(/awaiting_approval/);
    expect((await runCli(['approve', live], worker.env)).code).toBe(0);
    expect(await first.exited).toBe(0);
  }, atAwsPace(240_000));

  afterAll(async () => {
    await worker?.stop();
    destroyAwsClients(clients);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /** Rehearses with the test's account as the real one; the report, and what the account saw written. */
  async function rehearseNow(file: string, ...flags: string[]) {
    await control.reset();
    const env = { ...worker.env, SWITCHYARD_AWS_TIME_SCALE: String(awsTimeScale) };
    const run = await runCli(['rehearse', '-f', file, ...flags, '-o', 'json'], env, atAwsPace(180_000));
    return {
      code: run.code,
      stderr: run.stderr,
      report: parsed(run),
      writes: await control.journal(),
    };
  }

  function parsed(run: { code: number | null; stdout: string; stderr: string }): RehearsalReport {
    try {
      return JSON.parse(run.stdout) as RehearsalReport;
    } catch {
      throw new Error(`rehearse exited ${run.code} without a report:\n${run.stderr}`);
    }
  }

  async function productionTargets(host: string): Promise<string> {
    const aws = createActivities(clients);
    const lb = (await aws.findLoadBalancer({ loadBalancer: demoAccount.loadBalancer }))!;
    const listenerArn = await aws.ensureListener({ loadBalancerArn: lb.arn, port: demoAccount.listenerPort });
    return JSON.stringify((await aws.findHostRule({ listenerArn, host }))?.targets);
  }

  it(
    'the next deployment, rehearsed to active: the live one found and torn down there, the account only read',
    async () => {
      const before = await productionTargets(`${service}.switchyard.test`);
      const { code, report, writes, stderr } = await rehearseNow(specFile, '--image', 'nginx:2');
      expect({ code, stderr: code ? stderr : '' }).toEqual({ code: 0, stderr: '' });
      expect(report).toMatchObject({
        service,
        environment: 'prod',
        image: 'nginx:2',
        outcome: { phase: 'active' },
        account: { writes: 0 },
        conformance: { refused: 0, failedTaskLaunches: 0 },
      });
      expect(report.account.reads).toBeGreaterThan(5);
      expect(report.recreated).toEqual(
        expect.arrayContaining([
          `ECS cluster ${demoAccount.cluster}`,
          expect.stringMatching(new RegExp(`^ECS service ${service}-prod-${live} `)),
        ]),
      );
      // The rehearsal met the live deployment as the real one would: it drained and tore it down.
      expect(report.steps.join('\n')).toContain(live);
      expect(writes).toEqual([]);
      expect(await productionTargets(`${service}.switchyard.test`)).toBe(before);
    },
    atAwsPace(240_000),
  );

  it(
    'tests answered failed: the rehearsal rolls back, exit 2',
    async () => {
      const { code, report, writes } = await rehearseNow(specFile, '--image', 'nginx:3', '--tests', 'failed');
      expect(code).toBe(2);
      expect(report.outcome.phase).toBe('rolled_back');
      expect(writes).toEqual([]);
    },
    atAwsPace(240_000),
  );

  it(
    'what AWS would refuse (a CNAME at the stage host) is reported, counted, exit 1, without a write to the account',
    async () => {
      const other = `rx${stamp}`;
      const zone = (await createActivities(clients).findHostedZone({ name: demoAccount.hostedZone }))!;
      await clients.route53.send(
        new ChangeResourceRecordSetsCommand({
          HostedZoneId: zone.id,
          ChangeBatch: {
            Changes: [
              {
                Action: 'UPSERT',
                ResourceRecordSet: {
                  Name: `stage.${other}.switchyard.test`,
                  Type: 'CNAME',
                  TTL: 60,
                  ResourceRecords: [{ Value: 'old-stage.example.com' }],
                },
              },
            ],
          },
        }),
      );
      const file = writeSpec(dir, blueGreenSpec(other, { approval: { required: false } }), 'other.yaml');
      const { code, report, writes } = await rehearseNow(file);
      expect(code).toBe(1);
      expect(report.outcome.phase).not.toBe('active');
      expect(report.conformance.refused).toBeGreaterThanOrEqual(1);
      expect(report.conformance.recent).toEqual(
        expect.arrayContaining([expect.objectContaining({ rule: 'route53-cname-conflict' })]),
      );
      expect(report.account).toMatchObject({ writes: 0 });
      expect(writes).toEqual([]);
    },
    atAwsPace(240_000),
  );

  it(
    "the live service's auto scaling is read and recreated: autoScaling from production is rehearsed, the account only read",
    async () => {
      const liveService = `${service}-prod-${live}`;
      await createActivities(clients).applyServiceScaling({
        cluster: demoAccount.cluster,
        service: liveService,
        scaling: {
          minCapacity: 1,
          maxCapacity: 4,
          policies: [
            {
              name: 'cpu',
              configuration: {
                TargetValue: 60,
                PredefinedMetricSpecification: { PredefinedMetricType: 'ECSServiceAverageCPUUtilization' },
              },
            },
          ],
        },
        resourceLabel: '',
        suspended: false,
      });
      const file = writeSpec(
        dir,
        blueGreenSpec(service, { approval: { required: false }, autoScaling: { from: 'production' } }),
        'scaled.yaml',
      );
      const { code, report, writes, stderr } = await rehearseNow(file, '--image', 'nginx:4');
      expect({ code, stderr: code ? stderr : '' }).toEqual({ code: 0, stderr: '' });
      expect(report.recreated).toContain(`auto scaling of ${liveService}: 1-4 tasks, cpu`);
      expect(report.notRehearsed.join('\n')).not.toMatch(/scal/);
      // The rehearsal's deployment carried production's scaling over to its new service, as it would in the account.
      expect(report.steps.join('\n')).toContain('autoscaling 1-4 tasks with cpu');
      expect(report.outcome.phase).toBe('active');
      expect(writes).toEqual([]);
    },
    atAwsPace(240_000),
  );
});
