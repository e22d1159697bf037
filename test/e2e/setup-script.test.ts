// scripts/setup.js, the project's installer of the real parts: a clear line when Python is missing,
// nothing to do when everything is installed; and what the CLI says when setup never ran.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { cleanEnv, runCli } from '../support/cli';

const setupScript = path.resolve(__dirname, '..', '..', 'scripts', 'setup.js');

function runSetup(env: NodeJS.ProcessEnv) {
  return spawnSync(process.execPath, [setupScript], { env, encoding: 'utf8' });
}

describe('scripts/setup.js', () => {
  let emptyHome: string;
  beforeAll(() => {
    emptyHome = fs.mkdtempSync(path.join(os.tmpdir(), 'switchyard-home-'));
  });
  afterAll(() => fs.rmSync(emptyHome, { recursive: true, force: true }));

  it('says in one line that Python is missing and how to fix it', () => {
    const result = runSetup(cleanEnv({ SWITCHYARD_HOME: emptyHome, PYTHON: '/nonexistent/python3' }));
    expect(result.status).toBe(1);
    expect(result.stderr).toBe(
      'switchyard setup: no Python 3.9+ with the venv module found (tried /nonexistent/python3). ' +
        'Install Python 3 (e.g. apt-get install python3 python3-venv) or set PYTHON=/path/to/python3.\n',
    );
    expect(fs.existsSync(path.join(emptyHome, 'tools.json'))).toBe(false);
  });

  it('refuses a SWITCHYARD_TEMPORAL_CLI that does not run, before installing anything', () => {
    const result = runSetup(cleanEnv({ SWITCHYARD_HOME: emptyHome, SWITCHYARD_TEMPORAL_CLI: '/nonexistent/temporal' }));
    expect(result.status).toBe(1);
    expect(result.stderr).toBe(
      'switchyard setup: SWITCHYARD_TEMPORAL_CLI=/nonexistent/temporal does not run (`/nonexistent/temporal --version` failed).\n',
    );
    expect(fs.readdirSync(emptyHome)).toEqual([]);
  });

  it('does nothing, silently, when the pinned tools are installed', () => {
    const result = runSetup(cleanEnv({}));
    expect(result.status).toBe(0);
    expect(result.stderr).toBe('');
  });

  it('the CLI points at `npm run setup` when the tools were never installed', async () => {
    const result = await runCli(
      ['dev', '--temporal-port', '1', '--ui-port', '2', '--aws-port', '3'],
      cleanEnv({ SWITCHYARD_HOME: emptyHome }),
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      `switchyard: the local Temporal and AWS emulator are not installed (${path.join(emptyHome, 'tools.json')} is missing). Run \`npm run setup\`.\n`,
    );
  });
});
