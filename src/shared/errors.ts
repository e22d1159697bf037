// The CLI's one errors module: every failure a user can act on is a UserError with one clear line.
// The entry point (src/cli/main.ts) catches once and maps to exit codes.

export const ExitCode = { ok: 0, failed: 1, rolledBack: 2 } as const;

export class UserError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = ExitCode.failed,
  ) {
    super(message);
    this.name = 'UserError';
  }
}

/** Why a call failed, in one line: the network error code when there is one, else the message's first line. */
export function describeCause(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const code = (err as { code?: unknown }).code;
  const nested = (err as { cause?: unknown }).cause;
  if (typeof code === 'string' && /^E[A-Z]+$/.test(code)) return code;
  if (nested instanceof Error) return describeCause(nested);
  return err.message.split('\n')[0];
}
