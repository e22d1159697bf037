#!/usr/bin/env node
// Photographs a live web page with headless chromium, through the DevTools protocol: the page is loaded,
// given `settleMs` of real time to fetch and render (the Temporal UI polls, so chromium's own
// --screenshot, which waits for the network to go quiet, waits until the moment has passed), then shot.
// No dependencies: Node 22's WebSocket. Used by scripts/ui-screenshot.sh.
// Usage: node scripts/cdp-screenshot.js <url> <out.png> [width=1440] [height=1300] [settleMs=4000]
'use strict';
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const [url, out, width = '1440', height = '1300', settleMs = '4000'] = process.argv.slice(2);
if (!url || !out) {
  console.error('usage: cdp-screenshot.js <url> <out.png> [width] [height] [settleMs]');
  process.exit(64);
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function main() {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'cdp-'));
  const browser = spawn(
    'chromium',
    [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--hide-scrollbars',
      '--remote-debugging-port=0',
      `--user-data-dir=${profile}`,
      'about:blank',
    ],
    // Its own process group: chromium's helpers go with it, and its shutdown signals reach no one else.
    { stdio: 'ignore', detached: true },
  );
  try {
    const port = await devToolsPort(profile, browser);
    const targets = await (await fetch(`http://127.0.0.1:${port}/json/list`)).json();
    const page = targets.find((t) => t.type === 'page');
    if (!page) throw new Error('chromium opened no page');
    const cdp = await connect(page.webSocketDebuggerUrl);
    await cdp.send('Emulation.setDeviceMetricsOverride', {
      width: Number(width),
      height: Number(height),
      deviceScaleFactor: 1,
      mobile: false,
    });
    await cdp.send('Page.enable');
    const loaded = cdp.once('Page.loadEventFired', 30_000);
    await cdp.send('Page.navigate', { url });
    await loaded;
    await sleep(Number(settleMs));
    const { data } = await cdp.send('Page.captureScreenshot', { format: 'png' });
    fs.mkdirSync(path.dirname(out), { recursive: true });
    fs.writeFileSync(out, Buffer.from(data, 'base64'));
    cdp.close();
  } finally {
    if (browser.exitCode === null) {
      const exited = new Promise((r) => browser.once('exit', r));
      try {
        process.kill(-browser.pid, 'SIGTERM');
      } catch {
        // Gone already (ESRCH): nothing to stop.
      }
      await Promise.race([exited, sleep(10_000)]);
    }
    fs.rmSync(profile, { recursive: true, force: true, maxRetries: 5 });
  }
}

/** Chromium writes the port it chose to DevToolsActivePort in its profile once it listens. */
async function devToolsPort(profile, browser) {
  const file = path.join(profile, 'DevToolsActivePort');
  for (let i = 0; i < 200; i++) {
    if (browser.exitCode !== null) throw new Error(`chromium exited with ${browser.exitCode}`);
    if (fs.existsSync(file)) {
      const [port] = fs.readFileSync(file, 'utf8').split('\n');
      if (port) return port;
    }
    await sleep(50);
  }
  throw new Error('chromium did not open its DevTools port within 10 s');
}

function connect(wsUrl) {
  const ws = new WebSocket(wsUrl);
  let nextId = 0;
  const pending = new Map();
  const listeners = new Map();
  ws.onmessage = (m) => {
    const msg = JSON.parse(m.data);
    if (msg.id !== undefined) {
      const p = pending.get(msg.id);
      pending.delete(msg.id);
      if (msg.error) p?.reject(new Error(`${msg.error.message} (${msg.error.code})`));
      else p?.resolve(msg.result);
    } else listeners.get(msg.method)?.forEach((f) => f(msg.params));
  };
  const client = {
    send: (method, params = {}) =>
      new Promise((resolve, reject) => {
        const id = ++nextId;
        pending.set(id, { resolve, reject });
        ws.send(JSON.stringify({ id, method, params }));
      }),
    once: (method, timeoutMs) =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no ${method} within ${timeoutMs} ms`)), timeoutMs);
        listeners.set(method, [
          (params) => {
            clearTimeout(timer);
            listeners.delete(method);
            resolve(params);
          },
        ]);
      }),
    close: () => ws.close(),
  };
  return new Promise((resolve, reject) => {
    ws.onopen = () => resolve(client);
    ws.onerror = () => reject(new Error(`cannot reach chromium's DevTools at ${wsUrl}`));
  });
}

main().catch((err) => {
  console.error(`cdp-screenshot: ${err.message}`);
  process.exit(1);
});
