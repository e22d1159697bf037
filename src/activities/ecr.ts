// Amazon ECR: an image's tag resolved to the digest ECR holds for it now, so a revision names the image
// itself (digest pinning). Read-only.
import { DescribeImagesCommand, type ECRClient } from '@aws-sdk/client-ecr';
import { ApplicationFailure } from '@temporalio/common';
import { failureTypes } from '../shared/failures';
import { ecrImageOf, isPinned, pinnedImage } from '../shared/images';
import { isAwsError, wrapAwsError } from './errors';
import { oneObject } from './inputs';

export interface ResolvedImage {
  /** As given. */
  image: string;
  digest: string;
  /** `<registry>/<repository>@<digest>`. */
  pinned: string;
}

export function createEcrActivities(ecrIn: (region: string) => ECRClient) {
  return {
    /** The digest ECR holds for the image's tag now (DescribeImages); an image by digest as it is. */
    async resolveImageDigest(input: { image: string }): Promise<ResolvedImage> {
      const { image } = oneObject(input, 'image');
      const digest = /@(sha256:[a-f0-9]{64})$/.exec(image)?.[1];
      if (isPinned(image) && digest) return { image, digest, pinned: image };
      const ecr = ecrImageOf(image);
      if (!ecr)
        throw ApplicationFailure.nonRetryable(
          `image ${image} cannot be pinned to a digest: Switchyard reads only private ECR registries ` +
            `(<account>.dkr.ecr.<region>.amazonaws.com). Give it by digest, or set pinImageDigest: false.`,
          failureTypes.prerequisite,
        );
      const tag = ecr.tag ?? 'latest';
      const where = `ECR repository ${ecr.repository} in account ${ecr.registryId} (${ecr.region})`;
      try {
        const out = await ecrIn(ecr.region).send(
          new DescribeImagesCommand({
            registryId: ecr.registryId,
            repositoryName: ecr.repository,
            imageIds: [{ imageTag: tag }],
          }),
        );
        const found = out.imageDetails?.[0]?.imageDigest;
        if (!found) throw Object.assign(new Error(`no image tagged ${tag}`), { name: 'ImageNotFoundException' });
        return { image, digest: found, pinned: pinnedImage(image, found) };
      } catch (err) {
        if (isAwsError(err, 'RepositoryNotFoundException', 'ImageNotFoundException'))
          throw ApplicationFailure.nonRetryable(
            `image ${image} cannot be pinned: ${where} has no image tagged ${tag} ` +
              `(DescribeImages: ${(err as Error).name}). Push it, or give the image by digest.`,
            failureTypes.prerequisite,
          );
        if (isAwsError(err, 'AccessDeniedException'))
          throw ApplicationFailure.nonRetryable(
            `image ${image} cannot be pinned: the worker may not read ${where} ` +
              `(grant ecr:DescribeImages on arn:aws:ecr:${ecr.region}:${ecr.registryId}:repository/${ecr.repository}), ` +
              `or set pinImageDigest: false.`,
            failureTypes.prerequisite,
          );
        throw wrapAwsError(`read the digest of ${image} (ECR DescribeImages)`, err);
      }
    },
  };
}
