// Node 20 is past its end of life (April 2026): the CLI and setup refuse it in one line, exit 1, before
// anything runs. With the machine's own Node 20 when it has one (CI runs the suite on Node 22 from the npm
// registry, .ci/run), and on this Node made to report 20 by a preload, so the check runs everywhere.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const root = path.resolve(__dirname, '..', '..');
const preloadDir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchyard-node20-'));
const preload = path.join(preloadDir, 'as-node-20.js');
afterAll(() => fs.rmSync(preloadDir, { recursive: true, force: true }));
fs.writeFileSync(
  preload,
  "Object.defineProperty(process.versions, 'node', { value: '20.19.0' });\n" +
    "Object.defineProperty(process, 'version', { value: 'v20.19.0' });\n",
);

/** Node binaries on PATH older than 22, by their own --version. */
function oldNodesOnPath(): string[] {
  const found = spawnSync('which', ['-a', 'node'], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean);
  return [...new Set(found.map((f) => fs.realpathSync(f)))].filter((bin) => {
    const version = spawnSync(bin, ['--version'], { encoding: 'utf8' }).stdout.trim();
    return Number(version.replace(/^v/, '').split('.')[0]) < 22;
  });
}

const runs: [string, string, string[]][] = [
  ['this Node, reporting v20.19.0', process.execPath, ['--require', preload]],
  ...oldNodesOnPath().map((bin): [string, string, string[]] => [`the machine's ${bin}`, bin, []]),
];

describe.each(runs)('on %s', (_label, node, flags) => {
  const version = spawnSync(node, [...flags, '-p', 'process.version'], { encoding: 'utf8' }).stdout.trim();

  it('the CLI refuses in one line, exit 1', () => {
    const run = spawnSync(node, [...flags, path.join(root, 'dist', 'cli', 'main.js'), 'list'], { encoding: 'utf8' });
    expect(run).toMatchObject({
      status: 1,
      stdout: '',
      stderr: `switchyard: Node.js ${version} is not supported (past its end of life): use Node.js 22 or 24 LTS.\n`,
    });
  });

  it('setup refuses before installing anything', () => {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'switchyard-node20-home-'));
    const run = spawnSync(node, [...flags, path.join(root, 'scripts', 'setup.js')], {
      encoding: 'utf8',
      env: { ...process.env, SWITCHYARD_HOME: home },
    });
    expect(run).toMatchObject({
      status: 1,
      stderr: `switchyard setup: Node.js ${version} is not supported (past its end of life): use Node.js 22 or 24 LTS.\n`,
    });
    expect(fs.readdirSync(home)).toEqual([]);
    fs.rmSync(home, { recursive: true, force: true });
  });
});

it('this suite runs on a supported Node', () => {
  expect(Number(process.versions.node.split('.')[0])).toBeGreaterThanOrEqual(22);
});
