// A deployment's notifications: each event the spec's webhooks want goes out as an activity of its own,
// not awaited by the deployment (a slow or dead webhook never holds a gate, a shift or a rollback) and
// not cancelled by a rollback. Each is retried within a deadline (30 s); one that still fails is recorded
// in the status. The workflow waits for the sends still running before it ends: at most that deadline.
import { CancellationScope, patched, proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../../activities';
import type { DeploymentStatus } from '../../shared/deployment';
import { wants, type Notification, type NotifyEvent, type Webhook } from '../../shared/notify';
import { notifications } from '../patches';
import { describeFailure } from './activities';

const webhooks = proxyActivities<Pick<Activities, 'sendNotification'>>({
  startToCloseTimeout: '15s',
  scheduleToCloseTimeout: '30s',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '20s' },
});

export type NotificationFields = Omit<
  Notification,
  'event' | 'deploymentId' | 'service' | 'environment' | 'image' | 'at' | 'text'
>;

export class Notifier {
  private readonly sending: Promise<void>[] = [];
  private readonly hooks: Webhook[];

  constructor(
    hooks: Webhook[] | undefined,
    private readonly status: DeploymentStatus,
  ) {
    // Only deployments whose spec has webhooks schedule anything: no other history changes.
    this.hooks = hooks?.length && patched(notifications) ? hooks : [];
  }

  send(event: NotifyEvent, text: string, fields: NotificationFields = {}): void {
    const hooks = this.hooks.filter((w) => wants(w, event));
    if (!hooks.length) return;
    const s = this.status;
    const notification: Notification = {
      event,
      deploymentId: s.deploymentId,
      service: s.service,
      environment: s.environment,
      image: s.image,
      at: new Date().toISOString(),
      text,
      ...fields,
    };
    const record = (s.notifications ??= { sent: 0, failed: [] });
    for (const webhook of hooks) {
      const sent = CancellationScope.nonCancellable(() => webhooks.sendNotification({ webhook, notification })).then(
        () => void (record.sent += 1),
        (err: unknown) => void record.failed.push({ webhook: webhook.name, event, error: describeFailure(err) }),
      );
      this.sending.push(sent);
    }
  }

  /** Every send started so far has succeeded or given up. */
  async settled(): Promise<void> {
    await Promise.all(this.sending);
  }
}
