import fs from 'node:fs';

export default async function globalTeardown(): Promise<void> {
  const state = globalThis.switchyardHarness;
  if (!state) return;
  await Promise.all([...state.environments.map((env) => env.teardown()), state.stopMoto?.()]);
  fs.rmSync(state.tmpDir, { recursive: true, force: true });
}
