// IAM's rule for roles that moto skips: a permissions boundary must name a managed policy that exists.
// moto checks only the ARN's form; IAM answers NoSuchEntity ("The request was rejected because it
// referenced a resource entity that does not exist", CreateRole and PutRolePermissionsBoundary's errors).
// https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateRole.html
// https://docs.aws.amazon.com/IAM/latest/APIReference/API_PutRolePermissionsBoundary.html
import { GetPolicyCommand, type IAMClient } from '@aws-sdk/client-iam';
import { broken, type RuleBreak } from './refusals';

export class IamRoleRules {
  constructor(private readonly iam: IAMClient) {}

  async refuse(action: string, params: URLSearchParams): Promise<RuleBreak | undefined> {
    if (action !== 'CreateRole' && action !== 'PutRolePermissionsBoundary') return undefined;
    const boundary = params.get('PermissionsBoundary');
    if (!boundary) return undefined;
    try {
      await this.iam.send(new GetPolicyCommand({ PolicyArn: boundary }));
      return undefined;
    } catch (err) {
      if ((err as Error).name !== 'NoSuchEntityException' && (err as Error).name !== 'NoSuchEntity') throw err;
      return broken(
        'iam-boundary-exists',
        'NoSuchEntity',
        `Scope ARN: ${boundary} does not exist or is not attachable.`,
      );
    }
  }
}
