// Notifications: the events a deployment announces to webhooks, what each webhook takes, and what one
// event says. Pure, shared by the spec, the workflows and the webhook activity.

export const notifyEvents = [
  'awaiting_tests',
  'awaiting_approval',
  'traffic_step',
  'analysis_failed',
  'rolled_back',
  'active',
  'failed',
] as const;
export type NotifyEvent = (typeof notifyEvents)[number];

export interface Webhook {
  /** How the status and the logs name it (never by its URL, which may hold a token). */
  name: string;
  /** The URL, or the worker's environment variable that holds it (a Slack URL is a secret). */
  url?: string;
  urlEnv?: string;
  /** slack: a Slack-compatible incoming webhook ({"text": ...}); json: the notification itself. */
  format: 'slack' | 'json';
  /** The worker's environment variable holding the HMAC-SHA256 key of X-Switchyard-Signature-256. */
  secretEnv?: string;
  /** The events it wants; all when absent. */
  events?: NotifyEvent[];
}

export interface Notification {
  event: NotifyEvent;
  deploymentId: string;
  service: string;
  environment: string;
  image: string;
  at: string;
  /** One line a person reads. */
  text: string;
  /** awaiting_tests, awaiting_approval: the exact commands that answer. */
  commands?: string[];
  /** traffic_step: production's percent on the new deployment. */
  percent?: number;
  /** rolled_back, failed, analysis_failed: why; and who asked for a rollback. */
  reason?: string;
  by?: string;
  /** failed: what could not be cleaned up. */
  leftovers?: string[];
}

/** A webhook that could not be reached within its deadline: shown in the status, never fatal. */
export interface NotificationFailure {
  webhook: string;
  event: NotifyEvent;
  error: string;
}

export function wants(webhook: Webhook, event: NotifyEvent): boolean {
  return !webhook.events || webhook.events.includes(event);
}
