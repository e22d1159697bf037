// The saga: each side effect pushes its undo before it runs (undos are idempotent and tolerate "already
// gone", so one for a step that never happened is harmless); on failure or rollback the undos run newest
// first, each retried by its activity's policy, one failure not stopping the others.
import { CancellationScope, log } from '@temporalio/workflow';

interface Undo {
  label: string;
  run: () => Promise<void>;
}

export class CompensationStack {
  private undos: Undo[] = [];

  push(label: string, run: () => Promise<void>): void {
    this.undos.unshift({ label, run });
  }

  /** Forgets an undo whose work was done forward (e.g. the stage rule removed at activation). */
  drop(label: string): void {
    this.undos = this.undos.filter((u) => u.label !== label);
  }

  /** Runs every undo, newest first, shielded from cancellation. Returns the labels that failed. */
  async runAll(onStep: (label: string) => void): Promise<string[]> {
    const failed: string[] = [];
    await CancellationScope.nonCancellable(async () => {
      for (const undo of this.undos) {
        onStep(undo.label);
        try {
          await undo.run();
        } catch (err) {
          log.error('compensation failed', { undo: undo.label, error: String(err) });
          failed.push(undo.label);
        }
      }
    });
    this.undos = [];
    return failed;
  }
}
