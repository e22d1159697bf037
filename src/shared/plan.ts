// `switchyard plan`: what a blue/green deployment of a spec would change, in order, from what is live now.
// The workflow (src/workflows/plan.ts) reads the account; planBlueGreen is the lifecycle of
// src/workflows/blue-green.ts told as AWS writes, each named as AWS will see it. test/e2e/plan.test.ts
// holds it to the writes a real deployment makes on the conformance layer (the emulator's write journal).
import type { DeploymentSpec } from './deployment';
import { resourceNames } from './naming';
import { secretReferences } from './secrets';
import { splitTraffic, trafficPlanOf } from './traffic';

/** The id a plan names the deployment's own resources with: it is chosen when the deployment starts. */
export const newDeploymentId = 'NEWID';

export type PlanPhase = 'staging' | 'traffic' | 'cleanup' | 'teardown';

export interface PlannedChange {
  phase: PlanPhase;
  /** Changes with the same order run side by side (in either order); a higher one runs after. */
  order: number;
  /** The AWS operation: "ECS.CreateService", "ELBv2.ModifyRule"… */
  operation: string;
  /** What it changes, by name: "web-prod-NEWID", "host web.example.com", "UPSERT A stage.web.example.com". */
  subject: string;
  /** A rule's priority and forward weights ("priority 3; web-prod-NEWID=10, web-prod-1a2b3c4d=90"). */
  detail?: string;
  /** Why, in the plan's words. */
  why: string;
}

/** What the plan workflow read of the account. */
export interface LiveState {
  listenerExists: boolean;
  /** The production rule as it is, when there is one. */
  productionRule?: { priority: number; targets: { targetGroup: string; weight: number }[] };
  /** The deployment production forwards to now (Switchyard's), if any. */
  previous?: {
    deploymentId: string;
    targetGroup: string;
    serviceName?: string;
    taskDefinition?: string;
    desiredCount?: number;
  };
  /** The priorities the stage rule and (without one) the production rule would get, or why none. */
  stageRule: { priority: number; exists: boolean } | { problem: string };
  productionRulePriority?: { priority: number; exists: boolean } | { problem: string };
  /** IAM roles Switchyard would create (those that do not exist yet). */
  missingRoles: string[];
  /** The production host's records: none, an alias of the load balancer, or other records (described). */
  productionRecord: 'none' | 'alias' | { elsewhere: string; types: string[] };
}

export interface DeploymentPlan {
  service: string;
  environment: string;
  /** The image the deployment would run (a tag is pinned to its digest when the deployment starts). */
  image: string;
  /** What production serves now. */
  live: string;
  changes: PlannedChange[];
  /** Why the deployment would be refused before any change (then `changes` is empty), if it would. */
  refused?: string;
  /** What the spec does that this plan does not preview, change by change. */
  notPreviewed: string[];
}

/** The blue/green lifecycle as writes: staging, the traffic plan's weights, the stage's cleanup, the teardown. */
export function planBlueGreen(
  spec: DeploymentSpec,
  live: LiveState,
): Pick<DeploymentPlan, 'changes' | 'refused' | 'notPreviewed'> {
  const names = resourceNames(spec, newDeploymentId);
  const { previous } = live;
  const changes: PlannedChange[] = [];
  let order = 0;
  const add = (phase: PlanPhase, operation: string, subject: string, why: string, detail?: string) =>
    changes.push({ phase, order, operation, subject, why, ...(detail ? { detail } : {}) });
  const next = () => (order += 1);

  for (const rule of [live.stageRule, live.productionRulePriority])
    if (rule && 'problem' in rule) return { changes: [], refused: rule.problem, notPreviewed: [] };
  // A record the spec leaves alone (hosts.productionRecord: leave) is neither read nor written.
  const manageRecord = spec.hosts.productionRecord !== 'leave';
  if (
    manageRecord &&
    live.productionRecord !== 'none' &&
    live.productionRecord !== 'alias' &&
    !spec.hosts.overwriteProductionRecord
  )
    return {
      changes: [],
      refused: `${spec.hosts.production} points elsewhere (${live.productionRecord.elsewhere}): set hosts.overwriteProductionRecord: true to replace it`,
      notPreviewed: [],
    };

  // Staging: the revision (with its roles) beside the target group, then the stage host, then the service.
  if (!live.listenerExists)
    add(
      'staging',
      'ELBv2.CreateListener',
      `port ${spec.loadBalancer.listenerPort}`,
      'no listener on the port: an HTTP one answering 404',
    );
  next();
  add('staging', 'ELBv2.CreateTargetGroup', names.targetGroup, 'the new deployment’s target group');
  add(
    'staging',
    'ELBv2.ModifyTargetGroupAttributes',
    names.targetGroup,
    `deregistration delay for a ${spec.drainMs / 1000} s drain`,
  );
  const named = spec.taskDefinition as { taskRoleArn?: string; executionRoleArn?: string };
  for (const role of live.missingRoles) {
    add('staging', 'IAM.CreateRole', role, 'first deployment of the service: the role its tasks run with');
    if (role === names.executionRole) add('staging', 'IAM.AttachRolePolicy', role, 'AmazonECSTaskExecutionRolePolicy');
  }
  if (!named.executionRoleArn && secretReferences(spec.taskDefinition).length)
    add('staging', 'IAM.PutRolePolicy', names.executionRole, 'reads of the secrets the revision names');
  add('staging', 'ECS.RegisterTaskDefinition', names.family, `a revision running ${spec.image}`);
  next();
  const stage = live.stageRule as { priority: number; exists: boolean };
  add(
    'staging',
    'Route53.ChangeResourceRecordSets',
    `UPSERT A ${spec.hosts.stage}`,
    'the stage host, an alias of the load balancer',
  );
  add(
    'staging',
    stage.exists ? 'ELBv2.ModifyRule' : 'ELBv2.CreateRule',
    `host ${spec.hosts.stage}`,
    'the stage host forwards to the new target group, before the service (ECS requires it attached)',
    `${stage.exists ? '' : `priority ${stage.priority}; `}${names.targetGroup}=100`,
  );
  next();
  add('staging', 'ECS.CreateService', names.ecsService, `${spec.desiredCount} task(s) behind ${names.targetGroup}`);

  // Traffic: each setWeight step (an unchanged forward is not written), the production record with the first.
  let written = live.productionRule
    ? live.productionRule.targets.map((t) => `${t.targetGroup}=${t.weight}`).join(', ')
    : undefined;
  let recordPointed = false;
  const weights = trafficPlanOf(spec).steps.flatMap((s) => (s.kind === 'setWeight' ? [s.percent] : []));
  if (weights.at(-1) !== 100) weights.push(100);
  for (const [index, percent] of weights.entries()) {
    const forward = splitTraffic(names.targetGroup, previous?.targetGroup, percent)
      .map((t) => `${t.targetGroupArn}=${t.weight}`)
      .join(', ');
    const step = index === weights.length - 1 && percent === 100 ? 'all of production' : `${percent}% of production`;
    if (forward !== written) {
      next();
      if (written === undefined) {
        const priority = (live.productionRulePriority as { priority: number }).priority;
        add(
          'traffic',
          'ELBv2.CreateRule',
          `host ${spec.hosts.production}`,
          `first deployment: ${step}`,
          `priority ${priority}; ${forward}`,
        );
      } else add('traffic', 'ELBv2.ModifyRule', `host ${spec.hosts.production}`, step, forward);
      written = forward;
    }
    if (!recordPointed) {
      recordPointed = true;
      if (manageRecord && live.productionRecord !== 'alias') {
        next();
        const host = spec.hosts.production;
        const replaced = live.productionRecord === 'none' ? [] : live.productionRecord.types;
        add(
          'traffic',
          'Route53.ChangeResourceRecordSets',
          [...replaced.map((t) => `DELETE ${t} ${host}`), `UPSERT A ${host}`].join('; '),
          replaced.length
            ? 'replaces what the record pointed at, in one change (hosts.overwriteProductionRecord)'
            : 'production’s alias of the load balancer',
        );
      }
    }
  }

  // The stage host goes once production is all on the new deployment.
  next();
  add('cleanup', 'ELBv2.DeleteRule', `host ${spec.hosts.stage}`, 'the stage host is not needed any more');
  add('cleanup', 'Route53.ChangeResourceRecordSets', `DELETE A ${spec.hosts.stage}`, 'the stage host’s record');

  // Teardown of the previous deployment, after the drain.
  if (previous) {
    next();
    if (previous.serviceName) {
      if ((previous.desiredCount ?? 0) > 0)
        add('teardown', 'ECS.UpdateService', previous.serviceName, 'scaled to 0 before it is deleted');
      add('teardown', 'ECS.DeleteService', previous.serviceName, `${previous.deploymentId}’s service`);
    }
    if (previous.taskDefinition)
      add('teardown', 'ECS.DeregisterTaskDefinition', previous.taskDefinition, `${previous.deploymentId}’s revision`);
    next();
    add(
      'teardown',
      'ELBv2.DeleteTargetGroup',
      previous.targetGroup,
      `${previous.deploymentId}’s target group, once no rule forwards to it`,
    );
  }
  return { changes, notPreviewed: notPreviewed(spec) };
}

function notPreviewed(spec: DeploymentSpec): string[] {
  const out: string[] = [];
  if (spec.adopt) out.push('adopt: what happens to the adopted service (adopt.retire) and its autoscaling');
  if (spec.autoScaling)
    out.push('autoScaling: the new service’s scalable target and policies, and the suspensions while traffic moves');
  if (secretReferences(spec.taskDefinition).length)
    out.push('secrets: the execution role’s reads of other deployments’ secrets are revoked once this one is live');
  return out;
}
