// The saga: each side effect pushes its undo before it runs (undos are idempotent and tolerate "already
// gone", so one for a step that never happened is harmless); on failure or rollback the undos run newest
// first, each retried by its activity's policy, one failure not stopping the others.
import { CancellationScope, log } from '@temporalio/workflow';

interface Undo {
  label: string;
  run: () => Promise<void>;
  /** It takes production off the deployment (traffic, rule or revision put back). */
  restoresProduction?: boolean;
}

export class CompensationStack {
  private undos: Undo[] = [];
  /** Set by an undo that finds production has moved past the ones still to run (they would harm it). */
  private haltedBecause?: string;

  push(label: string, run: () => Promise<void>, options: { restoresProduction?: boolean } = {}): void {
    this.undos.unshift({ label, run, ...options });
  }

  /**
   * The undos not run yet are skipped, each noted with why: production now runs what they would remove
   * (a CodeDeploy deployment that succeeded before its stop). Only an undo calls it, during runAll.
   */
  haltRemaining(why: string): void {
    this.haltedBecause = why;
  }

  /** Forgets an undo whose work was done forward (e.g. the stage rule removed at activation). */
  drop(label: string): void {
    this.undos = this.undos.filter((u) => u.label !== label);
  }

  /**
   * Runs every undo, newest first, shielded from cancellation. Returns the labels that failed.
   * `onProductionSafe` hears when every undo that restores production has succeeded (at once if none).
   */
  async runAll(onStep: (label: string) => void, onProductionSafe: () => void = () => undefined): Promise<string[]> {
    const failed: string[] = [];
    let restoring = this.undos.filter((u) => u.restoresProduction).length;
    if (restoring === 0) onProductionSafe();
    await CancellationScope.nonCancellable(async () => {
      for (const undo of this.undos) {
        if (this.haltedBecause) {
          onStep(`${undo.label}: kept (${this.haltedBecause})`);
          continue;
        }
        onStep(undo.label);
        try {
          await undo.run();
          if (undo.restoresProduction && --restoring === 0) onProductionSafe();
        } catch (err) {
          log.error('compensation failed', { undo: undo.label, error: String(err) });
          failed.push(undo.label);
        }
      }
    });
    this.undos = [];
    this.haltedBecause = undefined;
    return failed;
  }
}
