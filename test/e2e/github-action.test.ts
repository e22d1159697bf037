// The GitHub Action: its shell logic (scripts/github-action.sh, what action.yml runs) against the embedded
// stack as the example workflow uses it (staged, tests passed to the approval gate, approved to active),
// and for a rollback, a refused start and a timeout: exit code, step outputs, job summary, ::error. And
// actionlint, the upstream tool as setup builds it, on every workflow file, with the example's inputs
// checked against action.yml.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { destroyAwsClients } from '../../src/aws/clients';
import { demoAccount } from '../../src/dev/demo';
import { seedAccount, type AccountClients } from '../../src/dev/seed';
import { readToolPaths } from '../../src/dev/tools';
import { blueGreenSpec, writeSpec } from '../support/e2e-spec';
import { startE2eWorker, type E2eWorker } from '../support/e2e-worker';
import { atAwsPace, awsClientsOnMoto, resetAws } from '../support/servers';

const root = path.resolve(__dirname, '..', '..');
const script = path.join(root, 'scripts', 'github-action.sh');
const service = `gha${Date.now().toString(36).slice(-6)}`;

interface ActionRun {
  code: number | null;
  stdout: string;
  stderr: string;
  outputs: Record<string, string>;
  summary: string;
}

describe('the GitHub Action, against the embedded stack', () => {
  let dir: string;
  let specFile: string;
  let worker: E2eWorker;
  let clients: AccountClients;

  beforeAll(async () => {
    await resetAws();
    clients = awsClientsOnMoto();
    await seedAccount(clients, demoAccount);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchyard-gha-'));
    specFile = writeSpec(dir, blueGreenSpec(service, { approval: { required: true, timeout: '10m' } }));
    worker = await startE2eWorker('gha');
  });

  afterAll(async () => {
    await worker?.stop();
    destroyAwsClients(clients);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /** Runs the action's logic as the runner does: inputs as environment, GITHUB_OUTPUT and the summary as files. */
  function runAction(inputs: Record<string, string>): Promise<ActionRun> {
    const outputFile = path.join(dir, `output-${Math.random().toString(36).slice(2)}`);
    const summaryFile = `${outputFile}.md`;
    const env = { ...worker.env, ...inputs, GITHUB_OUTPUT: outputFile, GITHUB_STEP_SUMMARY: summaryFile };
    return new Promise((resolve) => {
      const child = spawn('bash', [script], { env, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => (stdout += d));
      child.stderr.on('data', (d) => (stderr += d));
      child.on('exit', (code) => {
        const read = (f: string) => (fs.existsSync(f) ? fs.readFileSync(f, 'utf8') : '');
        const outputs = Object.fromEntries(
          read(outputFile)
            .split('\n')
            .filter(Boolean)
            .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
        );
        resolve({ code, stdout, stderr, outputs, summary: read(summaryFile) });
      });
    });
  }

  it(
    "the example's steps: staged, then tests passed to the approval gate, then approved to active; a timeout and a refused start on the way",
    async () => {
      const staged = await runAction({ SPEC: specFile, IMAGE: 'nginx:2', WAIT_FOR: 'awaiting_tests' });
      expect(staged.code).toBe(0);
      const id = staged.outputs['deployment-id'];
      expect(id).toMatch(/^[a-z0-9]{8}$/);
      expect(staged.outputs).toEqual({ 'deployment-id': id, phase: 'awaiting_tests', reason: '' });
      expect(staged.stdout).not.toContain('::error');
      expect(staged.summary).toContain(`| deployment | \`${id}\` |`);
      expect(staged.summary).toContain('| phase | **awaiting_tests** |');
      expect(staged.summary).toContain('| image | `nginx:2` |');

      const timedOut = await runAction({ DEPLOYMENT: id, TIMEOUT: '2s' });
      expect(timedOut.code).toBe(124);
      expect(timedOut.outputs).toEqual({
        'deployment-id': id,
        phase: 'awaiting_tests',
        reason: `deployment ${id} is awaiting_tests after 2s, not ended (wait --timeout)`,
      });
      expect(timedOut.stdout).toContain(
        `::error title=Switchyard deployment ${id}::awaiting_tests: deployment ${id} is awaiting_tests after 2s`,
      );

      const refused = await runAction({ SPEC: specFile, IMAGE: 'nginx:3' });
      expect(refused.code).toBe(1);
      expect(refused.outputs).toMatchObject({ 'deployment-id': '', phase: 'refused' });
      expect(refused.outputs.reason).toContain(`a deployment of ${service}/prod is already running: ${id}`);
      expect(refused.stdout).toContain('::error title=Switchyard deployment not started::refused: a deployment of');

      const gated = await runAction({ DEPLOYMENT: id, TESTS: 'passed', WAIT_FOR: 'awaiting_approval' });
      expect(gated.code).toBe(0);
      expect(gated.outputs).toEqual({ 'deployment-id': id, phase: 'awaiting_approval', reason: '' });

      const approved = await runAction({ DEPLOYMENT: id, APPROVE: 'true', BY: 'release-manager', TIMEOUT: '3m' });
      expect(approved.code).toBe(0);
      expect(approved.outputs).toEqual({ 'deployment-id': id, phase: 'active', reason: '' });
      expect(approved.summary).toContain('| phase | **active** |');
      expect(approved.stdout).not.toContain('::error');
    },
    atAwsPace(240_000),
  );

  it(
    'tests failed: the deployment rolls back, the step exits 2 with the reason as output and annotation',
    async () => {
      const staged = await runAction({ SPEC: specFile, IMAGE: 'nginx:4', WAIT_FOR: 'awaiting_tests' });
      expect(staged.code).toBe(0);
      const id = staged.outputs['deployment-id'];
      const failed = await runAction({ DEPLOYMENT: id, TESTS: 'failed', TESTS_REASON: 'smoke: 3 of 40 failed' });
      expect(failed.code).toBe(2);
      expect(failed.outputs).toMatchObject({ 'deployment-id': id, phase: 'rolled_back' });
      expect(failed.outputs.reason).toContain('smoke: 3 of 40 failed');
      expect(failed.stdout).toMatch(
        new RegExp(`^::error title=Switchyard deployment ${id}::rolled_back: .*smoke: 3 of 40 failed`, 'm'),
      );
      expect(failed.summary).toContain('| exit code | 2 |');
    },
    atAwsPace(240_000),
  );

  it('inputs that cannot work are refused before anything is sent (exit 1)', async () => {
    const cases: [Record<string, string>, string][] = [
      [{}, 'give either spec (to start a deployment) or deployment (to steer and wait on one), not both or neither'],
      [{ SPEC: specFile, DEPLOYMENT: 'abcd1234' }, 'give either spec'],
      [{ DEPLOYMENT: 'abcd1234', TESTS: 'green' }, 'tests must be passed or failed, not "green"'],
      [{ DEPLOYMENT: 'abcd1234', APPROVE: 'yes' }, 'approve must be true or false, not "yes"'],
    ];
    for (const [inputs, reason] of cases) {
      const run = await runAction(inputs);
      expect(run.code).toBe(1);
      expect(run.outputs).toMatchObject({ phase: 'refused', reason: expect.stringContaining(reason) });
      expect(run.stdout).toContain('::error title=Switchyard deployment');
    }
  });
});

describe('actionlint on the workflow files', () => {
  const actionlint = readToolPaths().actionlint;
  const lint = (cwd: string, files: string[] = []) =>
    spawnSync(actionlint!, ['-no-color', ...files], { cwd, encoding: 'utf8' });

  beforeAll(() => {
    if (!actionlint) throw new Error('actionlint is not installed: setup needs a Go toolchain (npm run setup)');
  });

  /** The example as this repository's own workflow, the action as `./`: actionlint checks its inputs. */
  function asLocalRepository(workflow: (text: string) => string = (t) => t): string {
    const repo = fs.mkdtempSync(path.join(os.tmpdir(), 'switchyard-actionlint-'));
    fs.mkdirSync(path.join(repo, '.github', 'workflows'), { recursive: true });
    fs.mkdirSync(path.join(repo, '.git'));
    fs.copyFileSync(path.join(root, 'action.yml'), path.join(repo, 'action.yml'));
    const example = fs.readFileSync(path.join(root, 'examples', 'github-actions', 'deploy.yml'), 'utf8');
    fs.writeFileSync(
      path.join(repo, '.github', 'workflows', 'deploy.yml'),
      workflow(example.replaceAll('switchyard-dev/switchyard@v1', './')),
    );
    return repo;
  }

  it('every workflow file is clean, and the example uses only inputs action.yml declares', () => {
    const files = fs
      .readdirSync(path.join(root, 'examples', 'github-actions'))
      .map((f) => path.join('examples', 'github-actions', f));
    const own = path.join(root, '.github', 'workflows');
    if (fs.existsSync(own)) files.push(...fs.readdirSync(own).map((f) => path.join('.github', 'workflows', f)));
    expect(files.length).toBeGreaterThan(0);
    expect(lint(root, files)).toMatchObject({ status: 0, stdout: '' });
    const repo = asLocalRepository();
    try {
      expect(lint(repo)).toMatchObject({ status: 0, stdout: '' });
    } finally {
      fs.rmSync(repo, { recursive: true, force: true });
    }
  });

  it('a misspelt input or a bad expression is reported', () => {
    const repo = asLocalRepository((t) =>
      t
        .replace('wait-for: awaiting_tests', 'wait_for: awaiting_tests')
        .replace('steps.tests.outcome', 'steps.test.outcome'),
    );
    try {
      const result = lint(repo);
      expect(result.status).toBe(1);
      expect(result.stdout).toContain('input "wait_for" is not defined in action "Switchyard deploy"');
      expect(result.stdout).toContain('property "test" is not defined');
    } finally {
      fs.rmSync(repo, { recursive: true, force: true });
    }
  });
});
