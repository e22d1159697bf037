// The names the embedded stack seeds into the emulated account and the demo deploys to.
export const demoAccount = {
  region: 'us-east-1',
  cluster: 'switchyard-demo',
  loadBalancer: 'switchyard-demo',
  listenerPort: 80,
  hostedZone: 'switchyard.test',
} as const;

/** Dummy credentials: the emulator needs some, and must never be given real ones. */
export const emulatorCredentials = { accessKeyId: 'switchyard-dev', secretAccessKey: 'switchyard-dev' } as const;

/** The emulated account's id: moto's default account. */
export const emulatorAccountId = '123456789012';

/**
 * The demo's images, in the emulated account's private ECR registry (seeded by the dev stack, so a
 * deployment can pin the tag to its digest as it would in an account): v1, then v2.
 */
export const demoImages = {
  repository: 'web',
  tags: ['1.27', '1.28'],
  registry: `${emulatorAccountId}.dkr.ecr.${demoAccount.region}.amazonaws.com`,
} as const;

export const demoImageRefs = demoImages.tags.map((t) => `${demoImages.registry}/${demoImages.repository}:${t}`);
