// The deployment's status as the `status` query, the web UI (current details, search attributes) and
// the history of steps show it. Kept inside the workflow function's state.
import { log, setCurrentDetails, upsertSearchAttributes } from '@temporalio/workflow';
import {
  deployedImage,
  isCodeDeploy,
  isRolling,
  isTerminal,
  type AnySpec,
  type DeploymentInput,
  type DeploymentStatus,
  type Phase,
} from '../../shared/deployment';
import { searchAttributes } from '../../shared/naming';
import { deploymentMetrics, type Strategy } from './metrics';
import { Notifier } from './notifier';

/** What a tracker follows: a deployment (trackedDeployment), or a release of several. */
export interface TrackedSubject {
  deploymentId: string;
  service: string;
  environment: string;
  image: string;
  requestedBy: string;
  strategy: Strategy;
  notify?: AnySpec['notify'];
  releaseId?: string;
}

/** A deployment as its tracker follows it. */
export function trackedDeployment(input: DeploymentInput<AnySpec>): TrackedSubject {
  const { spec } = input;
  return {
    deploymentId: input.deploymentId,
    service: spec.service,
    environment: spec.environment,
    image: deployedImage(spec),
    requestedBy: input.requestedBy,
    strategy: isRolling(spec) ? 'rolling' : isCodeDeploy(spec) ? 'code_deploy' : 'blue_green',
    notify: spec.notify,
    releaseId: input.release?.releaseId,
  };
}

export class DeploymentTracker {
  readonly status: DeploymentStatus;
  readonly strategy: Strategy;
  /** The spec's webhooks, told of the phases entered here and of what the strategy reports. */
  readonly notifier: Notifier;
  /** When the current phase began and the rollback started (workflow time, for metrics only). */
  private phaseSince = Date.now();
  private rollbackSince?: number;

  constructor(subject: TrackedSubject) {
    this.strategy = subject.strategy;
    deploymentMetrics.started(this.strategy);
    const now = new Date().toISOString();
    this.status = {
      deploymentId: subject.deploymentId,
      service: subject.service,
      environment: subject.environment,
      image: subject.image,
      phase: 'pending',
      startedAt: now,
      updatedAt: now,
      requestedBy: subject.requestedBy,
      ...(subject.releaseId ? { releaseId: subject.releaseId } : {}),
      resources: {},
      leftovers: [],
      history: [],
    };
    this.notifier = new Notifier(subject.notify, this.status);
  }

  get phase(): Phase {
    return this.status.phase;
  }

  enter(phase: Phase, note: string, waitingFor?: string): void {
    if (phase !== this.status.phase) {
      deploymentMetrics.leftPhase(this.strategy, this.status.phase, secondsSince(this.phaseSince));
      this.phaseSince = Date.now();
    }
    if (phase === 'rolling_back') this.rollbackSince = Date.now();
    if (isTerminal(phase)) deploymentMetrics.ended(this.strategy, phase);
    this.status.phase = phase;
    this.status.waitingFor = waitingFor;
    this.note(note);
    upsertSearchAttributes([{ key: searchAttributes.phase, value: phase }]);
    this.showDetails();
    this.announce(phase, note);
  }

  /** The phases a webhook hears of, with what answers a gate. */
  private announce(phase: Phase, note: string): void {
    const s = this.status;
    const id = s.deploymentId;
    if (phase === 'awaiting_tests')
      this.notifier.send(phase, note, {
        commands: [`switchyard tests-passed ${id}`, `switchyard tests-failed ${id} --reason "..."`],
      });
    else if (phase === 'awaiting_approval')
      this.notifier.send(phase, note, { commands: [`switchyard approve ${id}`, `switchyard rollback ${id}`] });
    else if (phase === 'active') this.notifier.send(phase, note);
    else if (phase === 'rolled_back')
      this.notifier.send(phase, note, {
        reason: s.reason,
        ...(s.rollbackRequestedBy ? { by: s.rollbackRequestedBy } : {}),
      });
    else if (phase === 'failed') this.notifier.send(phase, note, { reason: s.reason, leftovers: s.leftovers });
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

  /** A rollback's undos no longer leave production on this deployment (its traffic or revision is put back). */
  productionSafe(): void {
    if (this.rollbackSince !== undefined)
      deploymentMetrics.safeAfterRollback(this.strategy, secondsSince(this.rollbackSince));
    this.rollbackSince = undefined;
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

/** Elapsed workflow time for a metric. Never for a decision: it differs between executions of a task. */
function secondsSince(ms: number): number {
  // eslint-disable-next-line no-restricted-syntax
  return (Date.now() - ms) / 1000;
}
