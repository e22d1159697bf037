// ECS rolling deployments as AWS runs them and moto does not: after UpdateService with a new task
// definition, successive DescribeServices show the new PRIMARY deployment beside the old ACTIVE one with
// running counts that ramp, then either one COMPLETED deployment or, for a failing image, a FAILED
// rollout with the circuit-breaker reason and service event AWS writes. Which images fail or stick is the
// scenario's: patterns over each revision's images (for a pinned image, also the tags its digest had).

export interface RolloutScenario {
  /**
   * Rollouts to a task definition with a matching container image fail (circuit breaker). A pinned ECR
   * image (`<registry>/<repository>@sha256:…`) also matches as `<repository>:<tag>` and
   * `<registry>/<repository>:<tag>` for each tag its digest had when the revision was registered.
   */
  failingImages?: RegExp;
  /** Rollouts to a task definition with a matching container image never complete. */
  stuckImages?: RegExp;
  /** Describes a rollout takes to complete or fail (default 3). */
  rolloutDescribes?: number;
}

interface Rollout {
  id: string;
  taskDefinition: string;
  previous?: string;
  describes: number;
  outcome: 'complete' | 'fail' | 'stuck';
  createdAt: number;
}

type Json = Record<string, unknown>;

export class EcsRollouts {
  private images = new Map<string, string[]>();
  private current = new Map<string, string>();
  private rollouts = new Map<string, Rollout>();
  private counter = 0;

  reset(): void {
    this.images.clear();
    this.current.clear();
    this.rollouts.clear();
    this.counter = 0;
  }

  /**
   * RegisterTaskDefinition's answer: which images each revision runs. An image pinned by digest is also
   * known by the tags its digest had in ECR then (`namesOf`): AWS judges the image's content, so a
   * scenario's `^app:bad$` fails a revision naming `…/app@sha256:…` when that digest was tagged `bad`.
   */
  async registered(response: string, namesOf: (image: string) => Promise<string[]> = async () => []): Promise<void> {
    const def = (
      JSON.parse(response) as {
        taskDefinition?: { taskDefinitionArn?: string; containerDefinitions?: { image?: string }[] };
      }
    ).taskDefinition;
    if (!def?.taskDefinitionArn) return;
    const images = (def.containerDefinitions ?? []).map((c) => c.image ?? '');
    const names = await Promise.all(images.map(async (i) => [i, ...(await namesOf(i))]));
    this.images.set(def.taskDefinitionArn, names.flat());
  }

  created(request: string): void {
    const req = JSON.parse(request) as { cluster?: string; serviceName?: string; taskDefinition?: string };
    if (req.serviceName && req.taskDefinition) this.current.set(key(req.cluster, req.serviceName), req.taskDefinition);
  }

  /**
   * UpdateService with a task definition other than the one running starts a rollout, and so does
   * forceNewDeployment with the same one (new tasks of the revision, the old ones replaced).
   */
  updated(request: string, scenario: RolloutScenario): void {
    const req = JSON.parse(request) as {
      cluster?: string;
      service?: string;
      taskDefinition?: string;
      forceNewDeployment?: boolean;
    };
    if (!req.service || !req.taskDefinition) return;
    const k = key(req.cluster, req.service);
    const previous = this.current.get(k);
    if (previous === req.taskDefinition && !req.forceNewDeployment) return;
    this.current.set(k, req.taskDefinition);
    const images = this.images.get(req.taskDefinition) ?? [];
    const matches = (re?: RegExp) => re !== undefined && images.some((i) => re.test(i));
    this.counter += 1;
    this.rollouts.set(k, {
      id: `ecs-svc/${String(1000000000000000000n + BigInt(this.counter))}`,
      taskDefinition: req.taskDefinition,
      previous,
      describes: 0,
      outcome: matches(scenario.failingImages) ? 'fail' : matches(scenario.stuckImages) ? 'stuck' : 'complete',
      createdAt: epochSeconds(),
    });
  }

  /** Rewrites a described service that has a rollout; returns false for services without one. */
  describe(cluster: string | undefined, service: Json, scenario: RolloutScenario): boolean {
    const rollout = this.rollouts.get(key(cluster, String(service.serviceName)));
    if (!rollout) return false;
    const needed = scenario.rolloutDescribes ?? 3;
    rollout.describes = Math.min(rollout.describes + 1, needed);
    const desired = Number(service.desiredCount ?? 0);
    const finished = rollout.describes >= needed;
    const deployment = (
      status: string,
      taskDefinition: string,
      running: number,
      state: string,
      reason?: string,
    ): Json => ({
      id: status === 'PRIMARY' ? rollout.id : `${rollout.id}-previous`,
      status,
      taskDefinition,
      desiredCount: desired,
      runningCount: running,
      pendingCount: desired - running,
      failedTasks: state === 'FAILED' ? desired : 0,
      rolloutState: state,
      rolloutStateReason:
        reason ?? (state === 'COMPLETED' ? 'ECS deployment completed.' : 'ECS deployment in progress.'),
      createdAt: rollout.createdAt,
      updatedAt: epochSeconds(),
      launchType: 'FARGATE',
    });
    service.taskDefinition = rollout.taskDefinition;
    if (rollout.outcome === 'complete' && finished) {
      service.deployments = [deployment('PRIMARY', rollout.taskDefinition, desired, 'COMPLETED')];
      service.runningCount = desired;
      service.pendingCount = 0;
      return true;
    }
    const failed = rollout.outcome === 'fail' && finished;
    const ramp = rollout.outcome === 'complete' ? Math.floor((desired * rollout.describes) / needed) : 0;
    const primary = failed
      ? deployment(
          'PRIMARY',
          rollout.taskDefinition,
          0,
          'FAILED',
          'ECS deployment circuit breaker: tasks failed to start.',
        )
      : deployment('PRIMARY', rollout.taskDefinition, ramp, 'IN_PROGRESS');
    const old = rollout.previous ? [deployment('ACTIVE', rollout.previous, desired - ramp, 'COMPLETED')] : [];
    service.deployments = [primary, ...old];
    service.runningCount = desired;
    service.pendingCount = 0;
    if (failed) {
      const event = {
        id: `${rollout.id}-failed`,
        createdAt: epochSeconds(),
        message: `(service ${String(service.serviceName)}) (deployment ${rollout.id}) deployment failed: tasks failed to start.`,
      };
      service.events = [event, ...((service.events as Json[] | undefined) ?? [])];
    }
    return true;
  }
}

/** AWS JSON protocols carry timestamps as epoch seconds. */
function epochSeconds(): number {
  return Date.now() / 1000;
}

function key(cluster: string | undefined, service: string): string {
  const name = service.split('/').pop()!;
  return `${(cluster ?? 'default').split('/').pop()}/${name}`;
}
