// Traffic plans and analysis as users write them: what each form expands to, and a clear message for
// every bad plan (all reported before any AWS change, by loadSpec).
import { loadSpec } from '../../src/spec/load';
import type { CodeDeploySpec, DeploymentSpec, RollingSpec } from '../../src/shared/deployment';
import { bakeIntervals, percentOn, splitTraffic, type AnalysisChecks, type PlanStep } from '../../src/shared/traffic';
import { SpecFiles, validSpec as valid } from '../support/spec-files';

const files = new SpecFiles();
beforeAll(() => files.open());
afterAll(() => files.close());

function planOf(traffic: unknown, analysis?: unknown) {
  return (loadSpec(files.write({ ...valid, traffic, analysis })) as DeploymentSpec).traffic!;
}

/** A plan as a short string: "10% bake(5m) 100%". */
function shape(steps: PlanStep[]): string {
  return steps
    .map((s) =>
      s.kind === 'setWeight'
        ? `${s.percent}%`
        : s.kind === 'bake'
          ? `bake(${s.bake.durationMs / 1000}s)`
          : s.kind === 'approval'
            ? `approval(${s.approval.timeoutMs / 1000}s, ${s.approval.onTimeout})`
            : 'pause',
    )
    .join(' ');
}

describe('traffic plans', () => {
  it('defaults to all at once, checking target health with no bake after 100%', () => {
    const plan = planOf(undefined);
    expect(plan.name).toBe('allAtOnce');
    expect(shape(plan.steps)).toBe('100%');
    expect(plan.finalBake).toEqual({
      durationMs: 0,
      intervalMs: 30_000,
      failureLimit: 0,
      checks: { alarms: [], maxUnhealthyTargets: 0, http: undefined },
    });
  });

  it.each([
    ['canary10Percent5Minutes', '10% bake(300s) 100%'],
    [
      'linear10PercentEvery1Minute',
      '10% bake(60s) 20% bake(60s) 30% bake(60s) 40% bake(60s) 50% bake(60s) 60% bake(60s) 70% bake(60s) 80% bake(60s) 90% bake(60s) 100%',
    ],
    [{ type: 'canary', percent: 5, bake: '2m' }, '5% bake(120s) 100%'],
    [{ type: 'linear', stepPercent: 30, bake: '10s' }, '30% bake(10s) 60% bake(10s) 90% bake(10s) 100%'],
    [{ preset: 'canary10Percent15Minutes', finalBake: '10m' }, '10% bake(900s) 100%'],
  ])('%j expands to %s', (traffic, expected) => {
    expect(shape(planOf(traffic).steps)).toBe(expected);
  });

  it('holds an approval step where the plan puts it: a day by default, rolling back when nobody approves', () => {
    const plan = planOf({
      type: 'steps',
      steps: [
        { setWeight: 10 },
        { approval: {} },
        { setWeight: 50 },
        { approval: { timeout: '2h', onTimeout: 'continue' } },
      ],
    });
    expect(shape(plan.steps)).toBe('10% approval(86400s, rollback) 50% approval(7200s, continue)');
  });

  it('runs a step list as written, analysis steps with their own checks and the spec-level ones as defaults', () => {
    const plan = planOf(
      {
        type: 'steps',
        steps: [
          { setWeight: 1 },
          { pause: '1m' },
          { setWeight: 5 },
          { analysis: { duration: '5m', interval: '1m', failureLimit: 1, alarms: ['web-latency'] } },
          { setWeight: 25 },
          { pause: 'indefinite' },
          { setWeight: 50 },
        ],
        finalBake: '15m',
      },
      {
        alarms: ['web-5xx'],
        maxUnhealthyTargets: 1,
        interval: '20s',
        http: { url: 'https://stage.web.example.com/health', maxLatency: '300ms' },
      },
    );
    expect(shape(plan.steps)).toBe('1% bake(60s) 5% bake(300s) 25% pause 50%');
    const http = {
      url: 'https://stage.web.example.com/health',
      expectStatus: '200-399',
      maxLatencyMs: 300,
      timeoutMs: 5_000,
    };
    expect(plan.steps[1]).toEqual({
      kind: 'bake',
      bake: {
        durationMs: 60_000,
        intervalMs: 20_000,
        failureLimit: 0,
        checks: { alarms: ['web-5xx'], maxUnhealthyTargets: 1, http },
      },
    });
    expect(plan.steps[3]).toEqual({
      kind: 'bake',
      bake: {
        durationMs: 300_000,
        intervalMs: 60_000,
        failureLimit: 1,
        checks: { alarms: ['web-latency'], maxUnhealthyTargets: 1, http },
      },
    });
    expect(plan.finalBake.durationMs).toBe(900_000);
  });

  it.each([
    [
      'an unknown preset',
      'canary50Percent',
      [
        'traffic: expected one of allAtOnce, canary10Percent5Minutes, canary10Percent15Minutes, linear10PercentEvery1Minute, linear10PercentEvery3Minutes',
      ],
    ],
    [
      'an unknown type',
      { type: 'blue' },
      [
        'traffic: expected a preset (allAtOnce, canary10Percent5Minutes, canary10Percent15Minutes, linear10PercentEvery1Minute, linear10PercentEvery3Minutes) or {type: allAtOnce | canary | linear | steps}',
      ],
    ],
    [
      'an unknown preset in the object form',
      { preset: 'fast' },
      [
        'traffic.preset: expected one of allAtOnce, canary10Percent5Minutes, canary10Percent15Minutes, linear10PercentEvery1Minute, linear10PercentEvery3Minutes',
      ],
    ],
    [
      'a weight over 100%',
      { type: 'steps', steps: [{ setWeight: 150 }] },
      ['traffic.steps.0.setWeight: expected 0-100'],
    ],
    [
      'a fractional weight',
      { type: 'steps', steps: [{ setWeight: 2.5 }] },
      ['traffic.steps.0.setWeight: expected a whole percent'],
    ],
    [
      'weights going down',
      { type: 'steps', steps: [{ setWeight: 50 }, { setWeight: 20 }] },
      ["traffic.steps.1.setWeight: 20% is below the previous step's 50%; weights only go up (use rollback to go back)"],
    ],
    [
      'no weight at all',
      { type: 'steps', steps: [{ pause: '1m' }] },
      ['traffic.steps: expected at least one setWeight step'],
    ],
    ['an empty step list', { type: 'steps', steps: [] }, ['traffic.steps: expected at least one step']],
    [
      'a step of no known kind',
      { type: 'steps', steps: [{ setWeight: 10 }, { wait: '1m' }] },
      [
        'traffic.steps.1: expected {setWeight: percent}, {pause: duration | indefinite}, {analysis: {duration, ...}} or {approval: {timeout, onTimeout}}, got {"wait":"1m"}',
      ],
    ],
    [
      'a step of two kinds',
      { type: 'steps', steps: [{ setWeight: 10, pause: '1m' }] },
      [
        'traffic.steps.0: expected {setWeight: percent}, {pause: duration | indefinite}, {analysis: {duration, ...}} or {approval: {timeout, onTimeout}}, got {"setWeight":10,"pause":"1m"}',
      ],
    ],
    [
      'a pause that is not a duration',
      { type: 'steps', steps: [{ setWeight: 10 }, { pause: 'forever' }] },
      ['traffic.steps.1.pause: expected a duration such as "5m", or "indefinite"'],
    ],
    [
      'an approval step whose timeout does something unknown',
      { type: 'steps', steps: [{ setWeight: 10 }, { approval: { timeout: '1h', onTimeout: 'promote' } }] },
      ['traffic.steps.1.approval.onTimeout: expected "rollback" or "continue"'],
    ],
    [
      'an approval step with an unknown field',
      { type: 'steps', steps: [{ setWeight: 10 }, { approval: { approvers: ['alice'] } }] },
      ['traffic.steps.1.approval: unknown field(s) approvers'],
    ],
    [
      'an analysis step without a duration',
      { type: 'steps', steps: [{ setWeight: 10 }, { analysis: { interval: '10s' } }] },
      ['traffic.steps.1.analysis.duration: expected a duration such as "90s", "5m" or "1h"'],
    ],
    [
      'an analysis step with an unknown field',
      { type: 'steps', steps: [{ setWeight: 10 }, { analysis: { duration: '1m', threshold: 3 } }] },
      ['traffic.steps.1.analysis: unknown field(s) threshold'],
    ],
    [
      'an analysis interval longer than its duration',
      { type: 'steps', steps: [{ setWeight: 10 }, { analysis: { duration: '1m', interval: '5m' } }] },
      ['traffic.steps.1.analysis.interval: longer than its duration'],
    ],
    ['a canary of 100%', { type: 'canary', percent: 100, bake: '1m' }, ['traffic.percent: expected 1-99']],
    [
      'a canary without a bake',
      { type: 'canary', percent: 10 },
      ['traffic.bake: expected a duration such as "90s", "5m" or "1h"'],
    ],
    ['a linear step of 0%', { type: 'linear', stepPercent: 0, bake: '1m' }, ['traffic.stepPercent: expected 1-99']],
    [
      'a linear plan of over 100 steps',
      { type: 'linear', stepPercent: 1, bake: '1s' },
      ['traffic: the plan has 199 steps; at most 100 are allowed'],
    ],
    ['a final bake over a day', { type: 'allAtOnce', finalBake: '2d' }, ['traffic.finalBake: must be at most 1d']],
    [
      'an unknown field',
      { type: 'linear', stepPercent: 10, bake: '1m', steps: [] },
      ['traffic: unknown field(s) steps'],
    ],
  ])('refuses %s', (_name, traffic, expected) => {
    expect(files.problemsOf({ ...valid, traffic })).toEqual(expected);
  });

  it.each([
    ['an alarm that is not a name', { alarms: [42] }, ['analysis.alarms.0: expected a CloudWatch alarm name']],
    [
      'a negative unhealthy allowance',
      { maxUnhealthyTargets: -1 },
      ['analysis.maxUnhealthyTargets: expected 0 or more'],
    ],
    [
      'an HTTP check on a non-HTTP URL',
      { http: { url: 'ftp://stage.web.example.com/' } },
      ['analysis.http.url: expected an http(s) URL such as https://stage.web.example.com/health'],
    ],
    [
      'bad expected codes',
      { http: { url: 'https://stage.web.example.com/', expectStatus: 'ok' } },
      ['analysis.http.expectStatus: expected HTTP codes such as "200" or "200-399"'],
    ],
    ['an interval under a second', { interval: '100ms' }, ['analysis.interval: must be 1s to 1h']],
  ])('refuses analysis with %s', (_name, analysis, expected) => {
    expect(files.problemsOf({ ...valid, analysis })).toEqual(expected);
  });
});

describe('rolling specs', () => {
  const rolling = {
    strategy: 'rolling',
    service: 'api',
    environment: 'prod',
    cluster: 'main',
    taskDefinition: valid.taskDefinition,
    container: { name: 'web' },
    pinImageDigest: false,
  };

  it('needs no load balancer, hosts or zone, and defaults the ECS service name', () => {
    const spec = loadSpec(files.write(rolling)) as RollingSpec;
    expect(spec).toEqual({
      ...rolling,
      image: 'nginx:1',
      ecsService: 'api-prod',
      timeouts: { steadyMs: 900_000 },
      iamPropagationMs: 10_000,
    });
  });

  it.each([
    [
      'an unknown strategy',
      { ...rolling, strategy: 'canary' },
      ['strategy: expected one of blueGreen, rolling, codeDeploy, got "canary"'],
    ],
    [
      'blue/green fields',
      { ...rolling, traffic: 'allAtOnce', hostedZone: 'example.com' },
      ['unknown field(s) traffic, hostedZone'],
    ],
    [
      'a bad ECS service name',
      { ...rolling, ecsService: 'api prod' },
      ['ecsService: expected an ECS service name: up to 255 letters, digits, hyphens or underscores'],
    ],
    ['a missing cluster', { ...rolling, cluster: undefined }, ['cluster: expected the ECS cluster name or ARN']],
  ])('refuses %s', (_name, doc, expected) => {
    expect(files.problemsOf(doc)).toEqual(expected);
  });
});

describe('weights on the production rule', () => {
  it.each([
    [0, [{ targetGroupArn: 'old', weight: 100 }]],
    [
      10,
      [
        { targetGroupArn: 'new', weight: 10 },
        { targetGroupArn: 'old', weight: 90 },
      ],
    ],
    [100, [{ targetGroupArn: 'new', weight: 100 }]],
  ])('%i%% → %j, and reads back as that percent', (percent, targets) => {
    expect(splitTraffic('new', 'old', percent)).toEqual(targets);
    expect(percentOn('new', targets)).toBe(percent);
  });

  it('sends everything to the new target group when there is no previous one', () => {
    expect(splitTraffic('new', undefined, 10)).toEqual([{ targetGroupArn: 'new', weight: 100 }]);
  });
});

describe('the intervals a bake waits (counted, never measured with the clock)', () => {
  const checks: AnalysisChecks = { alarms: [], maxUnhealthyTargets: 0 };
  const none: AnalysisChecks = { alarms: [] };
  it.each([
    ['a duration the interval divides', 60_000, 20_000, checks, [20_000, 20_000, 20_000]],
    ['a remainder, as the last interval', 50_000, 20_000, checks, [20_000, 20_000, 10_000]],
    ['an interval longer than the bake', 3_000, 30_000, checks, [3_000]],
    ['no checks: one interval', 60_000, 20_000, none, [60_000]],
    ['no bake', 0, 20_000, checks, []],
  ])('%s', (_name, durationMs, intervalMs, bakeChecks, expected) => {
    const intervals = bakeIntervals({ durationMs, intervalMs, failureLimit: 0, checks: bakeChecks });
    expect(intervals).toEqual(expected);
    expect(intervals.reduce((a, b) => a + b, 0)).toBe(durationMs);
  });
});

describe('CodeDeploy specs', () => {
  const codeDeploy = {
    strategy: 'codeDeploy',
    service: 'api',
    environment: 'prod',
    cluster: 'main',
    taskDefinition: valid.taskDefinition,
    container: { name: 'web', port: 80 },
    codeDeploy: { application: 'api', deploymentGroup: 'api-prod' },
    pinImageDigest: false,
  };

  it('takes the application and group, defaults the ECS service name, the gates and their timeouts', () => {
    const spec = loadSpec(
      files.write({
        ...codeDeploy,
        codeDeploy: { ...codeDeploy.codeDeploy, hooks: { AfterAllowTestTraffic: 'smoke' } },
      }),
    ) as CodeDeploySpec;
    expect(spec).toEqual({
      ...codeDeploy,
      image: 'nginx:1',
      ecsService: 'api-prod',
      codeDeploy: {
        application: 'api',
        deploymentGroup: 'api-prod',
        hooks: { AfterAllowTestTraffic: 'smoke' },
        acceptAutoContinue: false,
      },
      timeouts: { steadyMs: 900_000, testsMs: 3_600_000 },
      approval: { required: false, timeoutMs: 86_400_000, onTimeout: 'rollback' },
      iamPropagationMs: 10_000,
    });
  });

  it.each([
    [
      'no CodeDeploy application or group',
      { ...codeDeploy, codeDeploy: undefined },
      ['codeDeploy: expected the CodeDeploy application and deploymentGroup that deploy the service'],
    ],
    [
      'a hook CodeDeploy does not run for ECS, and a function that is no Lambda name',
      {
        ...codeDeploy,
        codeDeploy: { ...codeDeploy.codeDeploy, hooks: { ApplicationStop: 'x', BeforeInstall: 'a b' } },
      },
      [
        'codeDeploy.hooks.BeforeInstall: expected a Lambda function name or ARN',
        'codeDeploy.hooks: unknown field(s) ApplicationStop',
      ],
    ],
    [
      'an approval with a group that continues on its own',
      {
        ...codeDeploy,
        codeDeploy: { ...codeDeploy.codeDeploy, acceptAutoContinue: true },
        approval: { required: true },
      },
      [
        'approval.required: codeDeploy.acceptAutoContinue deploys without gates (the group shifts traffic on its own): drop one of them',
      ],
    ],
    ['no container port', { ...codeDeploy, container: { name: 'web' } }, ['container.port: expected a port number']],
    ['blue/green fields', { ...codeDeploy, hostedZone: 'example.com' }, ['unknown field(s) hostedZone']],
  ])('refuses %s', (_name, doc, expected) => {
    expect(files.problemsOf(doc)).toEqual(expected);
  });
});
