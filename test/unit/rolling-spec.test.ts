// Rolling specs the ecs-deploy way: no task definition (the service's running revision is the base), a
// forced redeploy, the one-liner's flags, and image pinning's refusals, all before anything connects.
import { rollingSpecFromFlags } from '../../src/spec/load';
import { SpecFiles } from '../support/spec-files';

const files = new SpecFiles();
beforeAll(() => files.open());
afterAll(() => files.close());

const ecr = '123456789012.dkr.ecr.eu-west-1.amazonaws.com/web';
const digest = `sha256:${'ab'.repeat(32)}`;
const rolling = { strategy: 'rolling', service: 'web', environment: 'prod', cluster: 'main' };
const flags = { cluster: 'main', service: 'web-prod', forceNewDeployment: false, pinImageDigest: true };

describe('a rolling spec without a task definition', () => {
  it('takes the running revision as its base: only the image (and optionally the container) is given', () => {
    const spec = files.load({ ...rolling, image: `${ecr}:1.4.2` });
    expect(spec).toEqual({
      strategy: 'rolling',
      service: 'web',
      environment: 'prod',
      cluster: 'main',
      image: `${ecr}:1.4.2`,
      container: {},
      ecsService: 'web-prod',
      timeouts: { steadyMs: 900_000 },
      iamPropagationMs: 10_000,
      pinImageDigest: true,
    });
    expect(files.load({ ...rolling, image: `${ecr}:1`, container: { name: 'app' } })).toMatchObject({
      container: { name: 'app' },
    });
  });

  it.each([
    [
      'no image',
      rolling,
      [
        "image: expected the image to deploy (--image): without a taskDefinition, the service's running revision gets it",
      ],
    ],
    [
      'an image outside ECR, pinned',
      { ...rolling, image: 'nginx:1.27' },
      [
        'image: nginx:1.27 is not in a private ECR registry, so Switchyard cannot pin its tag to a digest (a re-run or a rollback could start another image under the same tag): push it to ECR, give it by digest (nginx@sha256:<64 hex digits>), or set pinImageDigest: false',
      ],
    ],
    [
      'a forced redeploy with an image',
      { ...rolling, image: `${ecr}:1`, forceNewDeployment: true },
      [
        'forceNewDeployment: starts new tasks of the revision the service runs, as it is: drop image (--image), or forceNewDeployment to deploy a new revision',
      ],
    ],
  ])('refuses %s', (_name, doc, expected) => {
    expect(files.problemsOf(doc)).toEqual(expected);
  });

  it('takes an image outside ECR when given by digest or unpinned, and a forced redeploy with none', () => {
    expect(files.load({ ...rolling, image: `nginx@${digest}` })).toMatchObject({ image: `nginx@${digest}` });
    expect(files.load({ ...rolling, image: 'nginx:1.27', pinImageDigest: false })).toMatchObject({
      pinImageDigest: false,
    });
    expect(files.load({ ...rolling, forceNewDeployment: true })).toMatchObject({ forceNewDeployment: true });
    expect(files.load({ ...rolling, forceNewDeployment: true })).not.toHaveProperty('image');
  });
});

describe('the one-liner (deploy --cluster --service --image)', () => {
  it('is a rolling spec named after the service and the cluster', () => {
    expect(rollingSpecFromFlags({ ...flags, image: `${ecr}:2`, container: 'app', timeout: '5m' })).toEqual({
      strategy: 'rolling',
      service: 'web-prod',
      environment: 'main',
      cluster: 'main',
      image: `${ecr}:2`,
      container: { name: 'app' },
      ecsService: 'web-prod',
      timeouts: { steadyMs: 300_000 },
      iamPropagationMs: 10_000,
      pinImageDigest: true,
    });
    expect(
      rollingSpecFromFlags({
        ...flags,
        cluster: 'arn:aws:ecs:eu-west-1:123456789012:cluster/main',
        forceNewDeployment: true,
      }),
    ).toMatchObject({ environment: 'main', forceNewDeployment: true });
    // AWS names cut to the spec's: lower case, hyphens, at most 20 (service) and 10 (environment) characters.
    expect(
      rollingSpecFromFlags({
        ...flags,
        service: 'Orders_API-Production',
        cluster: 'switchyard-demo',
        image: `${ecr}:2`,
      }),
    ).toMatchObject({
      service: 'orders-api-productio',
      environment: 'switchyard',
      ecsService: 'Orders_API-Production',
    });
  });

  it('names the flags in what it refuses', () => {
    expect(() => rollingSpecFromFlags({ ...flags, service: '___', image: `${ecr}:2` })).toThrow(
      "--service (as the deployment's name; or pass --name): expected 1-20 lowercase letters, digits or inner hyphens",
    );
    expect(() => rollingSpecFromFlags({ ...flags, image: 'nginx:1' })).toThrow(
      '--image: nginx:1 is not in a private ECR registry, so Switchyard cannot pin its tag to a digest (a re-run or a rollback could start another image under the same tag): push it to ECR, give it by digest (nginx@sha256:<64 hex digits>), or pass --no-pin-image-digest',
    );
    expect(() => rollingSpecFromFlags({ ...flags, image: `${ecr}:2`, timeout: 'soon' })).toThrow(
      '--timeout: expected a duration such as "90s", "5m" or "1h", got "soon"',
    );
    expect(() => rollingSpecFromFlags(flags)).toThrow(
      "image: expected the image to deploy (--image): without a taskDefinition, the service's running revision gets it",
    );
  });
});
