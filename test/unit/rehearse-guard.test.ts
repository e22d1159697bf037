// The rehearsal's guard on the clients of the real account: a write is refused before it is sent, a read
// goes through (here to an endpoint nothing listens on, so it fails on the network, after the guard).
import { CreateClusterCommand, DescribeClustersCommand } from '@aws-sdk/client-ecs';
import { DeleteRuleCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { createAwsClients, destroyAwsClients } from '../../src/aws/clients';
import { guardReadOnly } from '../../src/dev/rehearse/shape';

describe('the rehearsal guard', () => {
  const clients = createAwsClients({
    region: 'us-east-1',
    endpoint: 'http://127.0.0.1:9',
    credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
  });
  const guard = guardReadOnly(clients);
  afterAll(() => destroyAwsClients(clients));

  it('refuses writes before sending them, and counts the reads it lets through', async () => {
    await expect(clients.ecs.send(new CreateClusterCommand({ clusterName: 'c' }))).rejects.toThrow(
      'rehearse only reads the account: it refused to send CreateClusterCommand',
    );
    await expect(clients.elbv2.send(new DeleteRuleCommand({ RuleArn: 'arn:x' }))).rejects.toThrow(
      'it refused to send DeleteRuleCommand',
    );
    expect(guard.reads()).toBe(0);
    const read = clients.ecs.send(new DescribeClustersCommand({ clusters: ['c'] }), {
      abortSignal: AbortSignal.timeout(2_000),
    });
    await expect(read).rejects.not.toThrow(/rehearse only reads/);
    expect(guard.reads()).toBe(1);
  });
});
