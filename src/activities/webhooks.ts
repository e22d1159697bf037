// Notifications to webhooks: one POST per event and webhook, Slack-compatible ({"text": ...}) or the
// notification as JSON, signed with HMAC-SHA256 of the body when the webhook names a key
// (X-Switchyard-Signature-256: sha256=<hex>, as GitHub signs its webhooks). URLs and keys held in the
// worker's environment are read here, at send time, and never logged: a webhook is named by its name
// and host. Any answer but 2xx fails the attempt (the workflow's retry policy and deadline decide).
import { createHmac } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/activity';
import type { Notification, Webhook } from '../shared/notify';

export const signatureHeader = 'X-Switchyard-Signature-256';

export function sign(key: string, body: string): string {
  return `sha256=${createHmac('sha256', key).update(body).digest('hex')}`;
}

/** What a Slack-compatible receiver shows: one line, the commands that answer on their own lines. */
export function slackText(n: Notification): string {
  const head = `*${n.service}/${n.environment}* deployment \`${n.deploymentId}\` (\`${n.image}\`): ${n.text}`;
  return [head, ...(n.commands ?? []).map((c) => `\`${c}\``)].join('\n');
}

function fromEnv(name: string, webhook: Webhook, what: string): string {
  const value = process.env[name];
  if (!value)
    throw ApplicationFailure.nonRetryable(
      `webhook ${webhook.name}: the worker has no ${name} (the ${what} the spec names); set it in the worker's environment`,
    );
  return value;
}

/** The URL's host, for messages (its path and query may hold a token). */
function hostOf(url: string, webhook: Webhook): string {
  try {
    return new URL(url).host;
  } catch {
    throw ApplicationFailure.nonRetryable(
      `webhook ${webhook.name}: ${webhook.urlEnv ?? 'its url'} does not hold an http(s) URL`,
    );
  }
}

export function createWebhookActivities() {
  return {
    async sendNotification(input: { webhook: Webhook; notification: Notification }): Promise<void> {
      const { webhook, notification } = input;
      const url = webhook.url ?? fromEnv(webhook.urlEnv!, webhook, 'URL');
      const body = JSON.stringify(webhook.format === 'slack' ? { text: slackText(notification) } : notification);
      const headers: Record<string, string> = { 'content-type': 'application/json', 'user-agent': 'switchyard' };
      if (webhook.secretEnv) headers[signatureHeader] = sign(fromEnv(webhook.secretEnv, webhook, 'signing key'), body);
      const where = `webhook ${webhook.name} (${hostOf(url, webhook)})`;
      let status: number;
      try {
        const res = await fetch(url, { method: 'POST', headers, body, signal: AbortSignal.timeout(10_000) });
        await res.arrayBuffer();
        status = res.status;
      } catch (err) {
        const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).name;
        throw new Error(`POST ${notification.event} to ${where} failed: ${cause}`);
      }
      if (status < 200 || status > 299) throw new Error(`POST ${notification.event} to ${where} answered ${status}`);
    },
  };
}
