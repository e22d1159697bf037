// ECR through the proxy: routed to moto, checked against its API model (botocore ecr/2015-09-21), and
// held to the PutImage rules moto skips (src/dev/emulator/behaviours/ecr-images.ts), each made to fire
// here beside the legal call it allows.
import { CreateRepositoryCommand, DescribeImagesCommand, PutImageCommand, type ECRClient } from '@aws-sdk/client-ecr';
import { destroyAwsClients } from '../../src/aws/clients';
import { manifestDigest } from '../../src/dev/emulator/behaviours/ecr-images';
import type { AwsBehaviourProxy } from '../../src/dev/emulator/server';
import type { AccountClients } from '../../src/dev/seed';
import { resetAws } from '../support/servers';
import { refusal, strictProxy } from './strict-proxy';

const manifest = (n: number) =>
  JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
    config: {
      mediaType: 'application/vnd.docker.container.image.v1+json',
      size: 1000 + n,
      digest: `sha256:${String(n).padStart(64, '0')}`,
    },
    layers: [],
  });

describe('ECR, as AWS keeps it', () => {
  let proxy: AwsBehaviourProxy;
  let clients: AccountClients;
  let ecr: ECRClient;

  beforeAll(async () => {
    // Throttling off here: these tests provoke single refusals with one SDK attempt each (strictProxy), and a
    // rate-limit refusal in between would be a different answer; the rate limits have their own tests
    // (conformance.test.ts, 'the published rate limits'), and every other suite runs with them on.
    ({ proxy, clients } = await strictProxy({ throttling: false }));
    ecr = clients.ecr.local;
  });
  afterAll(async () => {
    destroyAwsClients(clients);
    await proxy.close();
  });
  beforeEach(() => resetAws());

  const put = (repositoryName: string, imageTag: string, n: number, imageDigest?: string) =>
    ecr.send(new PutImageCommand({ repositoryName, imageTag, imageManifest: manifest(n), imageDigest }));
  const refused = async (call: Promise<unknown>) =>
    refusal(
      await call.then(
        () => undefined,
        (e: unknown) => e,
      ),
    );
  const byRule = (rule: string) => proxy.conformance().byRule[rule] ?? 0;

  it('refuses a repository name the model does not allow, as ECR does', async () => {
    const before = byRule('model:pattern');
    expect(await refused(ecr.send(new DescribeImagesCommand({ repositoryName: 'Web_' })))).toEqual({
      name: 'InvalidParameterException',
      message: expect.stringContaining(
        "Value 'Web_' at 'repositoryName' failed to satisfy constraint: Member must satisfy regular expression pattern",
      ),
    });
    expect(byRule('model:pattern')).toBe(before + 1);
  });

  it('refuses DescribeImages with no image ids, or more than 100', async () => {
    await ecr.send(new CreateRepositoryCommand({ repositoryName: 'web' }));
    const before = byRule('model:length');
    for (const imageIds of [[], Array.from({ length: 101 }, (_, i) => ({ imageTag: `t${i}` }))])
      expect(await refused(ecr.send(new DescribeImagesCommand({ repositoryName: 'web', imageIds })))).toMatchObject({
        name: 'InvalidParameterException',
        message: expect.stringContaining("at 'imageIds' failed to satisfy constraint: Member must have length"),
      });
    expect(byRule('model:length')).toBe(before + 2);
  });

  it('answers a missing tag and a missing repository as ECR does (moto does it too)', async () => {
    await ecr.send(new CreateRepositoryCommand({ repositoryName: 'web' }));
    const describe = (repositoryName: string) =>
      ecr.send(new DescribeImagesCommand({ repositoryName, imageIds: [{ imageTag: '1.4' }] }));
    expect((await refused(describe('web'))).name).toBe('ImageNotFoundException');
    expect((await refused(describe('nope'))).name).toBe('RepositoryNotFoundException');
  });

  it('gives an image the digest ECR computes: the sha256 of its manifest', async () => {
    await ecr.send(new CreateRepositoryCommand({ repositoryName: 'web' }));
    // No layers: moto alone would pick one of 101 random digests.
    const out = await put('web', '1.4', 1);
    expect(out.image?.imageId?.imageDigest).toBe(manifestDigest(manifest(1)));
    const described = await ecr.send(
      new DescribeImagesCommand({ repositoryName: 'web', imageIds: [{ imageTag: '1.4' }] }),
    );
    expect(described.imageDetails?.[0]?.imageDigest).toBe(manifestDigest(manifest(1)));
  });

  it('refuses a digest that is not the manifest’s (ecr-image-digest)', async () => {
    await ecr.send(new CreateRepositoryCommand({ repositoryName: 'web' }));
    await put('web', '1', 1, manifestDigest(manifest(1)));
    const before = byRule('ecr-image-digest');
    expect((await refused(put('web', '2', 2, manifestDigest(manifest(1))))).name).toBe(
      'ImageDigestDoesNotMatchException',
    );
    expect(byRule('ecr-image-digest')).toBe(before + 1);
  });

  it('refuses a push to a missing repository as RepositoryNotFoundException (ecr-repository-not-found; moto: 500)', async () => {
    const before = byRule('ecr-repository-not-found');
    expect(await refused(put('nope', '1', 1))).toEqual({
      name: 'RepositoryNotFoundException',
      message: expect.stringContaining("The repository with name 'nope' does not exist"),
    });
    expect(byRule('ecr-repository-not-found')).toBe(before + 1);
  });

  it('moves a tag in a mutable repository; refuses it in an immutable one (ecr-tag-immutable)', async () => {
    await ecr.send(new CreateRepositoryCommand({ repositoryName: 'mutable' }));
    await ecr.send(new CreateRepositoryCommand({ repositoryName: 'fixed', imageTagMutability: 'IMMUTABLE' }));
    await put('mutable', '1.4', 1);
    await put('mutable', '1.4', 2);
    const digestOf = async (repositoryName: string) =>
      (await ecr.send(new DescribeImagesCommand({ repositoryName, imageIds: [{ imageTag: '1.4' }] }))).imageDetails?.[0]
        ?.imageDigest;
    expect(await digestOf('mutable')).toBe(manifestDigest(manifest(2)));

    await put('fixed', '1.4', 1);
    const before = byRule('ecr-tag-immutable');
    expect(await refused(put('fixed', '1.4', 2))).toEqual({
      name: 'ImageTagAlreadyExistsException',
      message:
        "The image tag '1.4' already exists in the 'fixed' repository and cannot be overwritten because the repository is immutable.",
    });
    expect(byRule('ecr-tag-immutable')).toBe(before + 1);
    expect(await digestOf('fixed')).toBe(manifestDigest(manifest(1)));
    // Another tag on an immutable repository is a new push, allowed.
    await put('fixed', '1.5', 2);
  });
});
