// What names a deployment on the client side: a new deployment id, the workflow types of the two
// strategies, and the visibility query for what users type (a deployment id, or service[/environment]).
import crypto from 'node:crypto';
import { UserError } from '../shared/errors';
import { isDeploymentId } from '../shared/naming';

export const deploymentWorkflowTypes = ['blueGreenDeployment', 'rollingDeployment', 'codeDeployDeployment'] as const;
/** Workflows `list` shows: the deployments, and the releases over them. */
export const listedWorkflowTypes = [...deploymentWorkflowTypes, 'release'] as const;

export function newDeploymentId(): string {
  // 8 base-36 characters from 40 random bits.
  return BigInt('0x' + crypto.randomBytes(5).toString('hex'))
    .toString(36)
    .padStart(8, '0')
    .slice(-8);
}

/** The visibility query for a deployment id or a service[/environment]; a UserError for anything else. */
export function deploymentQuery(ref: string): string {
  if (isDeploymentId(ref)) return `SwitchyardDeploymentId = '${ref}'`;
  const match = /^([a-z0-9-]{1,20})(?:\/([a-z0-9-]{1,10}))?$/.exec(ref);
  if (!match)
    throw new UserError(
      `"${ref}" is neither a deployment id (8 lowercase letters and digits) nor a service ("web" or "web/prod")`,
    );
  const [, service, environment] = match;
  return `SwitchyardService = '${service}'` + (environment ? ` AND SwitchyardEnvironment = '${environment}'` : '');
}
