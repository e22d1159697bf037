// Listener rules as ALB holds them and moto does not (src/dev/emulator/behaviours/listener-rules.ts):
// action order, authentication on HTTPS only with its client secret, one condition of each kind, and
// SetRulePriorities swapping two rules in one call, as AWS allows.
import {
  CreateListenerCommand,
  CreateRuleCommand,
  CreateTargetGroupCommand,
  DescribeRulesCommand,
  ModifyRuleCommand,
  SetRulePrioritiesCommand,
  type Action,
  type ElasticLoadBalancingV2Client,
  type RuleCondition,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { UploadServerCertificateCommand } from '@aws-sdk/client-iam';
import { createActivities } from '../../src/activities';
import { destroyAwsClients } from '../../src/aws/clients';
import { demoAccount } from '../../src/dev/demo';
import type { AwsBehaviourProxy } from '../../src/dev/emulator/server';
import { seedAccount, type AccountClients } from '../../src/dev/seed';
import { resetAws } from '../support/servers';
import { refusal, strictProxy } from './strict-proxy';

const oidcConfig = {
  Issuer: 'https://idp.test',
  AuthorizationEndpoint: 'https://idp.test/authorize',
  TokenEndpoint: 'https://idp.test/token',
  UserInfoEndpoint: 'https://idp.test/userinfo',
  ClientId: 'switchyard',
};
const oidc = (
  order: number,
  secret: { ClientSecret?: string; UseExistingClientSecret?: boolean } = { ClientSecret: 's3cret' },
): Action => ({
  Type: 'authenticate-oidc',
  Order: order,
  AuthenticateOidcConfig: { ...oidcConfig, ...secret },
});
const paths = (...values: string[]): RuleCondition[] => [
  { Field: 'path-pattern', PathPatternConfig: { Values: values } },
];

describe('listener rules, as ALB holds them', () => {
  let proxy: AwsBehaviourProxy;
  let clients: AccountClients;
  let elbv2: ElasticLoadBalancingV2Client;
  let loadBalancerArn: string;
  let httpListener: string;
  let group: string;

  beforeAll(async () => {
    // Throttling off here: these tests provoke single refusals with one SDK attempt each (strictProxy), and a
    // rate-limit refusal in between would be a different answer; the rate limits have their own tests
    // (conformance.test.ts, 'the published rate limits'), and every other suite runs with them on.
    ({ proxy, clients } = await strictProxy({ throttling: false }));
    ({ elbv2 } = clients);
  });
  afterAll(async () => {
    destroyAwsClients(clients);
    await proxy.close();
  });
  beforeEach(async () => {
    await resetAws();
    await seedAccount(clients, demoAccount);
    const aws = createActivities(clients);
    const lb = (await aws.findLoadBalancer({ loadBalancer: demoAccount.loadBalancer }))!;
    loadBalancerArn = lb.arn;
    httpListener = await aws.ensureListener({ loadBalancerArn, port: 80 });
    group = (
      await elbv2.send(
        new CreateTargetGroupCommand({
          Name: 'rules-1',
          Protocol: 'HTTP',
          Port: 80,
          VpcId: lb.vpcId,
          TargetType: 'ip',
        }),
      )
    ).TargetGroups![0].TargetGroupArn!;
  });

  const forward = (order?: number): Action => ({ Type: 'forward', Order: order, TargetGroupArn: group });
  const fixed = [{ Type: 'fixed-response' as const, FixedResponseConfig: { StatusCode: '404' } }];
  const rule = (ListenerArn: string, Priority: number, Actions: Action[], Conditions = paths(`/r${Priority}`)) =>
    elbv2.send(new CreateRuleCommand({ ListenerArn, Priority, Conditions, Actions }));

  /** An HTTPS listener with an IAM server certificate (moto accepts any body; AWS would check it). */
  async function httpsListener(): Promise<string> {
    const certificate = await clients.iam.send(
      new UploadServerCertificateCommand({
        ServerCertificateName: 'switchyard-test',
        CertificateBody: '-----BEGIN CERTIFICATE-----\nMIIBtest\n-----END CERTIFICATE-----',
        PrivateKey: '-----BEGIN RSA PRIVATE KEY-----\nMIIBtest\n-----END RSA PRIVATE KEY-----',
      }),
    );
    const out = await elbv2.send(
      new CreateListenerCommand({
        LoadBalancerArn: loadBalancerArn,
        Protocol: 'HTTPS',
        Port: 443,
        Certificates: [{ CertificateArn: certificate.ServerCertificateMetadata!.Arn }],
        DefaultActions: fixed,
      }),
    );
    return out.Listeners![0].ListenerArn!;
  }

  it('an HTTPS listener needs a certificate; authenticate-oidc only there, with its secret, which describes never show', async () => {
    expect(
      await elbv2
        .send(
          new CreateListenerCommand({
            LoadBalancerArn: loadBalancerArn,
            Protocol: 'HTTPS',
            Port: 443,
            DefaultActions: fixed,
          }),
        )
        .catch(refusal),
    ).toEqual({ name: 'ValidationError', message: 'A certificate must be specified for HTTPS listeners' });
    const https = await httpsListener();
    expect(await rule(httpListener, 1, [oidc(1), forward(2)]).catch(refusal)).toMatchObject({
      name: 'InvalidLoadBalancerActionException',
      message: expect.stringContaining('supported only on HTTPS listeners'),
    });
    expect(await rule(https, 1, [oidc(1, {}), forward(2)]).catch(refusal)).toMatchObject({
      name: 'ValidationError',
      message: 'An authenticate-oidc action needs a ClientSecret when it is created.',
    });
    const created = (await rule(https, 1, [oidc(1), forward(2)])).Rules![0];
    const described = (await elbv2.send(new DescribeRulesCommand({ RuleArns: [created.RuleArn!] }))).Rules![0];
    expect(described.Actions![0]).toMatchObject({ Type: 'authenticate-oidc', AuthenticateOidcConfig: oidcConfig });
    expect(described.Actions![0].AuthenticateOidcConfig!.ClientSecret).toBeUndefined();
  });

  it('ModifyRule: a kept authenticate-oidc action needs its ClientSecret or UseExistingClientSecret', async () => {
    const https = await httpsListener();
    const withAuth = (await rule(https, 1, [oidc(1), forward(2)])).Rules![0].RuleArn!;
    const plain = (await rule(https, 2, [forward()])).Rules![0].RuleArn!;
    const modify = (RuleArn: string, secret: { ClientSecret?: string; UseExistingClientSecret?: boolean }) =>
      elbv2.send(new ModifyRuleCommand({ RuleArn, Actions: [oidc(1, secret), forward(2)] }));
    expect(await modify(withAuth, {}).catch(refusal)).toMatchObject({
      name: 'ValidationError',
      message: expect.stringContaining('or UseExistingClientSecret set to true'),
    });
    expect(await modify(plain, { UseExistingClientSecret: true }).catch(refusal)).toMatchObject({
      name: 'ValidationError',
      message: expect.stringContaining('no authenticate-oidc action with a client secret to keep'),
    });
    await expect(modify(withAuth, { UseExistingClientSecret: true })).resolves.toBeDefined();
    await expect(modify(plain, { ClientSecret: 'new' })).resolves.toBeDefined();
  });

  it('actions: Order on each of several, distinct; exactly one routing action, performed last', async () => {
    const https = await httpsListener();
    const invalid = (message: string) => ({
      name: 'InvalidLoadBalancerActionException',
      message: expect.stringContaining(message),
    });
    expect(await rule(https, 1, [oidc(1), forward()]).catch(refusal)).toMatchObject(invalid('Order is required'));
    expect(await rule(https, 1, [oidc(1), forward(1)]).catch(refusal)).toMatchObject(invalid('distinct orders'));
    expect(await rule(https, 1, [forward(1), oidc(2)]).catch(refusal)).toMatchObject(
      invalid('must be the last action'),
    );
    expect(await rule(https, 1, [forward(1), forward(2)]).catch(refusal)).toMatchObject(invalid('exactly one forward'));
    // The order, not the list's, says what runs first.
    await expect(rule(https, 1, [forward(2), oidc(1)])).resolves.toBeDefined();
  });

  it('conditions: at most one host-header, path-pattern, http-request-method and source-ip; http-header names distinct', async () => {
    const header = (name: string): RuleCondition => ({
      Field: 'http-header',
      HttpHeaderConfig: { HttpHeaderName: name, Values: ['1'] },
    });
    expect(await rule(httpListener, 1, [forward()], [...paths('/a'), ...paths('/b')]).catch(refusal)).toEqual({
      name: 'ValidationError',
      message: 'A rule can include at most one path-pattern condition; combine its values in one condition.',
    });
    expect(
      await rule(httpListener, 1, [forward()], [header('X-Canary'), header('x-canary')]).catch(refusal),
    ).toMatchObject({
      name: 'ValidationError',
      message: expect.stringContaining('distinct headers'),
    });
    await expect(
      rule(httpListener, 1, [forward()], [...paths('/a', '/b'), header('X-Canary'), header('X-Beta')]),
    ).resolves.toBeDefined();
  });

  it('SetRulePriorities swaps two rules in one call (moto refuses it); a clash with another rule or the default rule is refused', async () => {
    const a = (await rule(httpListener, 10, [forward()])).Rules![0].RuleArn!;
    const b = (await rule(httpListener, 20, [forward()])).Rules![0].RuleArn!;
    await rule(httpListener, 30, [forward()]);
    await elbv2.send(
      new SetRulePrioritiesCommand({
        RulePriorities: [
          { RuleArn: a, Priority: 20 },
          { RuleArn: b, Priority: 10 },
        ],
      }),
    );
    const priorities = async () =>
      Object.fromEntries(
        ((await elbv2.send(new DescribeRulesCommand({ ListenerArn: httpListener }))).Rules ?? []).map((r) => [
          r.RuleArn,
          r.Priority,
        ]),
      );
    expect(await priorities()).toMatchObject({ [a]: '20', [b]: '10' });
    expect(
      await elbv2.send(new SetRulePrioritiesCommand({ RulePriorities: [{ RuleArn: a, Priority: 30 }] })).catch(refusal),
    ).toEqual({
      name: 'PriorityInUseException',
      message: "Priority '30' is currently in use",
    });
    const defaultRule = ((await elbv2.send(new DescribeRulesCommand({ ListenerArn: httpListener }))).Rules ?? []).find(
      (r) => r.IsDefault,
    )!;
    expect(
      await elbv2
        .send(new SetRulePrioritiesCommand({ RulePriorities: [{ RuleArn: defaultRule.RuleArn!, Priority: 5 }] }))
        .catch(refusal),
    ).toMatchObject({ name: 'OperationNotPermittedException' });
  });
});
