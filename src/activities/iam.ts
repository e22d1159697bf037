import {
  AttachRolePolicyCommand,
  CreateRoleCommand,
  GetRoleCommand,
  ListAttachedRolePoliciesCommand,
  type IAMClient,
} from '@aws-sdk/client-iam';
import type { Tag } from '../shared/naming';
import { attempt, isAwsError, wrapAwsError } from './errors';

const ecsTasksTrust = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { Service: 'ecs-tasks.amazonaws.com' }, Action: 'sts:AssumeRole' }],
});

export interface EnsureRoleInput {
  name: string;
  /** AWS-managed policies by path and name, e.g. "service-role/AmazonECSTaskExecutionRolePolicy". */
  managedPolicies: string[];
  tags: Tag[];
}

export interface EnsuredRole {
  arn: string;
  /** When IAM created it (epoch ms): a role created moments ago is not usable everywhere yet. */
  createdAt: number;
  /** When this activity last read it (epoch ms): with createdAt, how old the role is, from the history alone. */
  readAt: number;
}

export function createIamActivities(iam: IAMClient) {
  async function getRole(name: string): Promise<Omit<EnsuredRole, 'readAt'> | undefined> {
    try {
      const role = (await iam.send(new GetRoleCommand({ RoleName: name }))).Role;
      return role?.Arn ? { arn: role.Arn, createdAt: role.CreateDate?.getTime() ?? 0 } : undefined;
    } catch (err) {
      if (isAwsError(err, 'NoSuchEntityException', 'NoSuchEntity')) return undefined;
      throw wrapAwsError(`read IAM role ${name}`, err);
    }
  }

  /** The role, created (trusting ECS tasks) when missing, with the managed policies attached. */
  async function ensureRole(input: EnsureRoleInput): Promise<EnsuredRole> {
    let role = await getRole(input.name);
    if (!role) {
      try {
        const out = await iam.send(
          new CreateRoleCommand({
            RoleName: input.name,
            AssumeRolePolicyDocument: ecsTasksTrust,
            Description: 'Created by Switchyard for ECS tasks',
            // An empty list goes out as `Tags=`, which AWS refuses (at least one tag): none is left out.
            Tags: input.tags.length ? input.tags.map((t) => ({ Key: t.key, Value: t.value })) : undefined,
          }),
        );
        role = { arn: out.Role!.Arn!, createdAt: out.Role!.CreateDate?.getTime() ?? Date.now() };
      } catch (err) {
        // A retry after a crash, or a concurrent first deployment, may find it created.
        if (!isAwsError(err, 'EntityAlreadyExistsException', 'EntityAlreadyExists'))
          throw wrapAwsError(`create IAM role ${input.name}`, err);
        role = (await getRole(input.name))!;
      }
    }
    const partition = role.arn.split(':')[1];
    const attached = await attempt(`list policies of IAM role ${input.name}`, () =>
      iam.send(new ListAttachedRolePoliciesCommand({ RoleName: input.name })),
    );
    const have = new Set((attached.AttachedPolicies ?? []).map((p) => p.PolicyArn));
    for (const policy of input.managedPolicies) {
      const policyArn = `arn:${partition}:iam::aws:policy/${policy}`;
      if (have.has(policyArn)) continue;
      await attempt(`attach ${policyArn} to IAM role ${input.name}`, () =>
        iam.send(new AttachRolePolicyCommand({ RoleName: input.name, PolicyArn: policyArn })),
      );
    }
    return { ...role, readAt: Date.now() };
  }

  return {
    ensureRole,
    /** The role's ARN (ensureRole's): what deployments started before `role-propagation` call. */
    async ensureTaskRole(input: EnsureRoleInput): Promise<string> {
      return (await ensureRole(input)).arn;
    },
  };
}
