// The one context a release's modules share: the release (its input), its services as child deployments
// (what each has reported and how it ended), how people steer it, and the scope everything before the
// teardown runs in (a rollback, or a service that fails, cancels it).
import { CancellationScope, type ChildWorkflowHandle } from '@temporalio/workflow';
import type { DeploymentResult } from '../../shared/deployment';
import type {
  ReleaseInput,
  ReleaseReportKind,
  ReleaseService,
  ReleaseServiceStatus,
  ReleaseStatus,
} from '../../shared/release';
import { serviceWorkflowId } from '../../shared/naming';
import type { blueGreenDeployment } from '../blue-green';
import type { Gated, Steering } from '../common/gates';
import { DeploymentTracker } from '../common/tracker';

/** One service of the release: its child deployment as the release knows it. */
export interface ReleaseChild {
  readonly index: number;
  readonly service: ReleaseService;
  /** The service's workflow id: the per-service lock a child holds like any deployment. */
  readonly workflowId: string;
  /** "orders/prod". */
  readonly label: string;
  handle?: ChildWorkflowHandle<typeof blueGreenDeployment>;
  /** The points it has reported reaching. */
  readonly reached: Set<ReleaseReportKind>;
  /** lockstep: how many of the shared plan's steps it has verified. */
  stepsDone: number;
  /** Set once it has ended. */
  result?: DeploymentResult;
  readonly status: ReleaseServiceStatus;
}

export interface ReleaseContext extends Gated {
  readonly input: ReleaseInput;
  readonly releaseId: string;
  readonly children: ReleaseChild[];
  /** Everything before the teardown runs in it: a rollback, or a service failing, cancels it. */
  readonly main: CancellationScope;
  readonly steering: Steering;
  /** Held by `pause` (no service goes past its current step or turn) until `resume` or `promote`. */
  paused: boolean;
  promoted: boolean;
  /** Why the release cannot go on: a service busy at the start, or a service that failed or rolled back. */
  refused?: string;
  failure?: string;
  /** From the rollback on, a service's report of production back is expected, not a failure. */
  rollingBack: boolean;
}

export function createReleaseContext(input: ReleaseInput): ReleaseContext {
  const tracker = new DeploymentTracker({
    deploymentId: input.releaseId,
    service: input.name,
    environment: 'release',
    image: input.services.map((s) => `${s.spec.service}=${s.spec.image}`).join(', '),
    requestedBy: input.requestedBy,
    strategy: 'release',
    releaseId: input.releaseId,
  });
  return {
    input,
    releaseId: input.releaseId,
    tracker,
    status: tracker.status,
    steering: { approved: false, rollback: {} },
    main: new CancellationScope(),
    paused: false,
    promoted: false,
    rollingBack: false,
    children: input.services.map((service, index) => {
      const { spec, deploymentId } = service;
      return {
        index,
        service,
        workflowId: serviceWorkflowId(spec.service, spec.environment),
        label: `${spec.service}/${spec.environment}`,
        reached: new Set(),
        stepsDone: 0,
        status: {
          service: spec.service,
          environment: spec.environment,
          deploymentId,
          workflowId: serviceWorkflowId(spec.service, spec.environment),
          image: spec.image,
          phase: 'pending',
        },
      };
    }),
  };
}

/** What the `status` query returns: the release as a deployment, with each service as last reported. */
export function releaseStatusView(ctx: ReleaseContext): ReleaseStatus {
  return {
    ...ctx.status,
    release: { name: ctx.input.name, mode: ctx.input.mode, services: ctx.children.map((c) => c.status) },
  };
}

/** The services still running (started and not ended). */
export function running(ctx: ReleaseContext): ReleaseChild[] {
  return ctx.children.filter((c) => c.handle && !c.result);
}
