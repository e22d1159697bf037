// resolveImageDigest against the run's moto (through the behaviour proxy): the digest ECR holds for a tag,
// prerequisites refused with what to do, and a tag that moved read anew.
import type { ECRClient } from '@aws-sdk/client-ecr';
import { ApplicationFailure } from '@temporalio/common';
import { createActivities } from '../../src/activities';
import { createEcrActivities } from '../../src/activities/ecr';
import { destroyAwsClients } from '../../src/aws/clients';
import { demoImageRefs, demoImages } from '../../src/dev/demo';
import { seedImages, type AccountClients } from '../../src/dev/seed';
import { failureTypes } from '../../src/shared/failures';
import { moveTag, pushImage } from '../support/ecr';
import { awsClientsOnMoto, resetAws, servers, testRegion } from '../support/servers';

const registry = `123456789012.dkr.ecr.${testRegion}.amazonaws.com`;

async function refusalOf(call: Promise<unknown>): Promise<ApplicationFailure> {
  const err = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ApplicationFailure);
  return err as ApplicationFailure;
}

describe('resolveImageDigest on moto', () => {
  let clients: AccountClients;
  let aws: ReturnType<typeof createActivities>;

  beforeAll(() => {
    clients = awsClientsOnMoto();
    aws = createActivities(clients);
  });
  afterAll(() => destroyAwsClients(clients));
  beforeEach(() => resetAws());

  it('answers the digest ECR holds for the tag, and the image pinned to it', async () => {
    const pushed = await pushImage(clients, 'web', '1.4');
    expect(pushed.image).toBe(`${registry}/web:1.4`);
    expect(await aws.resolveImageDigest({ image: pushed.image })).toEqual({
      image: pushed.image,
      digest: pushed.digest,
      pinned: `${registry}/web@${pushed.digest}`,
      tag: '1.4',
    });
  });

  it('reads an image without a tag as latest, and a repository path with slashes', async () => {
    const pushed = await pushImage(clients, 'team/web', 'latest');
    const resolved = await aws.resolveImageDigest({ image: `${registry}/team/web` });
    expect(resolved).toMatchObject({
      digest: pushed.digest,
      pinned: `${registry}/team/web@${pushed.digest}`,
      tag: 'latest',
    });
  });

  it('reads an image of another region with that region’s client', async () => {
    const pushed = await pushImage(clients, 'web', '2.0', { region: 'eu-west-1' });
    expect(pushed.image).toBe('123456789012.dkr.ecr.eu-west-1.amazonaws.com/web:2.0');
    expect((await aws.resolveImageDigest({ image: pushed.image })).digest).toBe(pushed.digest);
    // Not in the worker's region: there, no such repository.
    const here = await refusalOf(aws.resolveImageDigest({ image: `${registry}/web:2.0` }));
    expect(here.type).toBe(failureTypes.prerequisite);
  });

  it('answers an image given by digest as it is, without asking ECR', async () => {
    const before = (await servers.emulator.stats()).calls['ECR.DescribeImages'] ?? 0;
    const digest = `sha256:${'c'.repeat(64)}`;
    expect(await aws.resolveImageDigest({ image: `${registry}/web@${digest}` })).toEqual({
      image: `${registry}/web@${digest}`,
      digest,
      pinned: `${registry}/web@${digest}`,
      tag: undefined,
    });
    expect(await aws.resolveImageDigest({ image: `nginx:1.27@${digest}` })).toMatchObject({
      pinned: `nginx@${digest}`,
    });
    expect((await servers.emulator.stats()).calls['ECR.DescribeImages'] ?? 0).toBe(before);
  });

  it('refuses a missing repository as a prerequisite, saying what to do', async () => {
    const err = await refusalOf(aws.resolveImageDigest({ image: `${registry}/nope:1.4` }));
    expect(err.type).toBe(failureTypes.prerequisite);
    expect(err.nonRetryable).toBe(true);
    expect(err.message).toBe(
      `image ${registry}/nope:1.4 cannot be pinned: there is no ECR repository nope in account 123456789012 (us-east-1) (DescribeImages: RepositoryNotFoundException). Create it and push the image, or give the image by digest.`,
    );
  });

  it('refuses a missing tag as a prerequisite, saying what to do', async () => {
    await pushImage(clients, 'web', '1.3');
    const err = await refusalOf(aws.resolveImageDigest({ image: `${registry}/web:1.4` }));
    expect(err.type).toBe(failureTypes.prerequisite);
    expect(err.nonRetryable).toBe(true);
    expect(err.message).toBe(
      `image ${registry}/web:1.4 cannot be pinned: ECR repository web in account 123456789012 (us-east-1) has no image tagged 1.4 (DescribeImages: ImageNotFoundException). Push it, or give the image by digest.`,
    );
  });

  it('reads the tag anew on a retry after it moved (the workflow keeps the first answer in its history)', async () => {
    const first = await pushImage(clients, 'web', '1.4');
    expect((await aws.resolveImageDigest({ image: first.image })).digest).toBe(first.digest);
    const moved = await moveTag(clients, 'web', '1.4');
    expect(moved.digest).not.toBe(first.digest);
    expect((await aws.resolveImageDigest({ image: first.image })).digest).toBe(moved.digest);
  });

  it('resolves the demo images the dev stack seeds, seeded once', async () => {
    expect(await seedImages(clients, demoImages)).toEqual(['ECR repository web', 'image web:1.27', 'image web:1.28']);
    expect(await seedImages(clients, demoImages)).toEqual([]);
    const [v1, v2] = await Promise.all(demoImageRefs.map((image) => aws.resolveImageDigest({ image })));
    expect(v1.pinned).toMatch(/^123456789012\.dkr\.ecr\.us-east-1\.amazonaws\.com\/web@sha256:[a-f0-9]{64}$/);
    expect(v2.digest).not.toBe(v1.digest);
  });

  it.each([
    ['nginx:1.27', 'Docker Hub'],
    ['public.ecr.aws/nginx/nginx:1.28', 'public.ecr.aws'],
    ['ghcr.io/acme/web:1', 'ghcr.io'],
  ])('refuses %s, not in a private ECR registry, naming the opt-out', async (image, where) => {
    const err = await refusalOf(aws.resolveImageDigest({ image }));
    expect(err.type).toBe(failureTypes.prerequisite);
    expect(err.nonRetryable).toBe(true);
    expect(err.message).toContain(`this image is on ${where}`);
    expect(err.message).toContain('pinImageDigest: false');
  });
});

describe('resolveImageDigest with ECR errors moto cannot give', () => {
  const failing = (name: string, message: string) => {
    const client = { send: () => Promise.reject(Object.assign(new Error(message), { name })) };
    return createEcrActivities(() => client as unknown as ECRClient);
  };

  it('refuses access denied as a prerequisite, naming the permission and the repository ARN', async () => {
    const denied =
      'User: arn:aws:sts::123456789012:assumed-role/worker/i-1 is not authorized to perform: ecr:DescribeImages';
    const err = await refusalOf(
      failing('AccessDeniedException', denied).resolveImageDigest({
        image: '123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn/web:1.4',
      }),
    );
    expect(err.type).toBe(failureTypes.prerequisite);
    expect(err.nonRetryable).toBe(true);
    expect(err.message).toContain(denied);
    expect(err.message).toContain('Allow ecr:DescribeImages on arn:aws-cn:ecr:cn-north-1:123456789012:repository/web');
  });

  it('lets other errors be retried, saying what was tried', async () => {
    const err = await refusalOf(
      failing('ServerException', 'internal error').resolveImageDigest({ image: `${registry}/web:1.4` }),
    );
    expect(err.nonRetryable).toBe(false);
    expect(err.type).toBe('ServerException');
    expect(err.message).toBe(
      `read the digest of ${registry}/web:1.4 (DescribeImages): ServerException: internal error`,
    );
  });
});
