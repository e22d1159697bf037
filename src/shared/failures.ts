// The failure types (ApplicationFailure's `type`) that activities throw and workflows branch on, in one
// place. The strings are part of recorded histories and of retry policies (nonRetryableErrorTypes): they
// never change.
export const failureTypes = {
  /** Something the deployment needs is missing or taken: invalid input, nothing was tried. */
  prerequisite: 'Prerequisite',
  /** A rollback for a reason that is not an error (a gate's timeout, tests failed, a request). */
  rollback: 'Rollback',
  /** The production rule did not read back as written. */
  trafficNotVerified: 'TrafficNotVerified',
  /** A wait saw its resource fail (a rollout FAILED, targets unhealthy). */
  waitFailed: 'WaitFailed',
  /** A wait ran out of time. */
  deadlineExceeded: 'DeadlineExceeded',
  /** A weighted forward ELB would refuse (checked before the call). */
  invalidForward: 'InvalidForward',
  /** No free rule priority on the listener. */
  noRulePriority: 'NoRulePriority',
  /** The rule addressed by ARN is gone. */
  ruleNotFound: 'RuleNotFound',
  /** The production rule is not as Switchyard last wrote or read it: someone else changed it. */
  ruleChanged: 'RuleChanged',
  /** The workflow's own failure when its deployment rolled back; details[0] is its DeploymentResult. */
  deploymentRolledBack: 'DeploymentRolledBack',
  /** The workflow's own failure when its deployment failed; details[0] is its DeploymentResult. */
  deploymentFailed: 'DeploymentFailed',
  /** A message (an Update) that makes no sense in the deployment's phase: rejected, never in the history. */
  messageRefused: 'MessageRefused',
} as const;
