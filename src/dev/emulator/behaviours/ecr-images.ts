// ECR images as AWS keeps them and moto (5.2.x, moto/ecr/models.py) does not: the rules of PutImage it
// skips, refused before moto sees the call; the digest ECR computes, given to moto (which otherwise
// hashes the layer digests, or picks one of 101 random digests for a manifest without layers); and, for
// the ECS rollouts, the tags an image's digest carries. Reads go straight to moto (neither counted nor
// throttled). API reference: botocore ecr/2015-09-21, the text of
// https://docs.aws.amazon.com/AmazonECR/latest/APIReference/.
import { createHash } from 'node:crypto';
import {
  DescribeImagesCommand,
  DescribeRepositoriesCommand,
  ECRClient,
  type ECRClientConfig,
} from '@aws-sdk/client-ecr';
import { ecrImageOf } from '../../../shared/images';
import { broken, type Json, type RuleBreak } from './refusals';

export class EcrImages {
  private readonly clients = new Map<string, ECRClient>();

  /** `direct`: how the proxy reaches moto (endpoint, credentials, its own region). */
  constructor(private readonly direct: ECRClientConfig & { region: string }) {}

  close(): void {
    for (const client of this.clients.values()) client.destroy();
  }

  /** The rule the call breaks, if any. */
  async refuse(action: string, req: Json, region = this.direct.region): Promise<RuleBreak | undefined> {
    if (action !== 'PutImage') return undefined;
    const manifest = String(req.imageManifest ?? '');
    const repositoryName = String(req.repositoryName);
    // "ImageDigestDoesNotMatchException: The specified image digest does not match the digest that Amazon
    // ECR calculated for the image." (PutImage's errors; moto keeps whatever digest it is given.)
    if (req.imageDigest !== undefined && req.imageDigest !== manifestDigest(manifest))
      return broken(
        'ecr-image-digest',
        'ImageDigestDoesNotMatchException',
        `The digest ${String(req.imageDigest)} does not match the digest ${manifestDigest(manifest)} Amazon ECR calculated for the image manifest.`,
      );
    const ecr = this.client(region);
    const repository = (
      await ecr
        .send(new DescribeRepositoriesCommand({ registryId: str(req.registryId), repositoryNames: [repositoryName] }))
        .catch(() => undefined)
    )?.repositories?.[0];
    // PutImage's errors: RepositoryNotFoundException (moto answers HTTP 500 "<name> is not a repository").
    if (!repository)
      return broken(
        'ecr-repository-not-found',
        'RepositoryNotFoundException',
        `The repository with name '${repositoryName}' does not exist in the registry with id '${str(req.registryId) ?? 'the caller'}'`,
      );
    // "ImageTagAlreadyExistsException: The specified image is tagged with a tag that already exists. The
    // repository is configured for tag immutability." (PutImage's errors;
    // https://docs.aws.amazon.com/AmazonECR/latest/userguide/image-tag-mutability.html). moto answers
    // ImageAlreadyExistsException, the error for the same manifest under the same tag.
    const tag = str(req.imageTag);
    if (tag && repository.imageTagMutability === 'IMMUTABLE') {
      const held = await this.digestOf(region, str(req.registryId), repositoryName, tag);
      if (held && held !== manifestDigest(manifest))
        return broken(
          'ecr-tag-immutable',
          'ImageTagAlreadyExistsException',
          `The image tag '${tag}' already exists in the '${repositoryName}' repository and cannot be overwritten because the repository is immutable.`,
        );
    }
    return undefined;
  }

  /**
   * PutImage as moto should get it: with the digest ECR computes, "The sha256 digest of the image
   * manifest" (ImageIdentifier.imageDigest), so a repository's digests are those AWS would show.
   */
  bridged(action: string, body: string): string {
    if (action !== 'PutImage') return body;
    const req = JSON.parse(body) as Json;
    if (req.imageDigest !== undefined || typeof req.imageManifest !== 'string') return body;
    return JSON.stringify({ ...req, imageDigest: manifestDigest(req.imageManifest) });
  }

  /**
   * Other names of a pinned private ECR image (`<registry>/<repository>@sha256:…`): `<repository>:<tag>` and
   * `<registry>/<repository>:<tag>` for each tag its digest has now. None for any other image.
   */
  async tagsNaming(image: string): Promise<string[]> {
    const ecr = ecrImageOf(image);
    if (!ecr?.digest) return [];
    const out = await this.client(ecr.region)
      .send(
        new DescribeImagesCommand({
          registryId: ecr.registryId,
          repositoryName: ecr.repository,
          imageIds: [{ imageDigest: ecr.digest }],
        }),
      )
      .catch(() => undefined);
    const tags = (out?.imageDetails ?? []).flatMap((d) => d.imageTags ?? []);
    return tags.flatMap((t) => [`${ecr.repository}:${t}`, `${ecr.registry}/${ecr.repository}:${t}`]);
  }

  private async digestOf(
    region: string,
    registryId: string | undefined,
    repositoryName: string,
    imageTag: string,
  ): Promise<string | undefined> {
    const out = await this.client(region)
      .send(new DescribeImagesCommand({ registryId, repositoryName, imageIds: [{ imageTag }] }))
      .catch(() => undefined);
    return out?.imageDetails?.[0]?.imageDigest;
  }

  /** moto keeps each region's registry apart, as ECR does: a client per region. */
  private client(region: string): ECRClient {
    let client = this.clients.get(region);
    if (!client) {
      client = new ECRClient({ ...this.direct, region });
      this.clients.set(region, client);
    }
    return client;
  }
}

/** What ECR computes for a manifest: `sha256:` and the hex SHA-256 of its bytes as pushed. */
export function manifestDigest(manifest: string): string {
  return `sha256:${createHash('sha256').update(manifest, 'utf8').digest('hex')}`;
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}
