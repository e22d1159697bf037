// Child processes of the dev stack: each in its own process group (so a terminal's Ctrl-C reaches only us
// and we stop them in order), output to a log file, readiness polled, stopped with TERM then KILL.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import { UserError } from '../shared/errors';

export interface ManagedProcess {
  name: string;
  pid: number;
  logFile: string;
  /** Resolves with the exit code (or signal name) when the process ends. */
  exited: Promise<number | string>;
  stop(graceMs?: number): Promise<void>;
}

// Children still running; killed on our way out whatever the path (a second Ctrl-C, an uncaught error),
// since their own process groups would not get the terminal's signal.
const live = new Set<number>();
let exitHookInstalled = false;

function killLiveOnExit(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => live.forEach((pid) => signalGroup(pid, 'SIGKILL')));
}

export function startProcess(
  name: string,
  command: string,
  args: string[],
  options: { logFile: string; env?: NodeJS.ProcessEnv },
): ManagedProcess {
  const log = fs.openSync(options.logFile, 'a');
  let child: ChildProcess;
  try {
    child = spawn(command, args, {
      detached: true,
      stdio: ['ignore', log, log],
      env: { ...process.env, ...options.env },
    });
  } finally {
    fs.closeSync(log);
  }
  const exited = new Promise<number | string>((resolve) => {
    child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown'));
    child.once('error', (err) => resolve(err.message));
  });
  let done = false;
  if (child.pid) {
    const pid = child.pid;
    live.add(pid);
    killLiveOnExit();
    void exited.then(() => live.delete(pid));
  }
  void exited.then(() => (done = true));

  return {
    name,
    pid: child.pid ?? -1,
    logFile: options.logFile,
    exited,
    async stop(graceMs = 10_000) {
      if (done || !child.pid) return;
      signalGroup(child.pid, 'SIGTERM');
      const timer = new Promise((r) => setTimeout(r, graceMs, 'timeout'));
      if ((await Promise.race([exited, timer])) === 'timeout') {
        signalGroup(child.pid, 'SIGKILL');
        await exited;
      }
    },
  };
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // Already gone.
  }
}

export function lastLines(file: string, count = 15): string {
  try {
    return fs.readFileSync(file, 'utf8').trimEnd().split('\n').slice(-count).join('\n');
  } catch {
    return '';
  }
}

/** The process ended before it was ready; its log's tail is in the message. */
export class ExitedBeforeReady extends UserError {}

/** Polls `ready` until it returns true; fails early, with the log's tail, if the process exits first. */
export async function waitUntilReady(
  proc: ManagedProcess,
  what: string,
  ready: () => Promise<boolean>,
  timeoutMs = 60_000,
): Promise<void> {
  let exit: number | string | undefined;
  void proc.exited.then((code) => (exit = code));
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (exit !== undefined) {
      throw new ExitedBeforeReady(
        `${proc.name} exited (${exit}) before ${what}; its log ${proc.logFile} ends with:\n${lastLines(proc.logFile)}`,
      );
    }
    if (await ready().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new UserError(`${proc.name}: ${what} did not happen within ${timeoutMs / 1000}s; see ${proc.logFile}.`);
}

export async function httpOk(url: string): Promise<boolean> {
  const res = await fetch(url, { signal: AbortSignal.timeout(2_000) });
  await res.arrayBuffer();
  return res.ok;
}

/** A clear error before starting anything when a port we would bind is taken. */
export async function assertPortFree(port: number, flag: string): Promise<void> {
  const net = await import('node:net');
  await new Promise<void>((resolve, reject) => {
    const server = net.createServer();
    server.once('error', () =>
      reject(
        new UserError(`port ${port} on 127.0.0.1 is already in use (another dev stack?). Stop it or pass ${flag}.`),
      ),
    );
    server.listen(port, '127.0.0.1', () => server.close(() => resolve()));
  });
}

/**
 * A port that was free a moment ago on 127.0.0.1 (the OS picks it), none of `taken`: ports already chosen
 * for a server that has not bound them yet (the OS may hand a just-closed port out again).
 */
export async function freePort(taken: readonly number[] = []): Promise<number> {
  for (;;) {
    const port = await anyFreePort();
    if (!taken.includes(port)) return port;
  }
}

async function anyFreePort(): Promise<number> {
  const net = await import('node:net');
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as import('node:net').AddressInfo;
      server.close(() => resolve(port));
    });
  });
}
