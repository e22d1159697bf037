// Notifications through the real CLI and a `switchyard worker`: a local receiver plays a Slack incoming
// webhook (its URL in the worker's environment), a signed JSON endpoint and a dead endpoint (500 to
// everything). Two deployments, one approved to active and one rolled back at its approval gate: every
// event arrives once, with the exact commands, the reason and who asked, the JSON ones signed with the
// key the worker holds; the dead endpoint changes nothing in the outcome and is reported in the status.
import { createHmac } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { destroyAwsClients } from '../../src/aws/clients';
import { demoAccount } from '../../src/dev/demo';
import { seedAccount, type AccountClients } from '../../src/dev/seed';
import type { Notification } from '../../src/shared/notify';
import { runCli, startCli } from '../support/cli';
import { blueGreenSpec, writeSpec } from '../support/e2e-spec';
import { deploymentIdOf, startE2eWorker, type E2eWorker } from '../support/e2e-worker';
import { recordHistory } from '../support/histories';
import { atAwsPace, awsClientsOnMoto, resetAws, servers } from '../support/servers';

const service = `ntf${Date.now().toString(36).slice(-6)}`;
const key = `key-${Date.now().toString(36)}`;

interface Received {
  path: string;
  signature?: string;
  body: string;
}

describe('notifications: webhooks hear of every event, and a dead one changes nothing', () => {
  let dir: string;
  let clients: AccountClients;
  let worker: E2eWorker;
  let receiver: http.Server;
  let base: string;
  const received: Received[] = [];

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchyard-notify-'));
    receiver = http.createServer((req, res) => {
      let body = '';
      req.on('data', (d) => (body += d));
      req.on('end', () => {
        received.push({ path: req.url ?? '', signature: req.headers['x-switchyard-signature-256'] as string, body });
        res.statusCode = req.url === '/dead' ? 500 : 200;
        res.end(req.url === '/dead' ? 'no' : 'ok');
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
    await resetAws();
    clients = awsClientsOnMoto();
    await seedAccount(clients, demoAccount);
    worker = await startE2eWorker('notify', {
      TEMPORAL_ADDRESS: servers.temporalAddress,
      TEST_CHAT_WEBHOOK_URL: `${base}/slack`,
      TEST_AUDIT_KEY: key,
    });
  });

  afterAll(async () => {
    await worker?.stop();
    await new Promise((r) => receiver?.close(r));
    if (clients) destroyAwsClients(clients);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const spec = (image: string) =>
    writeSpec(
      dir,
      blueGreenSpec(service, {
        image,
        approval: { required: true },
        notify: [
          {
            name: 'chat',
            urlEnv: 'TEST_CHAT_WEBHOOK_URL',
            format: 'slack',
            events: ['awaiting_approval', 'rolled_back', 'active'],
          },
          { name: 'audit', url: `${base}/audit`, secretEnv: 'TEST_AUDIT_KEY' },
          { name: 'pager', url: `${base}/dead`, events: ['rolled_back'] },
        ],
      }),
    );

  const until = async (what: () => boolean, label: string) => {
    const deadline = Date.now() + 30_000;
    while (!what()) {
      if (Date.now() > deadline) throw new Error(`${label} did not arrive: ${JSON.stringify(received, null, 1)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  const audit = (id: string) =>
    received
      .filter((r) => r.path === '/audit')
      .map((r) => JSON.parse(r.body) as Notification)
      .filter((n) => n.deploymentId === id);

  it(
    'an approved deployment and a rolled-back one, as the receivers heard them',
    async () => {
      // 1: tests passed, approved, live.
      const first = startCli(['deploy', '-f', spec('nginx:1'), '--wait'], worker.env);
      const v1 = await deploymentIdOf(first);
      await first.waitForOutput(/awaiting_tests/);
      await until(() => audit(v1).some((n) => n.event === 'awaiting_tests'), 'awaiting_tests');
      expect(await runCli(['tests-passed', v1], worker.env)).toMatchObject({ code: 0 });
      await first.waitForOutput(/awaiting_approval/);
      await until(() => received.some((r) => r.path === '/slack'), 'the chat message');
      expect(await runCli(['approve', v1, '--by', 'carol'], worker.env)).toMatchObject({ code: 0 });
      expect(await first.exited).toBe(0);

      // 2: rolled back at its approval gate by alice.
      const second = startCli(['deploy', '-f', spec('nginx:2'), '--wait'], worker.env);
      const v2 = await deploymentIdOf(second);
      await second.waitForOutput(/awaiting_tests/);
      expect(await runCli(['tests-passed', v2], worker.env)).toMatchObject({ code: 0 });
      await second.waitForOutput(/awaiting_approval/);
      const rollback = await runCli(
        ['rollback', v2, '--by', 'alice', '--reason', 'error rate on the canary'],
        worker.env,
      );
      expect(rollback.code).toBe(0);
      // The dead pager changes nothing: rolled back, exit 2, as without it.
      expect(await second.exited).toBe(2);

      // Every JSON event, in order, signed with the worker's key.
      for (const r of received.filter((x) => x.path === '/audit'))
        expect(r.signature).toBe(`sha256=${createHmac('sha256', key).update(r.body).digest('hex')}`);
      expect(audit(v1).map((n) => n.event)).toEqual(['awaiting_tests', 'awaiting_approval', 'traffic_step', 'active']);
      expect(audit(v2).map((n) => n.event)).toEqual(['awaiting_tests', 'awaiting_approval', 'rolled_back']);
      const [tests, approval, step] = audit(v1);
      expect(tests.commands).toEqual([`switchyard tests-passed ${v1}`, `switchyard tests-failed ${v1} --reason "..."`]);
      expect(approval).toMatchObject({ service, environment: 'prod', image: 'nginx:1' });
      expect(approval.commands).toContain(`switchyard approve ${v1}`);
      expect(step.percent).toBe(100);
      expect(audit(v2)[2]).toMatchObject({
        reason: 'rollback requested by alice: error rate on the canary',
        by: 'alice',
      });

      // The chat webhook got only its events, as Slack text.
      const chat = received.filter((r) => r.path === '/slack').map((r) => JSON.parse(r.body) as { text: string });
      expect(chat).toHaveLength(4);
      expect(chat[0].text).toContain(`*${service}/prod* deployment \`${v1}\``);
      expect(chat[0].text).toContain(`\`switchyard approve ${v1}\``);
      expect(chat[3].text).toMatch(/rolled back|error rate on the canary/);
      expect(received.filter((r) => r.path === '/slack').every((r) => r.signature === undefined)).toBe(true);

      // The pager was tried and retried, and the status says it was not delivered.
      expect(received.filter((r) => r.path === '/dead').length).toBeGreaterThan(1);
      const status = JSON.parse((await runCli(['status', v2, '-o', 'json'], worker.env)).stdout) as {
        phase: string;
        notifications: { sent: number; failed: { webhook: string; event: string; error: string }[] };
      };
      expect(status.phase).toBe('rolled_back');
      expect(status.notifications.failed).toEqual([
        { webhook: 'pager', event: 'rolled_back', error: expect.stringContaining('answered 500') },
      ]);
      expect(status.notifications.sent).toBe(5);
      await recordHistory('notifications-approved', v1);
      await recordHistory('notifications-rolled-back-dead-webhook', v2);
    },
    atAwsPace(300_000),
  );
});
