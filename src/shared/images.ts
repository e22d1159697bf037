// Container image references, read as Docker and ECS read them:
// `[registry[:port]/]repository[/...][:tag][@sha256:<64 hex>]`. Pure (no I/O, no Node imports): the
// workflows import it to decide whether an image still needs pinning.

export interface ImageReference {
  /** The registry host (and port): the first path component when it holds a dot or a colon, or is localhost. */
  registry?: string;
  /** The repository's path within the registry: `web`, `team/web`, `library/nginx`. */
  repository: string;
  tag?: string;
  /** `sha256:<64 hex>` */
  digest?: string;
}

export interface EcrImage extends ImageReference {
  registry: string;
  /** The registry's account: ECR's registryId. */
  registryId: string;
  region: string;
}

const digestPattern = /^sha256:[a-f0-9]{64}$/;

/** The reference's parts, or undefined for what no registry would take (empty parts, a bad digest). */
export function parseImageReference(ref: string): ImageReference | undefined {
  let rest = ref.trim();
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!digestPattern.test(digest)) return undefined;
  }
  const parts = rest.split('/');
  // Docker's rule (distribution/reference): the first component is a registry host when it has a dot or
  // a port, or is localhost; `web/api` is a repository on Docker Hub.
  const registry = parts.length > 1 && (/[.:]/.test(parts[0]) || parts[0] === 'localhost') ? parts.shift() : undefined;
  let tag: string | undefined;
  const last = parts[parts.length - 1] ?? '';
  const colon = last.lastIndexOf(':');
  if (colon >= 0) {
    tag = last.slice(colon + 1);
    parts[parts.length - 1] = last.slice(0, colon);
    if (!/^\w[\w.-]{0,127}$/.test(tag)) return undefined;
  }
  if (parts.some((p) => p === '') || registry === '') return undefined;
  return { registry, repository: parts.join('/'), tag, digest };
}

// A private registry's host names, as AWS documents them:
// - `<account>.dkr.ecr.<region>.amazonaws.com` (`.amazonaws.com.cn` in China), "The URL for your default
//   private registry" (https://docs.aws.amazon.com/AmazonECR/latest/userguide/Registries.html);
// - `<account>.dkr.ecr-fips.<region>.amazonaws.com`, the FIPS endpoints
//   (https://docs.aws.amazon.com/general/latest/gr/ecr.html);
// - `<registry-id>.dkr-ecr.<region>.on.aws`, the dual-stack (IPv6) endpoint for OCI and Docker clients
//   (https://docs.aws.amazon.com/AmazonECR/latest/userguide/ecr-requests.html).
const ecrHosts = [
  /^(\d{12})\.dkr\.ecr(?:-fips)?\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?$/,
  /^(\d{12})\.dkr-ecr\.([a-z0-9-]+)\.on\.aws$/,
];

/** The reference's ECR coordinates when it names a private ECR registry; undefined for any other registry. */
export function ecrImageOf(ref: string): EcrImage | undefined {
  const parsed = parseImageReference(ref);
  if (!parsed?.registry) return undefined;
  for (const host of ecrHosts) {
    const match = host.exec(parsed.registry.toLowerCase());
    if (match) return { ...parsed, registry: parsed.registry, registryId: match[1], region: match[2] };
  }
  return undefined;
}

/**
 * The image by digest, without its tag: ECS takes `repository-url/image@digest` ("Images in Amazon ECR
 * repositories can be specified by either using the full registry/repository:tag or
 * registry/repository@digest", ContainerDefinition.image,
 * https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_ContainerDefinition.html).
 */
export function pinnedImage(ref: string, digest: string): string {
  const parsed = parseImageReference(ref);
  if (!parsed) throw new Error(`not a container image reference: ${ref}`);
  if (!digestPattern.test(digest)) throw new Error(`not a sha256 digest: ${digest}`);
  return `${parsed.registry ? `${parsed.registry}/` : ''}${parsed.repository}@${digest}`;
}

/** Whether the reference names its image by digest (ECS then runs exactly that image, whatever the tags say). */
export function isPinned(ref: string): boolean {
  return parseImageReference(ref)?.digest !== undefined;
}
