// ECS's rule at task start that moto skips: the task execution role must be allowed to read every secret
// and parameter the task definition references (container `secrets`, log `secretOptions`,
// `repositoryCredentials`), or the task stops with ResourceInitializationError ("unable to pull secrets or
// registry auth: execution resource retrieval failed: ... AccessDeniedException"). moto starts it anyway.
// https://docs.aws.amazon.com/AmazonECS/latest/developerguide/secrets-envvar-secrets-manager.html (required IAM permissions)
// https://docs.aws.amazon.com/AmazonECS/latest/developerguide/secrets-envvar-ssm-paramstore.html
// https://docs.aws.amazon.com/AmazonECS/latest/developerguide/resource-initialization-error.html
// The role is evaluated as IAM does (../iam-policy.ts): its inline and attached policies, within its
// permissions boundary. Read straight from moto, neither counted nor throttled.
import { DescribeTaskDefinitionCommand, type ContainerDefinition, type ECSClient } from '@aws-sdk/client-ecs';
import {
  GetPolicyCommand,
  GetPolicyVersionCommand,
  GetRoleCommand,
  GetRolePolicyCommand,
  ListAttachedRolePoliciesCommand,
  ListRolePoliciesCommand,
  type IAMClient,
} from '@aws-sdk/client-iam';
import { secretReferences } from '../../../shared/secrets';
import type { TaskDefinitionSpec } from '../../../shared/deployment';
import { decideAsRole, type Policy, type Request } from '../iam-policy';

export class SecretReads {
  constructor(private readonly account: { ecs: ECSClient; iam: IAMClient }) {}

  /** Why tasks of the revision would fail to start (none: they start, or it references no secret). */
  async unreadable(taskDefinition: string): Promise<string | undefined> {
    const def = (await this.account.ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition }))).taskDefinition;
    if (!def?.containerDefinitions) return undefined;
    const references = secretReferences({
      containerDefinitions: def.containerDefinitions as (ContainerDefinition & { name: string })[],
    } as TaskDefinitionSpec);
    if (!references.length) return undefined;
    const role = def.executionRoleArn;
    if (!role)
      return `tasks of ${def.taskDefinitionArn} reference ${references.join(', ')} but name no execution role to read them with`;
    const where = arnParts(def.taskDefinitionArn ?? '');
    const { policies, boundary } = await this.policiesOf(role.split('/').pop()!);
    const denied = references
      .map((valueFrom) => readRequest(valueFrom, where))
      .filter((request) => {
        try {
          return decideAsRole(policies, boundary, request) !== 'allowed';
        } catch {
          return false; // a condition operator the evaluator does not know: not judged
        }
      });
    if (!denied.length) return undefined;
    return (
      `tasks of ${def.taskDefinitionArn} would stop with ResourceInitializationError: execution role ${role} ` +
      `may not ${denied.map((r) => `${r.action} ${r.resource}`).join(', ')}`
    );
  }

  /** The role's inline and attached policies, and its boundary's (absent: none). */
  private async policiesOf(roleName: string): Promise<{ policies: Policy[]; boundary?: Policy }> {
    const { iam } = this.account;
    const role = (await iam.send(new GetRoleCommand({ RoleName: roleName }))).Role;
    const inline = (await iam.send(new ListRolePoliciesCommand({ RoleName: roleName }))).PolicyNames ?? [];
    const attached =
      (await iam.send(new ListAttachedRolePoliciesCommand({ RoleName: roleName }))).AttachedPolicies ?? [];
    const policies: Policy[] = [];
    for (const name of inline) {
      const out = await iam.send(new GetRolePolicyCommand({ RoleName: roleName, PolicyName: name }));
      policies.push(document(out.PolicyDocument));
    }
    for (const policy of attached) if (policy.PolicyArn) policies.push(await this.managed(policy.PolicyArn));
    const boundaryArn = role?.PermissionsBoundary?.PermissionsBoundaryArn;
    return { policies, boundary: boundaryArn ? await this.managed(boundaryArn) : undefined };
  }

  private async managed(arn: string): Promise<Policy> {
    const { iam } = this.account;
    const version = (await iam.send(new GetPolicyCommand({ PolicyArn: arn }))).Policy?.DefaultVersionId;
    const out = await iam.send(new GetPolicyVersionCommand({ PolicyArn: arn, VersionId: version }));
    return document(out.PolicyVersion?.Document);
  }
}

/** IAM answers policy documents URL-encoded (RFC 3986), as AWS does. */
function document(text: string | undefined): Policy {
  if (!text) return { Statement: [] };
  const json = JSON.parse(text.startsWith('%7B') || text.startsWith('%7b') ? decodeURIComponent(text) : text) as {
    Statement: Policy['Statement'] | Policy['Statement'][number];
  };
  return { Statement: Array.isArray(json.Statement) ? json.Statement : [json.Statement] };
}

function arnParts(arn: string) {
  const [, partition = 'aws', , region = '', account = ''] = arn.split(':');
  return { partition, region, account };
}

/**
 * The read ECS makes for one reference: GetSecretValue on the secret's full ARN (a `:json-key:stage:id`
 * suffix dropped; a name without the 6-character suffix Secrets Manager adds gets one), GetParameters on
 * the parameter's ARN (a bare name is a parameter of the task's region and account).
 */
function readRequest(valueFrom: string, where: ReturnType<typeof arnParts>): Request {
  if (valueFrom.startsWith('arn:') && valueFrom.split(':')[2] === 'secretsmanager') {
    const arn = valueFrom.split(':').slice(0, 7).join(':');
    return {
      action: 'secretsmanager:GetSecretValue',
      resource: /-[A-Za-z0-9]{6}$/.test(arn) ? arn : `${arn}-Ab12Cd`,
    };
  }
  const resource = valueFrom.startsWith('arn:')
    ? valueFrom
    : `arn:${where.partition}:ssm:${where.region}:${where.account}:parameter/${valueFrom.replace(/^\//, '')}`;
  return { action: 'ssm:GetParameters', resource };
}
