// `switchyard dev` as a user runs it: everything comes up on loopback, Ctrl-C leaves no process behind,
// and the Temporal state survives a restart.
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { temporal as proto } from '@temporalio/proto';
import { allSearchAttributes } from '../../src/shared/naming';
import { cleanEnv, runCli, startCli } from '../support/cli';
import { freePort } from '../../src/dev/processes';
import { atAwsPace } from '../support/servers';

/** Pids of the processes started by `pid` (children and their children), read from /proc. */
function descendants(pid: number): number[] {
  const parents = new Map<number, number>();
  for (const entry of fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      parents.set(Number(entry), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // Gone meanwhile.
    }
  }
  const found: number[] = [];
  const walk = (parent: number) => {
    for (const [child, ppid] of parents) {
      if (ppid !== parent) continue;
      found.push(child);
      walk(child);
    }
  };
  walk(pid);
  return found;
}

function alive(pids: number[]): number[] {
  return pids.filter(
    (pid) => fs.existsSync(`/proc/${pid}`) && !/\) Z /.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8')),
  );
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
    args = [
      '--temporal-port',
      `${ports.temporal}`,
      '--ui-port',
      `${ports.ui}`,
      '--aws-port',
      `${ports.aws}`,
      '--state-dir',
      stateDir,
    ];
  });
  afterAll(() => fs.rmSync(stateDir, { recursive: true, force: true }));

  it(
    'brings up the UI, moto and a polling worker, runs the demo, and Ctrl-C stops every process',
    async () => {
      const dev = startCli(['dev', '--demo', ...args], cleanEnv({}));
      let children: number[] = [];
      try {
        await dev.waitForOutput(/^demo: done\./m, 150_000);
        expect(dev.output()).toMatch(/^demo: deployment [a-z0-9]{8}: active$/m);
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
          expect(Object.keys(attrs.customAttributes ?? {})).toEqual(
            expect.arrayContaining(allSearchAttributes.map((k) => k.name)),
          );
          expect(dev.output()).toContain(
            `demo: preflight in the web UI: http://127.0.0.1:${ports.ui}/namespaces/default/workflows/preflight-`,
          );
          // Pinned to the run: the next deployment of web/demo reuses the workflow id.
          expect(dev.output()).toMatch(
            new RegExp(
              `demo: watch it at http://127\\.0\\.0\\.1:${ports.ui}/namespaces/default/workflows/switchyard-web-demo/[0-9a-f-]{36}/history\n`,
            ),
          );
        });
        children = descendants(dev.child.pid!);
        expect(children.length).toBeGreaterThanOrEqual(2); // the Temporal CLI and moto, at least
      } finally {
        dev.child.kill('SIGINT');
        await dev.exited;
      }
      expect(await dev.exited).toBe(0);
      expect(dev.output()).toMatch(/SIGINT: stopping the worker, Temporal and moto \(again to force\)\nstopped\n$/);
      expect(alive(children)).toEqual([]);
    },
    atAwsPace(180_000),
  );

  it(
    'keeps workflows across a restart (SQLite state file)',
    async () => {
      const dev = startCli(['dev', ...args], cleanEnv({}));
      let children: number[] = [];
      try {
        await dev.waitForOutput(/Press Ctrl-C to stop everything/, 120_000);
        expect(dev.output()).not.toMatch(/registered search attributes/);
        const ids = await withClient(`127.0.0.1:${ports.temporal}`, async (client) => {
          const found: string[] = [];
          for await (const wf of client.workflow.list({ query: `WorkflowType = 'preflight'` }))
            found.push(wf.workflowId);
          return found;
        });
        expect(ids).toHaveLength(1);
        expect(ids[0]).toMatch(/^preflight-switchyard-demo-/);
        children = descendants(dev.child.pid!);
      } finally {
        dev.child.kill('SIGTERM');
        await dev.exited;
      }
      expect(await dev.exited).toBe(0);
      expect(alive(children)).toEqual([]);
    },
    atAwsPace(180_000),
  );

  it(
    'a second Ctrl-C forces the stop and still leaves no process behind',
    async () => {
      const dev = startCli(['dev', ...args], cleanEnv({}));
      await dev.waitForOutput(/Press Ctrl-C to stop everything/, 120_000);
      const children = descendants(dev.child.pid!);
      dev.child.kill('SIGINT');
      await dev.waitForOutput(/again to force/);
      dev.child.kill('SIGINT');
      expect(await dev.exited).toBe(130);
      await new Promise((r) => setTimeout(r, 500));
      expect(alive(children)).toEqual([]);
    },
    atAwsPace(180_000),
  );

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
