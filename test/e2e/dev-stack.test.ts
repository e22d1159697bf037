// `switchyard dev` as a user runs it: everything comes up on loopback, Ctrl-C leaves no process behind,
// and the Temporal state survives a restart.
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { temporal as proto } from '@temporalio/proto';
import { allSearchAttributes } from '../../src/shared/names';
import { cleanEnv, runCli, startCli } from '../support/cli';
import { freePort } from '../../src/dev/processes';

/** Processes whose command line mentions one of the ports (the children dev started). */
function processesUsing(ports: number[]): string[] {
  const found: string[] = [];
  for (const pid of fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    let cmd: string;
    try {
      cmd = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
    } catch {
      continue;
    }
    if (ports.some((p) => new RegExp(`(--port|--ui-port|-p) ${p}\\b`).test(cmd))) found.push(`${pid}: ${cmd}`);
  }
  return found;
}

async function withClient<T>(address: string, fn: (client: Client, connection: Connection) => Promise<T>): Promise<T> {
  const connection = await Connection.connect({ address });
  try {
    return await fn(new Client({ connection }), connection);
  } finally {
    await connection.close();
  }
}

describe('switchyard dev', () => {
  let stateDir: string;
  let ports: { temporal: number; ui: number; aws: number };
  let args: string[];

  beforeAll(async () => {
    stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchyard-dev-'));
    ports = { temporal: await freePort(), ui: await freePort(), aws: await freePort() };
    args = ['--temporal-port', `${ports.temporal}`, '--ui-port', `${ports.ui}`, '--aws-port', `${ports.aws}`, '--state-dir', stateDir];
  });
  afterAll(() => fs.rmSync(stateDir, { recursive: true, force: true }));

  it('brings up the UI, moto and a polling worker, runs the demo, and Ctrl-C stops every process', async () => {
    const dev = startCli(['dev', '--demo', ...args], cleanEnv({}));
    try {
      await dev.waitForOutput(/^preflight passed$/m, 120_000);
      const ui = await fetch(`http://127.0.0.1:${ports.ui}/`);
      expect(ui.status).toBe(200);
      const moto = await fetch(`http://127.0.0.1:${ports.aws}/moto-api/`);
      expect(moto.status).toBe(200);

      await withClient(`127.0.0.1:${ports.temporal}`, async (_client, connection) => {
        const { pollers } = await connection.workflowService.describeTaskQueue({
          namespace: 'default',
          taskQueue: { name: 'switchyard' },
          taskQueueType: proto.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY,
        });
        expect(pollers?.length).toBeGreaterThan(0);
        const attrs = await connection.operatorService.listSearchAttributes({ namespace: 'default' });
        expect(Object.keys(attrs.customAttributes ?? {})).toEqual(expect.arrayContaining(allSearchAttributes.map((k) => k.name)));
        expect(dev.output()).toContain(`demo: see it in the web UI: http://127.0.0.1:${ports.ui}/namespaces/default/workflows/preflight-`);
      });
      expect(processesUsing(Object.values(ports)).length).toBeGreaterThanOrEqual(2);
    } finally {
      dev.child.kill('SIGINT');
    }
    expect(await dev.exited).toBe(0);
    expect(dev.output()).toMatch(/SIGINT: stopping the worker, Temporal and moto \(again to force\)\nstopped\n$/);
    expect(processesUsing(Object.values(ports))).toEqual([]);
  }, 180_000);

  it('keeps workflows across a restart (SQLite state file)', async () => {
    const dev = startCli(['dev', ...args], cleanEnv({}));
    try {
      await dev.waitForOutput(/Press Ctrl-C to stop everything/, 120_000);
      expect(dev.output()).not.toMatch(/registered search attributes/);
      const ids = await withClient(`127.0.0.1:${ports.temporal}`, async (client) => {
        const found: string[] = [];
        for await (const wf of client.workflow.list({ query: `WorkflowType = 'preflight'` })) found.push(wf.workflowId);
        return found;
      });
      expect(ids).toHaveLength(1);
      expect(ids[0]).toMatch(/^preflight-switchyard-demo-/);
    } finally {
      dev.child.kill('SIGTERM');
    }
    expect(await dev.exited).toBe(0);
    expect(processesUsing(Object.values(ports))).toEqual([]);
  }, 180_000);

  it('a second Ctrl-C forces the stop and still leaves no process behind', async () => {
    const dev = startCli(['dev', ...args], cleanEnv({}));
    await dev.waitForOutput(/Press Ctrl-C to stop everything/, 120_000);
    dev.child.kill('SIGINT');
    await dev.waitForOutput(/again to force/);
    dev.child.kill('SIGINT');
    expect(await dev.exited).toBe(130);
    expect(processesUsing(Object.values(ports))).toEqual([]);
  }, 180_000);

  it('refuses to start, with one line, when a port is taken', async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(ports.ui, '127.0.0.1', resolve));
    try {
      const result = await runCli(['dev', ...args], cleanEnv({}));
      expect(result.code).toBe(1);
      expect(result.stderr).toBe(
        `switchyard: port ${ports.ui} on 127.0.0.1 is already in use (another dev stack?). Stop it or pass --ui-port.\n`,
      );
    } finally {
      blocker.close();
    }
  });
});
