// What a recovery shares across its steps: its input, the report it builds, and how it records what it
// did and removes what it finds (a removal that fails is reported, and the others still run).
import { setCurrentDetails } from '@temporalio/workflow';
import type { RecoveryInput, RecoveryReport } from '../../shared/recovery';
import { describeFailure } from '../common/activities';

export interface Recovery {
  readonly input: RecoveryInput;
  readonly report: RecoveryReport;
  /** Records a step done (the report and the web UI's current details). */
  did(line: string): void;
  /** A removal (idempotent: already gone is fine); when it fails, it is reported and the others still run. */
  remove(what: string, run: () => Promise<unknown>): Promise<void>;
}

export function createRecovery(input: RecoveryInput): Recovery {
  const report: RecoveryReport = { deploymentId: input.deploymentId, production: 'left', actions: [], leftovers: [] };
  const did = (line: string) => {
    report.actions.push(line);
    setCurrentDetails(
      `recovering **${input.spec.service}/${input.spec.environment}** deployment \`${input.deploymentId}\`\n\n${report.actions.join('\n\n')}`,
    );
  };
  const remove = async (what: string, run: () => Promise<unknown>) => {
    try {
      await run();
      did(`gone: ${what}`);
    } catch (err) {
      report.leftovers.push(`${what} (${describeFailure(err)})`);
    }
  };
  return { input, report, did, remove };
}
