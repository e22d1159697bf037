// The CLI's one errors module: every failure a user can act on is a UserError with one clear line.
// The entry point (src/cli/main.ts) catches once and maps to exit codes.

export const ExitCode = { ok: 0, failed: 1, rolledBack: 2, timedOut: 124 } as const;

export class UserError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = ExitCode.failed,
  ) {
    super(message);
    this.name = 'UserError';
  }
}

const networkCode = /\b(ECONNREFUSED|ECONNRESET|ENOTFOUND|ETIMEDOUT|EAI_AGAIN|EHOSTUNREACH|ENETUNREACH)\b/;

/**
 * Why a call failed, in one line: the network error code when there is one, else the first line of the
 * message. Duck-typed: errors from another realm (the AWS SDK wraps those) fail `instanceof Error`.
 */
export function describeCause(err: unknown): string {
  const e = (typeof err === 'object' && err !== null ? err : {}) as {
    code?: unknown;
    message?: unknown;
    cause?: unknown;
  };
  if (typeof e.code === 'string' && networkCode.test(e.code)) return e.code;
  const message = typeof e.message === 'string' ? e.message : String(err);
  const code = networkCode.exec(message);
  if (code) return code[1];
  if (e.cause) return describeCause(e.cause);
  return message.split('\n')[0];
}
