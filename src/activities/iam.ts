import {
  AttachRolePolicyCommand,
  CreateRoleCommand,
  DeleteRolePolicyCommand,
  GetRoleCommand,
  GetRolePolicyCommand,
  ListAttachedRolePoliciesCommand,
  ListRolePoliciesCommand,
  PutRolePolicyCommand,
  type IAMClient,
} from '@aws-sdk/client-iam';
import { ApplicationFailure } from '@temporalio/common';
import { failureTypes } from '../shared/failures';
import type { Tag } from '../shared/naming';
import { secretReadsPolicy, secretReadsPolicyPrefix } from '../shared/secrets';
import { attempt, isAwsError, wrapAwsError } from './errors';

export const ecsTasksTrust = JSON.stringify({
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

/** Where the roles Switchyard creates live: the worker's policy may create and change roles only here. */
export const rolePath = '/switchyard/';

export interface IamOptions {
  /**
   * The permissions boundary of every role Switchyard creates (the worker's policy allows creating a
   * role only with it): the ARN, resolved once per worker (its account from STS).
   */
  roleBoundary: () => Promise<string>;
}

export function createIamActivities(iam: IAMClient, options: IamOptions) {
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
      const boundary = await options.roleBoundary();
      try {
        const out = await iam.send(
          new CreateRoleCommand({
            RoleName: input.name,
            Path: rolePath,
            AssumeRolePolicyDocument: ecsTasksTrust,
            Description: 'Created by Switchyard for ECS tasks',
            PermissionsBoundary: boundary,
            // An empty list goes out as `Tags=`, which AWS refuses (at least one tag): none is left out.
            Tags: input.tags.length ? input.tags.map((t) => ({ Key: t.key, Value: t.value })) : undefined,
          }),
        );
        role = { arn: out.Role!.Arn!, createdAt: out.Role!.CreateDate?.getTime() ?? Date.now() };
      } catch (err) {
        // A retry after a crash, or a concurrent first deployment, may find it created.
        if (isAwsError(err, 'NoSuchEntityException', 'NoSuchEntity'))
          throw ApplicationFailure.nonRetryable(
            `cannot create IAM role ${input.name}: its permissions boundary ${boundary} does not exist. ` +
              `Create it once (aws iam create-policy --path /switchyard/ --policy-name task-role-boundary ` +
              `--policy-document file://examples/iam/task-role-boundary.json), or point SWITCHYARD_ROLE_BOUNDARY at yours.`,
            failureTypes.prerequisite,
          );
        if (!isAwsError(err, 'EntityAlreadyExistsException', 'EntityAlreadyExists'))
          throw wrapAwsError(`create IAM role ${input.name} with permissions boundary ${boundary}`, err);
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

  /** The role's inline policies; none when the role is gone. */
  async function inlinePolicies(role: string): Promise<string[]> {
    try {
      return (await iam.send(new ListRolePoliciesCommand({ RoleName: role }))).PolicyNames ?? [];
    } catch (err) {
      if (isAwsError(err, 'NoSuchEntityException', 'NoSuchEntity')) return [];
      throw wrapAwsError(`list inline policies of IAM role ${role}`, err);
    }
  }

  async function deleteInlinePolicy(role: string, policyName: string): Promise<void> {
    try {
      await iam.send(new DeleteRolePolicyCommand({ RoleName: role, PolicyName: policyName }));
    } catch (err) {
      if (!isAwsError(err, 'NoSuchEntityException', 'NoSuchEntity'))
        throw wrapAwsError(`delete inline policy ${policyName} of IAM role ${role}`, err);
    }
  }

  return {
    ensureRole,

    /**
     * Lets the execution role read exactly the secrets and parameters a deployment's task definition
     * references (one inline policy per deployment: the live deployment's tasks keep reading theirs until
     * it is torn down). Written only when it differs from what the role has.
     */
    /** The role's ARN and creation date, or undefined when IAM has no such role (reads only). */
    findRole: (input: { name: string }) => getRole(input.name),

    async grantSecretReads(input: { role: string; deploymentId: string; valueFroms: string[] }): Promise<void> {
      const policyName = `${secretReadsPolicyPrefix}${input.deploymentId}`;
      const document = JSON.stringify(secretReadsPolicy(input.valueFroms));
      try {
        const have = await iam.send(new GetRolePolicyCommand({ RoleName: input.role, PolicyName: policyName }));
        if (have.PolicyDocument && JSON.stringify(JSON.parse(decodeURIComponent(have.PolicyDocument))) === document)
          return;
      } catch (err) {
        if (!isAwsError(err, 'NoSuchEntityException', 'NoSuchEntity'))
          throw wrapAwsError(`read inline policy ${policyName} of IAM role ${input.role}`, err);
      }
      await attempt(
        `let IAM role ${input.role} read ${input.valueFroms.length} secret(s) and parameter(s) (inline policy ${policyName})`,
        () =>
          iam.send(
            new PutRolePolicyCommand({ RoleName: input.role, PolicyName: policyName, PolicyDocument: document }),
          ),
      );
    },

    /**
     * Removes secret reads from the role: this deployment's (its undo), or, once a deployment is the one
     * running, every other deployment's (`keep`). Already gone is fine.
     */
    async revokeSecretReads(input: { role: string } & ({ deploymentId: string } | { keep: string })): Promise<void> {
      if ('deploymentId' in input)
        return deleteInlinePolicy(input.role, `${secretReadsPolicyPrefix}${input.deploymentId}`);
      const names = await inlinePolicies(input.role);
      const keep = `${secretReadsPolicyPrefix}${input.keep}`;
      for (const name of names)
        if (name.startsWith(secretReadsPolicyPrefix) && name !== keep) await deleteInlinePolicy(input.role, name);
    },
    /** The role's ARN (ensureRole's): what deployments started before `role-propagation` call. */
    async ensureTaskRole(input: EnsureRoleInput): Promise<string> {
      return (await ensureRole(input)).arn;
    },
  };
}
