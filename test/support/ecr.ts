// Images in the emulated ECR for tests: pushed with a small Docker v2 manifest of their own (so each push
// has its own digest, as a new build would), and a tag moved the way `docker push` moves it.
import crypto from 'node:crypto';
import { CreateRepositoryCommand, PutImageCommand } from '@aws-sdk/client-ecr';
import type { AwsClients } from '../../src/aws/clients';
import { testRegion } from './servers';

/** moto's account. */
const account = '123456789012';

export interface PushedImage {
  /** `<account>.dkr.ecr.<region>.amazonaws.com/<repository>:<tag>` */
  image: string;
  digest: string;
}

function manifest(): string {
  const layer = () => `sha256:${crypto.randomBytes(32).toString('hex')}`;
  return JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
    config: { mediaType: 'application/vnd.docker.container.image.v1+json', size: 1469, digest: layer() },
    layers: [{ mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip', size: 3370706, digest: layer() }],
  });
}

/** Pushes a new image under the tag (creating the repository when missing); returns it and its digest. */
export async function pushImage(clients: AwsClients, repository: string, tag: string): Promise<PushedImage> {
  const ecr = clients.ecr.in(testRegion);
  try {
    await ecr.send(new CreateRepositoryCommand({ repositoryName: repository }));
  } catch (err) {
    if ((err as Error).name !== 'RepositoryAlreadyExistsException') throw err;
  }
  const out = await ecr.send(
    new PutImageCommand({ repositoryName: repository, imageTag: tag, imageManifest: manifest() }),
  );
  return {
    image: `${account}.dkr.ecr.${testRegion}.amazonaws.com/${repository}:${tag}`,
    digest: out.image!.imageId!.imageDigest!,
  };
}

/** A new build pushed under a tag that exists: the tag now names another digest. */
export const moveTag = pushImage;
