// The Temporal CLI's dev server (frontend, SQLite persistence, web UI) as a child process.
import { Connection } from '@temporalio/client';
import { startProcess, waitUntilReady, httpOk, ExitedBeforeReady, type ManagedProcess } from './processes';

export interface TemporalDevServerOptions {
  cli: string;
  port: number;
  uiPort: number;
  /** SQLite file: deployments survive a restart. */
  dbFile: string;
  logFile: string;
  namespace?: string;
  headless?: boolean;
}

export interface TemporalDevServer {
  process: ManagedProcess;
  address: string;
  uiUrl?: string;
}

/**
 * The dev server picks its internal services' ports itself (bind to port 0, close, hand the number on), so
 * another process on the machine can take one in between; the server then dies at startup (CI saw a nil
 * listener panic in its worker service). Such an early exit is retried, with the log kept.
 */
const startAttempts = 3;

export async function startTemporalDevServer(opts: TemporalDevServerOptions): Promise<TemporalDevServer> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(opts);
    } catch (err) {
      if (!(err instanceof ExitedBeforeReady) || attempt === startAttempts) throw err;
    }
  }
}

async function startOnce(opts: TemporalDevServerOptions): Promise<TemporalDevServer> {
  const args = [
    'server',
    'start-dev',
    '--ip',
    '127.0.0.1',
    '--port',
    String(opts.port),
    '--namespace',
    opts.namespace ?? 'default',
    '--db-filename',
    opts.dbFile,
    '--log-level',
    'warn',
    ...(opts.headless ? ['--headless'] : ['--ui-port', String(opts.uiPort)]),
  ];
  const proc = startProcess('temporal dev server', opts.cli, args, { logFile: opts.logFile });
  const address = `127.0.0.1:${opts.port}`;
  const uiUrl = opts.headless ? undefined : `http://127.0.0.1:${opts.uiPort}`;
  try {
    await waitUntilReady(proc, `the frontend answered on ${address}`, () => frontendAnswers(address));
    if (uiUrl) await waitUntilReady(proc, `the web UI answered on ${uiUrl}`, () => httpOk(uiUrl));
  } catch (err) {
    await proc.stop();
    throw err;
  }
  return { process: proc, address, uiUrl };
}

async function frontendAnswers(address: string): Promise<boolean> {
  const connection = await Connection.connect({ address, connectTimeout: '1s' });
  try {
    await connection.workflowService.getSystemInfo({});
    return true;
  } finally {
    await connection.close();
  }
}
