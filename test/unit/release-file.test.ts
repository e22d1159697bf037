// The release file, validated as a whole before anything starts: each service's spec (a blue/green one,
// valid, its image overridden as the release says), no service or host twice, lockstep's shared plan
// (weights and bakes only, each bake checking the service with its own checks), ordered plans without
// approval steps. Every problem is reported at once, each naming its field.
import path from 'node:path';
import { loadRelease } from '../../src/spec/release';
import { SpecError } from '../../src/spec/load';
import { SpecFiles, validSpec } from '../support/spec-files';

const files = new SpecFiles();
beforeAll(() => files.open());
afterAll(() => files.close());

/** A service's spec file, named after it, with its own hosts. */
function service(name: string, more: Record<string, unknown> = {}): string {
  return path.basename(
    files.write({
      ...validSpec,
      service: name,
      hosts: { production: `${name}.example.com`, stage: `stage.${name}.example.com` },
      ...more,
    }),
  );
}
const release = (doc: Record<string, unknown>) => loadRelease(files.write({ name: 'checkout', ...doc }));
function problemsOf(doc: Record<string, unknown>): string[] {
  try {
    release(doc);
  } catch (err) {
    if (err instanceof SpecError) return err.problems;
    throw err;
  }
  throw new Error('the release file loaded');
}
const steps = { type: 'steps', steps: [{ setWeight: 10 }, { pause: '5m' }, { setWeight: 100 }] };

describe('release file', () => {
  it('lockstep: every service on the shared plan, its bakes with the service’s own checks and both sets of alarms', () => {
    const loaded = release({
      mode: 'lockstep',
      services: [
        { spec: service('orders', { analysis: { alarms: ['orders-5xx'], maxUnhealthyTargets: 1 } }), image: 'nginx:2' },
        { spec: service('web') },
      ],
      traffic: steps,
      analysis: { alarms: ['checkout-errors'], interval: '10s' },
      approval: { required: true, timeout: '2h' },
      tests: { timeout: '30m' },
    });
    expect(loaded).toMatchObject({
      name: 'checkout',
      mode: 'lockstep',
      testsTimeoutMs: 30 * 60_000,
      approval: { required: true, timeoutMs: 2 * 3_600_000, onTimeout: 'rollback' },
      plan: { name: 'steps', steps: [{ percent: 10 }, { kind: 'bake' }, { percent: 100 }] },
    });
    const [orders, web] = loaded.specs;
    expect([orders.image, web.image]).toEqual(['nginx:2', 'nginx:1']);
    expect(orders.traffic!.steps[1]).toMatchObject({
      kind: 'bake',
      bake: {
        durationMs: 5 * 60_000,
        intervalMs: 10_000,
        checks: { alarms: ['checkout-errors', 'orders-5xx'], maxUnhealthyTargets: 1 },
      },
    });
    expect(web.traffic!.steps[1]).toMatchObject({
      bake: { checks: { alarms: ['checkout-errors'], maxUnhealthyTargets: 0 } },
    });
  });

  it("lockstep: a service's http probe checks its stage host below 100% and its production host at 100%", () => {
    const loaded = release({
      mode: 'lockstep',
      services: [
        { spec: service('orders', { analysis: { http: { url: 'https://stage.orders.example.com/health' } } }) },
        { spec: service('web') },
      ],
      traffic: steps,
    });
    const orders = loaded.specs[0].traffic!;
    expect(orders.steps[1]).toMatchObject({
      bake: { checks: { http: { url: 'https://stage.orders.example.com/health' } } },
    });
    expect(orders.finalBake.checks.http?.url).toBe('https://orders.example.com/health');
    expect(loaded.specs[1].traffic!.finalBake.checks.http).toBeUndefined();
  });

  it('ordered: each service keeps its own plan', () => {
    const loaded = release({
      mode: 'ordered',
      services: [{ spec: service('orders', { traffic: 'canary10Percent5Minutes' }) }, { spec: service('web') }],
    });
    expect(loaded.plan).toBeUndefined();
    expect(loaded.specs.map((s) => s.traffic?.name)).toEqual(['canary10Percent5Minutes', 'allAtOnce']);
  });

  it('refuses, all at once: a service twice, a host twice, a bad spec, a rolling spec, and a lockstep plan with an approval step', () => {
    const problems = problemsOf({
      mode: 'lockstep',
      services: [
        { spec: service('orders') },
        { spec: service('orders') },
        { spec: service('web', { hosts: { production: 'orders.example.com', stage: 'stage.web.example.com' } }) },
        { spec: service('payments', { desiredCount: -1 }) },
        {
          spec: service('jobs', {
            strategy: 'rolling',
            hosts: undefined,
            loadBalancer: undefined,
            hostedZone: undefined,
            desiredCount: undefined,
            container: { name: 'web' },
          }),
        },
      ],
      traffic: { type: 'steps', steps: [{ setWeight: 50 }, { approval: {} }, { setWeight: 100 }] },
    });
    expect(problems).toEqual(
      expect.arrayContaining([
        'services: service orders/prod is in the release twice',
        'services: host orders.example.com is in the release twice',
        expect.stringMatching(/^services\[3\] \(spec-\d+\.yaml\): desiredCount: /),
        expect.stringMatching(
          /^services\[4\]: spec-\d+\.yaml is a rolling spec: a release deploys blue\/green services only$/,
        ),
        expect.stringMatching(/^traffic\.steps\[1\]: a lockstep release has one approval, before the switch/),
      ]),
    );
  });

  it('refuses a lockstep release without a plan, an ordered one with one, and an ordered service with an approval step', () => {
    expect(problemsOf({ mode: 'lockstep', services: [{ spec: service('a') }, { spec: service('b') }] })).toEqual([
      'traffic: a lockstep release gives the plan every service takes together',
    ]);
    const approvalStep = { type: 'steps', steps: [{ setWeight: 10 }, { approval: {} }, { setWeight: 100 }] };
    expect(
      problemsOf({
        mode: 'ordered',
        services: [{ spec: service('a', { traffic: approvalStep }) }, { spec: service('b') }],
        traffic: steps,
      }),
    ).toEqual([
      'traffic: only a lockstep release has a shared plan; in an ordered one each service keeps its own',
      "services: a/prod's plan has an approval step: a release has one approval, before the switch (approval.required)",
    ]);
    const pauseStep = { type: 'steps', steps: [{ setWeight: 10 }, { pause: 'indefinite' }, { setWeight: 100 }] };
    expect(
      problemsOf({
        mode: 'ordered',
        services: [{ spec: service('a', { traffic: pauseStep }) }, { spec: service('b') }],
      }),
    ).toEqual([
      "services: a/prod's plan has an indefinite pause: pause the whole release with `switchyard pause <release>`",
    ]);
  });

  it("refuses a service whose stage host is another's production host", () => {
    expect(
      problemsOf({
        mode: 'ordered',
        services: [
          { spec: service('a') },
          { spec: service('b', { hosts: { production: 'b.example.com', stage: 'A.example.com' } }) },
        ],
      }),
    ).toEqual(['services: host a.example.com is in the release twice']);
  });

  it('refuses a file that is not a release: one service, an unknown mode, a missing spec file, unknown fields', () => {
    expect(problemsOf({ mode: 'together', services: [{ spec: service('a') }], colour: 'blue' })).toEqual(
      expect.arrayContaining([
        'unknown field(s) colour',
        'mode: expected "lockstep" or "ordered"',
        'services: expected at least two services (one is a deployment: switchyard deploy)',
      ]),
    );
    expect(problemsOf({ mode: 'ordered', services: [{ spec: 'missing.yaml' }, { spec: service('b') }] })).toEqual([
      expect.stringMatching(/^services\[0\]: spec file .*missing\.yaml does not exist$/),
    ]);
  });
});
