/**
 * The first value `read` gives that is not undefined, read every `everyMs` until `timeoutMs` passes (then an
 * error naming `what`). For what AWS shows only after a while: a service just created is MISSING from
 * DescribeServices for a few seconds, in AWS as in the emulator.
 */
export async function eventually<T>(
  what: string,
  read: () => Promise<T | undefined>,
  { timeoutMs = 15_000, everyMs = 100 }: { timeoutMs?: number; everyMs?: number } = {},
): Promise<T> {
  for (const deadline = Date.now() + timeoutMs; ; await new Promise((r) => setTimeout(r, everyMs))) {
    const value = await read();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what} never showed within ${timeoutMs} ms`);
  }
}
