// Container image references, as Docker and ECS read them: [registry[:port]/]repository[:tag][@digest].
// Pure, and safe to import from workflow code.

export interface ImageReference {
  registry?: string;
  repository: string;
  tag?: string;
  digest?: string;
}

/** A private ECR image: the registry is an account's, in one region. */
export interface EcrImage extends ImageReference {
  registry: string;
  registryId: string;
  region: string;
}

const digestPattern = /@(sha256:[a-f0-9]{64})$/;

export function parseImage(ref: string): ImageReference {
  const digest = digestPattern.exec(ref)?.[1];
  let rest = digest ? ref.slice(0, -digest.length - 1) : ref;
  const slash = rest.indexOf('/');
  const first = slash === -1 ? '' : rest.slice(0, slash);
  // Docker's rule: the first component is a registry when it has a dot or a port, or is localhost.
  const registry = first && (first.includes('.') || first.includes(':') || first === 'localhost') ? first : undefined;
  if (registry) rest = rest.slice(slash + 1);
  const colon = rest.lastIndexOf(':');
  const tag = colon === -1 ? undefined : rest.slice(colon + 1);
  const repository = colon === -1 ? rest : rest.slice(0, colon);
  return { ...(registry ? { registry } : {}), repository, ...(tag ? { tag } : {}), ...(digest ? { digest } : {}) };
}

// Private registries: <account>.dkr.ecr.<region>.amazonaws.com (.com.cn in China), and the FIPS form.
// https://docs.aws.amazon.com/AmazonECR/latest/userguide/Registries.html
const ecrHost = /^(\d{12})\.dkr\.ecr(?:-fips)?\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?$/;

export function ecrImageOf(ref: string): EcrImage | undefined {
  const image = parseImage(ref);
  const host = image.registry && ecrHost.exec(image.registry);
  if (!host) return undefined;
  return { ...image, registry: image.registry!, registryId: host[1], region: host[2] };
}

export function isPinned(ref: string): boolean {
  return digestPattern.test(ref);
}

/**
 * The reference by digest, the tag dropped: ECS takes `repository-url/image@digest`.
 * https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_ContainerDefinition.html
 */
export function pinnedImage(ref: string, digest: string): string {
  const image = parseImage(ref);
  return `${image.registry ? `${image.registry}/` : ''}${image.repository}@${digest}`;
}
