// Listener rules read as ALB reads them: production's rule is the one with exactly the host's conditions,
// a new rule goes above any rule that would take its requests first, and a rule's fingerprint changes
// with any change to its conditions or actions.
import type { Action, Rule } from '@aws-sdk/client-elastic-load-balancing-v2';
import {
  choosePriority,
  ruleFingerprint,
  ruleFrame,
  ruleMatch,
  ruleMatches,
  shadows,
} from '../../src/activities/elbv2-rules';
import { actionsWithForward } from '../../src/activities/elbv2';

let counter = 0;
function rule(priority: number | 'default', conditions: Rule['Conditions'], actions: Rule['Actions'] = []): Rule {
  counter += 1;
  return {
    RuleArn: `arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener-rule/app/edge/1/2/${counter}`,
    Priority: String(priority),
    IsDefault: priority === 'default',
    Conditions: conditions,
    Actions: actions,
  };
}
const host = (...values: string[]) => ({ Field: 'host-header', HostHeaderConfig: { Values: values } });
const path = (...values: string[]) => ({ Field: 'path-pattern', PathPatternConfig: { Values: values } });
const header = (name: string, ...values: string[]) => ({
  Field: 'http-header',
  HttpHeaderConfig: { HttpHeaderName: name, Values: values },
});
const forward = (arn: string): Action => ({
  Type: 'forward',
  Order: 2,
  ForwardConfig: { TargetGroups: [{ TargetGroupArn: arn, Weight: 1 }] },
});
const oidc: Action = {
  Type: 'authenticate-oidc',
  Order: 1,
  AuthenticateOidcConfig: {
    Issuer: 'https://idp',
    ClientId: 'c',
    ClientSecret: 'never-read',
    AuthorizationEndpoint: 'https://idp/a',
    TokenEndpoint: 'https://idp/t',
    UserInfoEndpoint: 'https://idp/u',
  },
};

describe("production's rule, by its full condition set", () => {
  const app = ruleMatch('web.example.com', { pathPatterns: ['/app/*'] });
  it('matches the host with exactly the spec’s paths and headers', () => {
    expect(ruleMatches(rule(5, [host('web.example.com'), path('/app/*')]), app)).toBe(true);
    expect(ruleMatches(rule(5, [host('WEB.example.com', 'www.example.com'), path('/app/*')]), app)).toBe(true);
  });
  it.each([
    ['the host alone', [host('web.example.com')]],
    ['another path', [host('web.example.com'), path('/api/*')]],
    ['a path more', [host('web.example.com'), path('/app/*', '/static/*')]],
    ['a header more', [host('web.example.com'), path('/app/*'), header('X-Canary', '1')]],
    [
      'a source IP more',
      [host('web.example.com'), path('/app/*'), { Field: 'source-ip', SourceIpConfig: { Values: ['10.0.0.0/8'] } }],
    ],
    ['another host', [host('api.example.com'), path('/app/*')]],
  ])('not a rule with %s', (_name, conditions) => {
    expect(ruleMatches(rule(5, conditions), app)).toBe(false);
  });
  it('headers compare by name without case, values as a set', () => {
    const match = ruleMatch('web.example.com', { httpHeaders: [{ name: 'x-env', values: ['a', 'b'] }] });
    expect(ruleMatches(rule(3, [host('web.example.com'), header('X-Env', 'b', 'a')]), match)).toBe(true);
    expect(ruleMatches(rule(3, [host('web.example.com'), header('X-Env', 'a')]), match)).toBe(false);
  });
  it('the default rule is nobody’s', () => {
    expect(ruleMatches(rule('default', []), ruleMatch('web.example.com'))).toBe(false);
  });
});

describe('where a new rule goes', () => {
  const web = ruleMatch('web.example.com');
  it.each([
    ['a rule for every path of every host', [path('/*')], true],
    ['a wildcard host', [host('*.example.com')], true],
    ['a wildcard host and path', [host('*.example.com'), path('*')], true],
    ['another host', [host('api.example.com')], false],
    ['a narrower path', [path('/api/*')], false],
    ['a header', [header('X-A', '1')], false],
  ])('%s shadows a host-only rule: %s', (_name, conditions, expected) => {
    expect(shadows(rule(9, conditions), web)).toBe(expected);
  });
  it('a path covering ours shadows it', () => {
    const app = ruleMatch('web.example.com', { pathPatterns: ['/app/*'] });
    expect(shadows(rule(9, [path('/app*')]), app)).toBe(true);
    expect(shadows(rule(9, [path('/api/*')]), app)).toBe(false);
  });
  it('after every rule when none would shadow it', () => {
    const rules = [rule(1, [host('a.example.com')]), rule(4, [host('b.example.com')]), rule('default', [])];
    expect(choosePriority(rules, web, 50_000)).toEqual({ priority: 5 });
  });
  it('just above a catch-all, keeping the rules before it ahead', () => {
    const rules = [
      rule(1, [host('a.example.com')]),
      rule(9, [host('b.example.com')]),
      rule(10, [path('/*')]),
      rule(11, [host('c.example.com')]),
    ];
    expect(choosePriority(rules, web, 50_000)).toEqual({ priority: 8 });
  });
  it('the spec’s pinned priority, unless it is taken', () => {
    const rules = [rule(3, [host('a.example.com')])];
    expect(choosePriority(rules, web, 50_000, 7)).toEqual({ priority: 7 });
    expect(choosePriority(rules, web, 50_000, 3)).toEqual({
      problem: expect.stringContaining('priority 3 (productionRule.priority) is taken by rule'),
    });
  });
  it('says so when every priority above the catch-all is taken', () => {
    const rules = [rule(1, [host('a.example.com')]), rule(2, [path('/*')])];
    expect(choosePriority(rules, web, 50_000)).toEqual({
      problem: expect.stringContaining('pin productionRule.priority'),
    });
  });
});

describe('a rule’s fingerprint', () => {
  const base = () => rule(5, [host('web.example.com'), path('/app/*')], [oidc, forward('tg-1')]);
  it('is the same for the same rule read twice (keys in any order)', () => {
    const a = base();
    const b = { ...a, Actions: a.Actions!.map((x) => Object.fromEntries(Object.entries(x).reverse()) as Action) };
    expect(ruleFingerprint(b)).toBe(ruleFingerprint(a));
  });
  it('changes with the forward action, another action, or a condition', () => {
    const a = base();
    expect(ruleFingerprint({ ...a, Actions: [oidc, forward('tg-2')] })).not.toBe(ruleFingerprint(a));
    expect(ruleFingerprint({ ...a, Actions: [forward('tg-1')] })).not.toBe(ruleFingerprint(a));
    expect(ruleFingerprint({ ...a, Conditions: [host('web.example.com')] })).not.toBe(ruleFingerprint(a));
  });
});

describe('a rule’s frame', () => {
  it('is the rule but for its forward weights', () => {
    const a = rule(5, [host('web.example.com')], [oidc, forward('tg-1')]);
    expect(ruleFrame({ ...a, Actions: [oidc, forward('tg-2')] })).toBe(ruleFrame(a));
    expect(ruleFrame({ ...a, Actions: [forward('tg-1')] })).not.toBe(ruleFrame(a));
    expect(ruleFrame({ ...a, Conditions: [host('api.example.com')] })).not.toBe(ruleFrame(a));
  });
});

describe('a weight change keeps every other action', () => {
  it('authentication stays first, without the secret it never read; stickiness stays with the forward', () => {
    const sticky = {
      ...forward('tg-1'),
      ForwardConfig: {
        ...forward('tg-1').ForwardConfig,
        TargetGroupStickinessConfig: { Enabled: true, DurationSeconds: 60 },
      },
    };
    const actions = actionsWithForward(
      [sticky, oidc],
      [
        { targetGroupArn: 'tg-1', weight: 90 },
        { targetGroupArn: 'tg-2', weight: 10 },
      ],
    );
    expect(actions).toEqual([
      { ...oidc, AuthenticateOidcConfig: expect.not.objectContaining({ ClientSecret: expect.anything() }) },
      {
        Type: 'forward',
        Order: 2,
        ForwardConfig: {
          TargetGroups: [
            { TargetGroupArn: 'tg-1', Weight: 90 },
            { TargetGroupArn: 'tg-2', Weight: 10 },
          ],
          TargetGroupStickinessConfig: { Enabled: true, DurationSeconds: 60 },
        },
      },
    ]);
    expect(actions[0].AuthenticateOidcConfig).toMatchObject({ UseExistingClientSecret: true });
  });
});
