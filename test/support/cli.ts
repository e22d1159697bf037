// Runs the built CLI (dist/cli/main.js) as a user or CI would: a separate process, env vars, exit code.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const cliPath = path.resolve(__dirname, '..', '..', 'dist', 'cli', 'main.js');

function assertBuilt(): void {
  if (!fs.existsSync(cliPath)) throw new Error(`${cliPath} is missing: run \`npm run build\` (npm test does)`);
}

/** The environment a user on a clean machine would have: none of the Temporal/AWS settings unless given. */
export function cleanEnv(extra: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const key of Object.keys(env)) {
    if (/^(TEMPORAL_|AWS_|SWITCHYARD_)/.test(key)) delete env[key];
  }
  // No Temporal config file of the person running the tests (~/.config/temporalio/temporal.toml).
  return { ...env, XDG_CONFIG_HOME: path.join(os.tmpdir(), 'switchyard-no-config'), ...extra };
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function runCli(args: string[], env: NodeJS.ProcessEnv, timeoutMs = 60_000): Promise<CliResult> {
  assertBuilt();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cliPath, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`switchyard ${args.join(' ')} did not finish in ${timeoutMs} ms\n${stdout}\n${stderr}`));
    }, timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

export interface LongRunningCli {
  child: ChildProcess;
  output(): string;
  waitForOutput(pattern: RegExp, timeoutMs?: number): Promise<void>;
  exited: Promise<number | null>;
}

/** Starts a long-running command (worker, dev) and lets the test wait for a line of its output. */
export function startCli(args: string[], env: NodeJS.ProcessEnv): LongRunningCli {
  assertBuilt();
  return following(spawn(process.execPath, [cliPath, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] }), args);
}

/**
 * Starts a command on a terminal, as a person runs it: util-linux `script` gives it a pseudo-terminal
 * (stdout.isTTY), and its output is what the terminal received.
 */
export function startCliOnTerminal(args: string[], env: NodeJS.ProcessEnv): LongRunningCli {
  assertBuilt();
  const quote = (a: string) => `'${a.replace(/'/g, `'\\''`)}'`;
  const command = [process.execPath, cliPath, ...args].map(quote).join(' ');
  return following(spawn('script', ['-qec', command, '/dev/null'], { env, stdio: ['ignore', 'pipe', 'pipe'] }), args);
}

function following(child: ChildProcess, args: string[]): LongRunningCli {
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return {
    child,
    output: () => output,
    exited,
    async waitForOutput(pattern, timeoutMs = 60_000) {
      const deadline = Date.now() + timeoutMs;
      let done = false;
      void exited.then(() => (done = true));
      while (!pattern.test(output)) {
        if (done) throw new Error(`switchyard ${args.join(' ')} exited before printing ${pattern}:\n${output}`);
        if (Date.now() > deadline) throw new Error(`switchyard ${args.join(' ')} did not print ${pattern}:\n${output}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
  };
}
