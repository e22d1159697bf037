// The deployment's status as the `status` query, the web UI (current details, search attributes) and
// the history of steps show it. Kept inside the workflow function's state.
import { log, setCurrentDetails, upsertSearchAttributes } from '@temporalio/workflow';
import {
  deployedImage,
  type AnySpec,
  type DeploymentInput,
  type DeploymentStatus,
  type Phase,
} from '../../shared/deployment';
import { searchAttributes } from '../../shared/naming';

export class DeploymentTracker {
  readonly status: DeploymentStatus;

  constructor(input: DeploymentInput<AnySpec>) {
    const now = new Date().toISOString();
    this.status = {
      deploymentId: input.deploymentId,
      service: input.spec.service,
      environment: input.spec.environment,
      image: deployedImage(input.spec),
      phase: 'pending',
      startedAt: now,
      updatedAt: now,
      requestedBy: input.requestedBy,
      resources: {},
      leftovers: [],
      history: [],
    };
  }

  get phase(): Phase {
    return this.status.phase;
  }

  enter(phase: Phase, note: string, waitingFor?: string): void {
    this.status.phase = phase;
    this.status.waitingFor = waitingFor;
    this.note(note);
    upsertSearchAttributes([{ key: searchAttributes.phase, value: phase }]);
    this.showDetails();
  }

  /** A wait within the phase (a bake, a pause): shown as what the deployment waits for. */
  waiting(note: string, waitingFor: string): void {
    this.status.waitingFor = waitingFor;
    this.note(note);
  }

  note(note: string): void {
    const at = new Date().toISOString();
    this.status.updatedAt = at;
    this.status.history.push({ at, phase: this.status.phase, note });
    log.info(note, { deploymentId: this.status.deploymentId, phase: this.status.phase });
    this.showDetails();
  }

  /** A message that makes no sense now: recorded, not acted on. */
  ignored(message: string, why: string): void {
    this.note(`ignored ${message}: ${why}`);
  }

  private showDetails(): void {
    const s = this.status;
    const lines = [
      `**${s.service}/${s.environment}** deployment \`${s.deploymentId}\` of \`${s.image}\``,
      `phase: **${s.phase}**${s.waitingFor ? ` — waiting for ${s.waitingFor}` : ''}`,
      s.previous ? `previous deployment: \`${s.previous.deploymentId}\`` : 'first deployment of this service',
      `last step: ${s.history.at(-1)?.note ?? ''}`,
    ];
    setCurrentDetails(lines.join('\n\n'));
  }
}
