// The Temporal CLI's dev server (frontend, SQLite persistence, web UI) as a child process.
import { Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import type { SearchAttributeType } from '@temporalio/common';
import { startProcess, waitUntilReady, httpOk, type ManagedProcess } from './processes';

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

export async function startTemporalDevServer(opts: TemporalDevServerOptions): Promise<TemporalDevServer> {
  const args = [
    'server', 'start-dev',
    '--ip', '127.0.0.1',
    '--port', String(opts.port),
    '--namespace', opts.namespace ?? 'default',
    '--db-filename', opts.dbFile,
    '--log-level', 'warn',
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

const indexedType: Record<SearchAttributeType, temporal.api.enums.v1.IndexedValueType> = {
  TEXT: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_TEXT,
  KEYWORD: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
  INT: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_INT,
  DOUBLE: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_DOUBLE,
  BOOL: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_BOOL,
  DATETIME: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_DATETIME,
  KEYWORD_LIST: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD_LIST,
};

/**
 * Adds the search attributes that are not registered yet. The dev server's --search-attribute flag only
 * applies to a new SQLite file, so a persisted one needs the operator service.
 */
export async function registerSearchAttributes(
  address: string,
  namespace: string,
  keys: { name: string; type: SearchAttributeType }[],
): Promise<string[]> {
  const connection = await Connection.connect({ address });
  try {
    const existing = await connection.operatorService.listSearchAttributes({ namespace });
    const known = new Set(Object.keys(existing.customAttributes ?? {}));
    const missing = keys.filter((k) => !known.has(k.name));
    if (missing.length > 0) {
      await connection.operatorService.addSearchAttributes({
        namespace,
        searchAttributes: Object.fromEntries(missing.map((k) => [k.name, indexedType[k.type]])),
      });
    }
    return missing.map((k) => k.name);
  } finally {
    await connection.close();
  }
}
