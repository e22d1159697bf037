// The IAM roles a revision's tasks run with. IAM is eventually consistent: ECS cannot assume a role for a
// task until it has propagated, and tasks started before then fail to start, each failure counting
// towards the deployment circuit breaker. So a role IAM created moments ago (only a service's first
// deployment creates them) is given the rest of the spec's iamPropagation before tasks start with it.
import { patched, sleep } from '@temporalio/workflow';
import type { EnsureRoleInput } from '../../activities/iam';
import { formatDuration } from '../../shared/duration';
import { rolePropagation } from '../patches';
import { aws } from './activities';
import type { DeploymentTracker } from './tracker';

/** What the spec's iamPropagation says when a deployment started before it existed. */
const defaultPropagationMs = 10_000;

export class TaskRoles {
  /** A timer per role still propagating, started as soon as its age is known (so it runs beside staging). */
  private readonly timers: Promise<void>[] = [];
  /**
   * Switchyard's execution role, when the revision runs with it: once the deployment runs, other
   * deployments' secret reads go from it (since execution-role-reads-secrets).
   */
  secretReadsOn?: string;

  constructor(
    private readonly tracker: DeploymentTracker,
    private readonly propagationMs = defaultPropagationMs,
  ) {}

  /** The role's ARN; created (trusting ECS tasks) when missing. */
  async ensure(input: EnsureRoleInput): Promise<string> {
    if (!patched(rolePropagation)) return aws.ensureTaskRole(input);
    const role = await aws.ensureRole(input);
    // Its age from the activity's result alone, never from the workflow's clock: a workflow task's time
    // differs between executions of it, and what it decides here must replay the same.
    const left = role.createdAt + this.propagationMs - role.readAt;
    if (left > 0) {
      this.tracker.note(
        `IAM role ${input.name} was just created: giving it ${formatDuration(left)} to propagate before tasks use it`,
      );
      const timer = sleep(left, { summary: `IAM role ${input.name} propagation` });
      // Awaited by propagated(); a rollback may cancel it before anything awaits it.
      timer.catch(() => undefined);
      this.timers.push(timer);
    }
    return role.arn;
  }

  /** Once this deployment runs: the execution role reads only its secrets, no other deployment's. */
  async keepOnlySecretReadsOf(deploymentId: string): Promise<void> {
    if (this.secretReadsOn) await aws.revokeSecretReads({ role: this.secretReadsOn, keep: deploymentId });
  }

  /** Before ECS starts tasks with the roles: waits for the rest of their propagation (durable timers). */
  async propagated(): Promise<void> {
    await Promise.all(this.timers);
  }
}
