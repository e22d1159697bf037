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
