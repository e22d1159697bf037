// ECR: the digest an image's tag names now, so a deployment runs one image however the tag moves later
// (issue 15). Read-only and idempotent; the workflow pins once and replays the answer from its history.
import { DescribeImagesCommand, type ECRClient } from '@aws-sdk/client-ecr';
import { ApplicationFailure } from '@temporalio/common';
import { failureTypes } from '../shared/failures';
import { ecrImageOf, parseImageReference, pinnedImage, type EcrImage } from '../shared/images';
import { isAwsError, wrapAwsError } from './errors';
import { oneObject } from './inputs';

export interface ResolvedImage {
  /** The image as given. */
  image: string;
  /** `sha256:<64 hex>` */
  digest: string;
  /** `<registry>/<repository>@<digest>`: what the task definition names. */
  pinned: string;
  /** The tag that was read (absent when the image came by digest). */
  tag?: string;
}

/** An image without a tag is `latest`, as Docker and ECS pull it. */
const defaultTag = 'latest';

/** `ecrIn(region)`: an ECR client of that region (an image's registry is regional; src/aws/clients.ts ecrClientIn). */
export function createEcrActivities(ecrIn: (region: string) => ECRClient) {
  return {
    /**
     * The digest ECR holds for the image's tag (DescribeImages), and the image pinned to it. An image
     * already given by digest is answered as it is, without a call. Only private ECR registries can be
     * read; any other image is refused as a prerequisite, naming the opt-out.
     */
    async resolveImageDigest(input: { image: string }): Promise<ResolvedImage> {
      const { image } = oneObject(input, 'image');
      const parsed = parseImageReference(image);
      if (parsed?.digest)
        return { image, digest: parsed.digest, pinned: pinnedImage(image, parsed.digest), tag: parsed.tag };
      const ecr = ecrImageOf(image);
      if (!ecr) throw notEcr(image, parsed?.registry);
      const tag = ecr.tag ?? defaultTag;
      let digest: string | undefined;
      try {
        const out = await ecrIn(ecr.region).send(
          new DescribeImagesCommand({
            registryId: ecr.registryId,
            repositoryName: ecr.repository,
            imageIds: [{ imageTag: tag }],
          }),
        );
        digest = out.imageDetails?.find((d) => d.imageDigest)?.imageDigest;
      } catch (err) {
        throw refusal(image, ecr, tag, err) ?? wrapAwsError(`read the digest of ${image} (DescribeImages)`, err);
      }
      if (!digest)
        throw refusal(
          image,
          ecr,
          tag,
          Object.assign(new Error('no image details'), { name: 'ImageNotFoundException' }),
        )!;
      return { image, digest, pinned: pinnedImage(image, digest), tag };
    },
  };
}

/** What the user must change, for the errors ECR answers the same way on every retry. */
function refusal(image: string, ecr: EcrImage, tag: string, err: unknown): ApplicationFailure | undefined {
  const name = err instanceof Error ? err.name : '';
  const where = `in account ${ecr.registryId} (${ecr.region})`;
  const because = `(DescribeImages: ${name})`;
  const message = isAwsError(err, 'RepositoryNotFoundException')
    ? `there is no ECR repository ${ecr.repository} ${where} ${because}. Create it and push the image, or give the image by digest.`
    : isAwsError(err, 'ImageNotFoundException')
      ? `ECR repository ${ecr.repository} ${where} has no image tagged ${tag} ${because}. Push it, or give the image by digest.`
      : isAwsError(err, 'AccessDeniedException')
        ? `the worker's role may not read ECR repository ${ecr.repository} ${where} ${because}: ${(err as Error).message}. Allow ecr:DescribeImages on ${repositoryArn(ecr)}, or give the image by digest.`
        : undefined;
  if (!message) return undefined;
  return ApplicationFailure.create({
    message: `image ${image} cannot be pinned: ${message}`,
    type: failureTypes.prerequisite,
    nonRetryable: true,
    cause: err instanceof Error ? err : undefined,
  });
}

function notEcr(image: string, registry: string | undefined): ApplicationFailure {
  return ApplicationFailure.nonRetryable(
    `image ${image} cannot be pinned: Switchyard reads digests from private ECR registries only ` +
      `(<account>.dkr.ecr.<region>.amazonaws.com), and this image is on ${registry ?? 'Docker Hub'}. ` +
      'Give the image by digest (<image>@sha256:<digest>), or set pinImageDigest: false in the spec to deploy the tag as it is.',
    failureTypes.prerequisite,
  );
}

/** The repository's ARN, for the permission to grant (https://docs.aws.amazon.com/AmazonECR/latest/userguide/security_iam_service-with-iam.html). */
function repositoryArn(ecr: EcrImage): string {
  const partition = ecr.region.startsWith('cn-') ? 'aws-cn' : ecr.region.startsWith('us-gov-') ? 'aws-us-gov' : 'aws';
  return `arn:${partition}:ecr:${ecr.region}:${ecr.registryId}:repository/${ecr.repository}`;
}
