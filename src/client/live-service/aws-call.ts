// Every read `switchyard init` makes says what it tried when AWS refuses or cannot be reached; a refusal
// of what was found is a UserError of its own (exit 1 through src/cli/main.ts).
import { describeCause, UserError } from '../../shared/errors';

export async function reading<T>(what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    if (err instanceof UserError) throw err;
    throw new UserError(`could not ${what}: ${describeCause(err)}`);
  }
}

/** What is not adoptable: what was found, and what to do about it. */
export function refuse(found: string, todo: string): never {
  throw new UserError(`cannot generate a spec: ${found}; ${todo}`);
}
