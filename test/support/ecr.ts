// Images in the emulated account's private ECR registry, for tests that pin them: a push is a PutImage of
// a small generated manifest (Docker image manifest v2, schema 2), different at each call, so each push
// has a digest of its own. (moto takes a manifest whose layers were never uploaded; AWS answers
// LayersNotFoundException. The emulator does not check it: the tests need a digest, not a pullable image.)
import { randomBytes } from 'node:crypto';
import {
  CreateRepositoryCommand,
  DescribeRepositoriesCommand,
  PutImageCommand,
  type ECRClient,
} from '@aws-sdk/client-ecr';
import { ecrClientIn, type AwsClients } from '../../src/aws/clients';
import { testRegion } from './servers';

export interface PushedImage {
  /** `<account>.dkr.ecr.<region>.amazonaws.com/<repository>:<tag>` */
  image: string;
  /** `sha256:<64 hex>`: what ECR computed for the manifest. */
  digest: string;
}

let pushes = 0;

/** A fresh image under the tag (the repository created when missing); `region`: another than the clients'. */
export async function pushImage(
  clients: Pick<AwsClients, 'ecr'>,
  repository: string,
  tag: string,
  options: { region?: string } = {},
): Promise<PushedImage> {
  const ecr = ecrClientIn(clients, options.region ?? testRegion);
  const uri = await repositoryUri(ecr, repository);
  const out = await ecr.send(
    new PutImageCommand({
      repositoryName: repository,
      imageTag: tag,
      imageManifest: generatedManifest(),
      imageManifestMediaType: manifestMediaType,
    }),
  );
  const digest = out.image?.imageId?.imageDigest;
  if (!digest) throw new Error(`PutImage ${repository}:${tag} answered no digest`);
  return { image: `${uri}:${tag}`, digest };
}

/** The tag moved to a new image (a new push under it): its new digest. */
export function moveTag(
  clients: Pick<AwsClients, 'ecr'>,
  repository: string,
  tag: string,
  options: { region?: string } = {},
): Promise<PushedImage> {
  return pushImage(clients, repository, tag, options);
}

const manifestMediaType = 'application/vnd.docker.distribution.manifest.v2+json';

/** The repository's URI (`<account>.dkr.ecr.<region>.amazonaws.com/<name>`, as ECR gives it), created when missing. */
async function repositoryUri(ecr: ECRClient, repository: string): Promise<string> {
  const found = await ecr
    .send(new DescribeRepositoriesCommand({ repositoryNames: [repository] }))
    .catch((err: Error) => {
      if (err.name === 'RepositoryNotFoundException') return undefined;
      throw err;
    });
  const uri =
    found?.repositories?.[0]?.repositoryUri ??
    (await ecr.send(new CreateRepositoryCommand({ repositoryName: repository }))).repository?.repositoryUri;
  if (!uri) throw new Error(`ECR gave no URI for repository ${repository}`);
  return uri;
}

function generatedManifest(): string {
  pushes += 1;
  const blob = (mediaType: string, size: number) => ({
    mediaType,
    size,
    digest: `sha256:${randomBytes(32).toString('hex')}`,
  });
  return JSON.stringify({
    schemaVersion: 2,
    mediaType: manifestMediaType,
    config: blob('application/vnd.docker.container.image.v1+json', 1000 + pushes),
    layers: [blob('application/vnd.docker.image.rootfs.diff.tar.gzip', 30_000 + pushes)],
  });
}
