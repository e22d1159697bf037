// The image a revision names: as given, or its tag pinned to the digest ECR holds now (the spec's
// pinImageDigest). Pinned once, before anything changes: the digest is in the history, so the
// registration's retries and a later rollback to the revision start that image wherever the tag moves.
import { patched } from '@temporalio/workflow';
import { isPinned } from '../../shared/images';
import { pinImageDigest } from '../patches';
import { aws } from './activities';
import type { DeploymentTracker } from './tracker';

export async function pinnedImage(
  tracker: DeploymentTracker,
  image: string,
  pin: boolean | undefined,
): Promise<string> {
  if (!pin || !patched(pinImageDigest)) return image;
  if (isPinned(image)) {
    tracker.status.pinnedImage = image;
    return image;
  }
  const resolved = await aws.resolveImageDigest({ image });
  tracker.status.pinnedImage = resolved.pinned;
  tracker.note(`pinned ${image} to ${resolved.digest}: retries and rollbacks start this image wherever the tag moves`);
  return resolved.pinned;
}
