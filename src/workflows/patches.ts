// Every patch id the workflows branch on, in the order they were added. A recorded history carries the
// markers of the patches its deployment ran with, so these strings never change. Each one guards one
// change; the old branch it keeps can go (deprecatePatch, then the id) once no deployment started before
// it can still be running or replayed: once the longest a deployment may wait at its gates has passed
// since the release that added it (tests up to 7d, approval up to 30d, a pause without limit: check
// `switchyard status` for deployments older than that), and `test/histories` holds no file recorded before it.

/** Production's rule is written by its ARN in local activities, and independent clean-up steps run side by side. */
export const localTrafficPath = 'local-traffic-path';

/** Staging steps that do not need each other run side by side (one workflow task, not two). */
export const stagingSideBySide = 'staging-side-by-side';

/** Production is read back before teardown: nothing is torn down unless it is all on this deployment. */
export const verifyProductionBeforeTeardown = 'verify-production-before-teardown';

/** A bake counts the intervals its timers complete instead of subtracting clock readings (issue 11). */
export const bakeCountsIntervals = 'bake-counts-intervals';

/**
 * The stage rule (and record) come before the service: ECS refuses a service whose target group no
 * listener or rule forwards to yet ("does not have an associated load balancer").
 */
export const attachBeforeService = 'attach-before-service';

/** A missing prerequisite ends the deployment `failed` as invalid input (exit 1), not rolled back. */
export const prerequisiteFails = 'prerequisite-fails';

/** The stage host's record must be INSYNC (every Route 53 name server has it) before the tests gate. */
export const stageDnsInSync = 'stage-dns-insync';

/**
 * The production record is read before anything is created. One that points elsewhere is refused, or
 * replaced only when the spec says so (hosts.overwriteProductionRecord) and put back on rollback.
 */
export const productionRecordKept = 'production-record-kept';

/** Roles are read with their age, and tasks wait for a role just created to propagate (iamPropagation). */
export const rolePropagation = 'role-propagation';

/**
 * Adopting a live service (issue 14): production's rule is snapshotted and restored exactly on rollback,
 * a rule changed by someone else pauses the deployment, the new service starts at production's count
 * with production's (or the spec's) autoscaling, the production record is written only when it needs to
 * be and the spec manages it, and a service Switchyard did not create is retired as the spec says.
 */
export const adoptLiveService = 'adopt-live-service';

/**
 * The image's tag is pinned to its ECR digest before anything changes (the spec's pinImageDigest), so
 * the revision, its retries and a later rollback to it start that digest wherever the tag moves.
 */
export const pinImageDigest = 'pin-image-digest';

/**
 * Switchyard's execution role may read exactly the secrets and parameters the revision references (one
 * inline policy per deployment, removed by its rollback; once a deployment runs, the others' go).
 */
export const executionRoleReadsSecrets = 'execution-role-reads-secrets';

/**
 * A deployment that rolled back or failed ends as a failed workflow (a typed failure carrying its result),
 * so the web UI, visibility's ExecutionStatus and Temporal's failure metrics tell it from a success.
 */
export const outcomeInWorkflowStatus = 'outcome-in-workflow-status';

/** A spec's `notify:` webhooks are told of its events, each by an activity not awaited by the deployment. */
export const notifications = 'notifications';

/**
 * CodeDeploy mode: once CodeDeploy has succeeded, the deployment is `tearing_down` (a rollback is refused:
 * the original task set is gone) while it keeps only its revision's secret reads, then `active`.
 */
export const codeDeployTearingDown = 'code-deploy-tearing-down';

/**
 * A deployment that is one service of a release (issue 19) holds where the release coordinates: after
 * staging (the release's gates instead of its own), before each lockstep step or its turn in an ordered
 * release, after its drain (teardown once every service has drained), and in a rollback between putting
 * production back and removing what it staged (production first, everywhere). It reports each point.
 */
export const releaseHoldPoints = 'release-hold-points';
