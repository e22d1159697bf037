// `switchyard init` on a namespace that has none of Switchyard's search attributes, then again.
import { Connection } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time';
import { allSearchAttributes } from '../../src/shared/naming';
import { cleanEnv, runCli } from '../support/cli';
import { servers } from '../support/servers';

describe('switchyard init', () => {
  const namespace = `init-${Date.now().toString(36)}`;

  beforeAll(async () => {
    const connection = await Connection.connect({ address: servers.temporalAddress });
    try {
      await connection.workflowService.registerNamespace({
        namespace,
        workflowExecutionRetentionPeriod: msToTs('1 day'),
      });
    } finally {
      await connection.close();
    }
  });

  it('registers the search attributes once, then reports them as present', async () => {
    const env = cleanEnv({ TEMPORAL_ADDRESS: servers.temporalAddress, TEMPORAL_NAMESPACE: namespace });
    const where = `${servers.temporalAddress} namespace ${namespace}`;
    const names = allSearchAttributes.map((k) => k.name).join(', ');
    expect(names).toContain('SwitchyardDeploymentId');
    const first = await runCli(['init'], env);
    expect(first).toMatchObject({
      code: 0,
      stdout: `registered search attributes on ${where}: ${names}\n`,
    });
    const second = await runCli(['init'], env);
    expect(second).toMatchObject({
      code: 0,
      stdout: `already registered on ${where}: ${names}\n`,
    });
  });
});
