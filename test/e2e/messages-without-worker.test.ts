// Messages while no worker runs: sent as a signal, by the real Temporal CLI (`temporal workflow signal`)
// or by `switchyard … --signal`, a message is stored and taken when a worker starts again, with who sent it
// on record. Sent as an Update, it times out with exit 124 and the --signal hint; the server still hands
// it to the next worker (it is not stored durably until a worker takes it).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { destroyAwsClients } from '../../src/aws/clients';
import { demoAccount } from '../../src/dev/demo';
import { seedAccount, type AccountClients } from '../../src/dev/seed';
import { readToolPaths } from '../../src/dev/tools';
import { serviceWorkflowId } from '../../src/shared/naming';
import { runCli, startCli, type LongRunningCli } from '../support/cli';
import { blueGreenSpec, writeSpec } from '../support/e2e-spec';
import { startE2eWorker, type E2eWorker } from '../support/e2e-worker';
import { atAwsPace, awsClientsOnMoto, resetAws, servers } from '../support/servers';

const service = `nw${Date.now().toString(36).slice(-6)}`;

describe('messages while no worker runs', () => {
  let dir: string;
  let clients: AccountClients;
  let first: E2eWorker;
  let worker: LongRunningCli | undefined;

  beforeAll(async () => {
    await resetAws();
    clients = awsClientsOnMoto();
    await seedAccount(clients, demoAccount);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchyard-no-worker-'));
    first = await startE2eWorker('no-worker');
  });

  afterAll(async () => {
    await first?.stop();
    worker?.child.kill('SIGINT');
    await worker?.exited;
    destroyAwsClients(clients);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /** The worker again, on the same task queue, after the first one stopped. */
  async function restartWorker(): Promise<void> {
    worker = startCli(['worker'], first.env);
    await worker.waitForOutput(/worker polling task queue/);
  }

  async function stopWorker(): Promise<void> {
    worker?.child.kill('SIGINT');
    await worker?.exited;
    worker = undefined;
  }

  /** The real Temporal CLI: `temporal workflow signal` by the signal's name, the message as its input. */
  function temporalSignal(name: string, input: unknown): { code: number | null; stderr: string } {
    const out = spawnSync(
      readToolPaths().temporal,
      [
        'workflow',
        'signal',
        '--address',
        servers.temporalAddress,
        '--workflow-id',
        serviceWorkflowId(service, 'prod'),
        '--name',
        name,
        '--input',
        JSON.stringify(input),
      ],
      { encoding: 'utf8' },
    );
    return { code: out.status, stderr: out.stderr };
  }

  const waitFor = async (id: string, phase: string) =>
    (await runCli(['wait', id, '--for', phase, '--timeout', '2m'], first.env, 150_000)).code;

  it(
    '`temporal workflow signal` and `switchyard … --signal` are stored while no worker runs, and taken by the next one',
    async () => {
      const spec = writeSpec(dir, blueGreenSpec(service, { approval: { required: true, timeout: '10m' } }));
      const started = await runCli(['deploy', '-f', spec, '--by', 'ci'], first.env);
      expect(started.code).toBe(0);
      const id = started.stdout.trim().split('\n').pop()!;
      expect(await waitFor(id, 'awaiting_tests')).toBe(0);
      await first.stop();

      expect(temporalSignal('testsPassed', { by: 'temporal-cli' })).toEqual({ code: 0, stderr: '' });
      await restartWorker();
      expect(await waitFor(id, 'awaiting_approval')).toBe(0);
      await stopWorker();
      expect((await runCli(['approve', id, '--by', 'ops', '--signal'], first.env)).code).toBe(0);

      await restartWorker();
      expect(await waitFor(id, 'active')).toBe(0);
      const status = JSON.parse((await runCli(['status', id, '-o', 'json'], first.env)).stdout);
      expect(status).toMatchObject({
        phase: 'active',
        testsReportedBy: 'temporal-cli',
        approvedBy: 'ops',
        approvals: [expect.objectContaining({ by: 'ops' })],
      });
      expect(status.history.map((s: { note: string }) => s.note)).toEqual(
        expect.arrayContaining(['tests passed (reported by temporal-cli)', expect.stringMatching(/^approved by ops/)]),
      );
    },
    atAwsPace(300_000),
  );

  it(
    'an Update with no worker times out with 124 and says what became of it: the server hands it to the next worker',
    async () => {
      const spec = writeSpec(dir, blueGreenSpec(service, { approval: { required: false } }), 'next.yaml');
      const started = await runCli(['deploy', '-f', spec, '--by', 'ci'], first.env);
      expect(started.code).toBe(0);
      const id = started.stdout.trim().split('\n').pop()!;
      expect(await waitFor(id, 'awaiting_tests')).toBe(0);
      await stopWorker();

      const unanswered = await runCli(['tests-passed', id, '--by', 'late', '--timeout', '3s'], first.env);
      expect(unanswered.code).toBe(124);
      expect(unanswered.stderr).toContain(
        `deployment ${id} did not take tests-passed within 3s: is a Switchyard worker running? The Temporal server may still hand it to the next worker, but does not store it durably until one takes it; \`switchyard tests-passed ${id} --signal\``,
      );
      // As measured on the dev server: the admitted Update reaches the worker that starts next.
      await restartWorker();
      expect(await waitFor(id, 'active')).toBe(0);
      const status = JSON.parse((await runCli(['status', id, '-o', 'json'], first.env)).stdout);
      expect(status).toMatchObject({ phase: 'active', testsReportedBy: 'late' });
    },
    atAwsPace(300_000),
  );
});
