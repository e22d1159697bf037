// The embedded Temporal dev server: a server that dies at startup (its internal ports are picked by the
// server itself and can be taken by another process in between) is started again; one that keeps dying
// fails with its log's tail.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ExitedBeforeReady, freePort } from '../../src/dev/processes';
import { startTemporalDevServer } from '../../src/dev/temporal-dev-server';
import { readToolPaths } from '../../src/dev/tools';

describe('the embedded Temporal dev server', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchyard-devserver-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  /** A stand-in for the Temporal CLI that dies like the real one did in CI for its first `dies` runs. */
  const flakyCli = (dies: number) => {
    const script = path.join(dir, 'temporal');
    const count = path.join(dir, 'runs');
    fs.writeFileSync(
      script,
      [
        '#!/bin/sh',
        `runs=$(( $(cat ${count} 2>/dev/null || echo 0) + 1 ))`,
        `echo $runs > ${count}`,
        `if [ $runs -le ${dies} ]; then echo "panic: runtime error: invalid memory address or nil pointer dereference"; exit 2; fi`,
        `exec ${readToolPaths().temporal} "$@"`,
      ].join('\n'),
      { mode: 0o755 },
    );
    return { script, runs: () => Number(fs.readFileSync(count, 'utf8')) };
  };

  const start = async (cli: string) =>
    startTemporalDevServer({
      cli,
      port: await freePort(),
      uiPort: 0,
      headless: true,
      dbFile: path.join(dir, 'temporal.db'),
      logFile: path.join(dir, 'temporal.log'),
    });

  it('starts again when the server dies before its frontend answers, and keeps the log of both runs', async () => {
    const cli = flakyCli(1);
    const server = await start(cli.script);
    try {
      expect(cli.runs()).toBe(2);
      expect(fs.readFileSync(path.join(dir, 'temporal.log'), 'utf8')).toContain('panic: runtime error');
    } finally {
      await server.process.stop();
    }
  }, 60_000);

  it('gives up after three deaths, with the log of the last', async () => {
    const cli = flakyCli(99);
    const failure = start(cli.script);
    await expect(failure).rejects.toBeInstanceOf(ExitedBeforeReady);
    await expect(failure).rejects.toThrow(/temporal dev server exited \(2\) before the frontend answered.*panic/s);
    expect(cli.runs()).toBe(3);
  }, 60_000);
});
