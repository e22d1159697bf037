// Progressive traffic in the blue/green workflow on the time-skipping test server, against FakeAws:
// weights in order and read back, analysis gates that roll back, pause / resume / promote, and rollback
// during the bake at 100%.
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { DeploymentSpec } from '../../src/shared/deployment';
import type { AnalysisChecks, Bake, PlanStep } from '../../src/shared/traffic';
import { pauseSignal, promoteSignal, resumeSignal, rollbackSignal, statusQuery } from '../../src/workflows/messages';
import { FakeAws } from '../support/fake-aws';
import { attachTimeSkipping } from '../support/servers';
import {
  deployAndInspect,
  deployOn,
  inventory,
  names,
  onlyLive,
  passTests,
  skipUntil,
  spec,
  waitForStatus,
  type Drive,
} from '../support/workflow-harness';

let env: TestWorkflowEnvironment;
beforeAll(async () => {
  env = await attachTimeSkipping();
});
afterAll(async () => {
  await env?.teardown();
});

const checks: AnalysisChecks = { alarms: ['web-5xx'], maxUnhealthyTargets: 0 };
const bake = (durationMs: number): Bake => ({ durationMs, intervalMs: 20_000, failureLimit: 0, checks });
const weight = (percent: number): PlanStep => ({ kind: 'setWeight', percent });
const minute = 60_000;

/** 1%, 5%, 25%, 50%, 100% with a one-minute bake after each step below 100%. */
const fiveSteps: DeploymentSpec = {
  ...spec,
  traffic: {
    name: 'steps',
    steps: [
      weight(1),
      { kind: 'bake', bake: bake(minute) },
      weight(5),
      { kind: 'bake', bake: bake(minute) },
      weight(25),
      { kind: 'bake', bake: bake(minute) },
      weight(50),
      { kind: 'bake', bake: bake(minute) },
      weight(100),
    ],
    finalBake: bake(0),
  },
};
const withFinalBake: DeploymentSpec = {
  ...fiveSteps,
  traffic: { ...fiveSteps.traffic!, finalBake: bake(10 * minute) },
};

/** A fake account with one live deployment (aaaaaaa1) and the alarm the plan watches, in OK. */
async function liveAccount(): Promise<FakeAws> {
  const fake = new FakeAws();
  fake.alarms.set('web-5xx', 'OK');
  await deployOn(env, fake, 'aaaaaaa1', passTests);
  fake.calls.length = 0;
  return fake;
}

const deploy = (fake: FakeAws, drive: Drive, deploySpec: DeploymentSpec) =>
  deployOn(env, fake, 'bbbbbbb2', drive, deploySpec);
/** The production rule's changes (created by host, then written by ARN), as "new=percent" (only the new target group's share). */
const productionRuleChange = /^(putHostRule|setRuleTargets) web\.example\.com /;
const productionWeights = (fake: FakeAws) =>
  fake.sideEffects.filter((c) => productionRuleChange.test(c)).map((c) => c.replace(productionRuleChange, ''));

describe('progressive traffic', () => {
  it('a 5-step plan reaches 100% with the right weights in order, analysing each bake, then tears down the previous deployment', async () => {
    const fake = await liveAccount();
    const result = await deploy(fake, passTests, fiveSteps);
    expect(result).toEqual({ deploymentId: 'bbbbbbb2', phase: 'active', leftovers: [] });
    expect(productionWeights(fake)).toEqual([
      'web-prod-bbbbbbb2=1,web-prod-aaaaaaa1=99',
      'web-prod-bbbbbbb2=5,web-prod-aaaaaaa1=95',
      'web-prod-bbbbbbb2=25,web-prod-aaaaaaa1=75',
      'web-prod-bbbbbbb2=50,web-prod-aaaaaaa1=50',
      'web-prod-bbbbbbb2=100',
    ]);
    // 4 bakes of a minute, a round every 20 s.
    expect(fake.analysisRounds).toBe(12);
    expect(inventory(fake)).toEqual(onlyLive('bbbbbbb2'));
  });

  it('an alarm firing at step 3 rolls back, recording the check and its values', async () => {
    const fake = await liveAccount();
    fake.onRuleChange = (host, targets) => {
      if (host === spec.hosts.production && targets.some((t) => t.weight === 25)) fake.alarms.set('web-5xx', 'ALARM');
    };
    const { result, status } = await deployAndInspect(env, fake, 'bbbbbbb2', passTests, fiveSteps);
    expect(result).toMatchObject({
      phase: 'rolled_back',
      reason: 'analysis failed at 25% (step 6 of 9): alarm web-5xx in ALARM',
    });
    expect(status.traffic?.failedAnalyses[0]).toMatchObject({
      failures: ['alarm web-5xx in ALARM'],
      observations: ['alarms: web-5xx=ALARM', 'targets: 2 healthy, 0 unhealthy, 0 other'],
    });
    expect(productionWeights(fake)).toEqual([
      'web-prod-bbbbbbb2=1,web-prod-aaaaaaa1=99',
      'web-prod-bbbbbbb2=5,web-prod-aaaaaaa1=95',
      'web-prod-bbbbbbb2=25,web-prod-aaaaaaa1=75',
      'web-prod-aaaaaaa1=100',
    ]);
    expect(inventory(fake)).toEqual(onlyLive('aaaaaaa1'));
  });

  it('unhealthy targets at step 2 roll back', async () => {
    const fake = await liveAccount();
    fake.onRuleChange = (host, targets) => {
      if (host === spec.hosts.production && targets.some((t) => t.weight === 5))
        fake.unhealthy.set(names('bbbbbbb2').targetGroup, 1);
    };
    const result = await deploy(fake, passTests, fiveSteps);
    expect(result).toMatchObject({
      phase: 'rolled_back',
      reason: 'analysis failed at 5% (step 4 of 9): 1 unhealthy targets (at most 0 allowed)',
    });
    expect(productionWeights(fake).at(-1)).toBe('web-prod-aaaaaaa1=100');
    expect(inventory(fake)).toEqual(onlyLive('aaaaaaa1'));
  });

  it('tolerates as many failed rounds as the bake allows', async () => {
    const fake = await liveAccount();
    let rounds = 0;
    fake.onRuleChange = (host, targets) => {
      if (host === spec.hosts.production && targets.some((t) => t.weight === 5)) fake.alarms.set('web-5xx', 'ALARM');
    };
    const tolerant: DeploymentSpec = {
      ...fiveSteps,
      traffic: {
        ...fiveSteps.traffic!,
        steps: fiveSteps.traffic!.steps.map((s) =>
          s.kind === 'bake' ? { kind: 'bake', bake: { ...s.bake, failureLimit: 2 } } : s,
        ),
      },
    };
    // The alarm clears after two failed rounds: within the allowance.
    let failedRounds = 0;
    fake.onAnalysis = () => {
      if (fake.alarms.get('web-5xx') !== 'ALARM') return;
      failedRounds += 1;
      if (failedRounds === 2) fake.alarms.set('web-5xx', 'OK');
      rounds += 1;
    };
    const result = await deploy(fake, passTests, tolerant);
    expect(result.phase).toBe('active');
    expect(rounds).toBe(2);
  });

  it('pause holds the weight however long, resume goes on, promote skips the remaining steps to 100%', async () => {
    const fake = await liveAccount();
    let whilePaused: string[] = [];
    const result = await deploy(
      fake,
      async (h) => {
        await passTests(h);
        await skipUntil(env, h, 'the bake at 5%', (s) => s.traffic?.percent === 5);
        await h.signal(pauseSignal, { by: 'ops', reason: 'look at dashboards' });
        await waitForStatus(h, 'paused', (s) => s.traffic?.paused === true);
        await env.sleep('2h');
        whilePaused = productionWeights(fake);
        expect((await h.query(statusQuery)).traffic).toMatchObject({ percent: 5, paused: true });
        await h.signal(resumeSignal, { by: 'ops' });
        await skipUntil(env, h, 'the bake at 25%', (s) => s.traffic?.percent === 25);
        await h.signal(promoteSignal, { by: 'ops' });
      },
      fiveSteps,
    );
    expect(result.phase).toBe('active');
    expect(whilePaused).toHaveLength(2);
    expect(productionWeights(fake)).toEqual([
      'web-prod-bbbbbbb2=1,web-prod-aaaaaaa1=99',
      'web-prod-bbbbbbb2=5,web-prod-aaaaaaa1=95',
      'web-prod-bbbbbbb2=25,web-prod-aaaaaaa1=75',
      'web-prod-bbbbbbb2=100',
    ]);
  });

  it('a pause discards the interval it interrupts: after resume that interval starts again in full', async () => {
    const fake = await liveAccount();
    const roundsAt5 = () => fake.analysisRounds - roundsBefore5;
    let roundsBefore5 = 0;
    const seen: Record<string, number> = {};
    const result = await deploy(
      fake,
      async (h) => {
        await passTests(h);
        await skipUntil(env, h, 'the bake at 5%', (s) => s.traffic?.percent === 5);
        roundsBefore5 = fake.analysisRounds;
        // The bake at 5%: 3 intervals of 20 s. Past the first one, 5 s into the second: pause.
        await skipUntil(env, h, 'the first round at 5%', () => roundsAt5() === 1);
        await env.sleep('5s');
        await h.signal(pauseSignal, { by: 'ops' });
        await waitForStatus(h, 'paused', (s) => s.traffic?.paused === true);
        await env.sleep('1h');
        seen.paused = roundsAt5();
        await h.signal(resumeSignal, { by: 'ops' });
        await waitForStatus(h, 'resumed', (s) => s.traffic?.paused === false);
        // Had the pause stopped a clock at 25 s of 60, the bake would end 35 s after resume: it takes 40
        // (the second interval again in full, then the third).
        await env.sleep('37s');
        seen.roundsAfter37s = roundsAt5();
        seen.percentAfter37s = (await h.query(statusQuery)).traffic!.percent;
        await env.sleep('5s');
        seen.roundsAfter42s = roundsAt5();
      },
      fiveSteps,
    );
    expect(result.phase).toBe('active');
    expect(seen).toEqual({ paused: 1, roundsAfter37s: 2, percentAfter37s: 5, roundsAfter42s: 3 });
    // Every bake still ran its 3 rounds: 12 in all, the discarded interval not counted.
    expect(fake.analysisRounds).toBe(12);
  });

  it('an indefinite pause step waits for resume', async () => {
    const fake = await liveAccount();
    const paused: DeploymentSpec = {
      ...fiveSteps,
      traffic: { name: 'steps', steps: [weight(10), { kind: 'pause' }, weight(100)], finalBake: bake(0) },
    };
    const result = await deploy(
      fake,
      async (h) => {
        await passTests(h);
        await skipUntil(env, h, 'the pause at 10%', (s) => s.traffic?.paused === true && s.traffic.percent === 10);
        await env.sleep('3d');
        expect(productionWeights(fake)).toEqual(['web-prod-bbbbbbb2=10,web-prod-aaaaaaa1=90']);
        await h.signal(resumeSignal, { by: 'ops' });
      },
      paused,
    );
    expect(result.phase).toBe('active');
    expect(productionWeights(fake).at(-1)).toBe('web-prod-bbbbbbb2=100');
  });

  it('rollback during the bake at 100% puts all of production back on the previous deployment in one change', async () => {
    const fake = await liveAccount();
    let restored: { restoreMs?: number; restoredAt?: string; percent: number } | undefined;
    const result = await deploy(
      fake,
      async (h) => {
        await passTests(h);
        await skipUntil(env, h, 'the bake at 100%', (s) => s.phase === 'baking');
        await h.signal(rollbackSignal, { by: 'oncall', reason: 'p99 latency' });
        restored = (await waitForStatus(h, 'production restored', (s) => s.traffic?.restoredAt !== undefined)).traffic;
      },
      withFinalBake,
    );
    expect(result).toMatchObject({ phase: 'rolled_back', reason: 'rollback requested by oncall: p99 latency' });
    expect(productionWeights(fake).slice(-2)).toEqual(['web-prod-bbbbbbb2=100', 'web-prod-aaaaaaa1=100']);
    expect(restored).toMatchObject({ percent: 0 });
    expect(restored!.restoreMs).toBeGreaterThanOrEqual(0);
    expect(inventory(fake)).toEqual(onlyLive('aaaaaaa1'));
  });

  it('a first deployment has nothing to share traffic with: 100% at once', async () => {
    const fake = new FakeAws();
    fake.alarms.set('web-5xx', 'OK');
    const result = await deployOn(env, fake, 'aaaaaaa1', passTests, fiveSteps);
    expect(result.phase).toBe('active');
    expect(productionWeights(fake)).toEqual(['web-prod-aaaaaaa1=100']);
  });

  it('refuses to start when an alarm the plan watches does not exist, before creating anything', async () => {
    const fake = new FakeAws();
    const result = await deployOn(env, fake, 'aaaaaaa1', async () => undefined, fiveSteps);
    expect(result).toMatchObject({
      phase: 'failed',
      reason: 'invalid input: not found: CloudWatch alarm web-5xx',
      leftovers: [],
    });
    expect(fake.sideEffects).toEqual([]);
  });
});
