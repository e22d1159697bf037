// The webhook activity's refusals that no retry can fix: a worker without the variable the spec names,
// or one that holds no URL. Both say which webhook and which variable, never a URL.
import { ApplicationFailure } from '@temporalio/common';
import { createWebhookActivities } from '../../src/activities/webhooks';
import type { Notification } from '../../src/shared/notify';

const notification: Notification = {
  event: 'active',
  deploymentId: 'abcd1234',
  service: 'web',
  environment: 'prod',
  image: 'nginx:1',
  at: '2026-12-03T17:00:00.000Z',
  text: 'live',
};
const { sendNotification } = createWebhookActivities();

describe('sending a notification', () => {
  afterEach(() => delete process.env.TEST_UNSET_HOOK);

  it('refuses, without retry, a URL variable the worker does not have', async () => {
    const sent = sendNotification({
      webhook: { name: 'chat', urlEnv: 'TEST_UNSET_HOOK', format: 'slack' },
      notification,
    });
    await expect(sent).rejects.toThrow(
      "webhook chat: the worker has no TEST_UNSET_HOOK (the URL the spec names); set it in the worker's environment",
    );
    await expect(sent).rejects.toMatchObject({ nonRetryable: true });
    await expect(sent).rejects.toBeInstanceOf(ApplicationFailure);
  });

  it('refuses, without retry, a variable that holds no URL, and does not print it', async () => {
    process.env.TEST_UNSET_HOOK = 'hooks.slack.com/services/T0/B0/secret';
    const sent = sendNotification({
      webhook: { name: 'chat', urlEnv: 'TEST_UNSET_HOOK', format: 'slack' },
      notification,
    });
    await expect(sent).rejects.toThrow('webhook chat: TEST_UNSET_HOOK does not hold an http(s) URL');
    await expect(sent).rejects.toMatchObject({ nonRetryable: true });
  });
});
