// The secrets and parameters a task definition has ECS read at task start, and the policy that lets an
// execution role read exactly those. Pure, and safe to import from workflow code.
//
// ECS reads them with the task execution role: container `secrets` and a log configuration's
// `secretOptions` (Secrets Manager or SSM Parameter Store), and a private registry's
// `repositoryCredentials` (Secrets Manager).
// https://docs.aws.amazon.com/AmazonECS/latest/developerguide/secrets-envvar-secrets-manager.html
// https://docs.aws.amazon.com/AmazonECS/latest/developerguide/secrets-envvar-ssm-paramstore.html
// https://docs.aws.amazon.com/AmazonECS/latest/developerguide/private-auth.html
import type { TaskDefinitionSpec } from './deployment';

/** The inline policies Switchyard puts on an execution role are named this, then the deployment id. */
export const secretReadsPolicyPrefix = 'switchyard-secrets-';

interface ValueFrom {
  valueFrom?: unknown;
}

/** Every valueFrom (and registry credential) the task definition references, once each, sorted. */
export function secretReferences(taskDefinition: TaskDefinitionSpec): string[] {
  const found = new Set<string>();
  const add = (value: unknown) => {
    if (typeof value === 'string' && value) found.add(value);
  };
  for (const container of taskDefinition.containerDefinitions) {
    for (const secret of (container.secrets as ValueFrom[] | undefined) ?? []) add(secret.valueFrom);
    const log = container.logConfiguration as { secretOptions?: ValueFrom[] } | undefined;
    for (const option of log?.secretOptions ?? []) add(option.valueFrom);
    add((container.repositoryCredentials as { credentialsParameter?: unknown } | undefined)?.credentialsParameter);
  }
  return [...found].sort();
}

/**
 * A Secrets Manager valueFrom names the secret, optionally followed by `:json-key:version-stage:version-id`.
 * Its policy resource is the secret's ARN; given without the 6-character suffix Secrets Manager adds,
 * `-??????` matches the full ARN (the form the Secrets Manager guide recommends for partial ARNs).
 * https://docs.aws.amazon.com/secretsmanager/latest/userguide/auth-and-access_examples.html
 */
function secretArns(valueFrom: string): string[] {
  const arn = valueFrom.split(':').slice(0, 7).join(':');
  return /-[A-Za-z0-9]{6}$/.test(arn) ? [arn] : [arn, `${arn}-??????`];
}

/** arn:<partition>:<service>:<region>:… → what the ARN says. */
function arnParts(arn: string) {
  const [, partition, service, region] = arn.split(':');
  return { partition, service, region };
}

/**
 * What the execution role needs to read them: secretsmanager:GetSecretValue on the secrets,
 * ssm:GetParameters on the parameters, and kms:Decrypt only through those services and only for those
 * secrets and parameters (their encryption contexts), which covers customer managed keys without naming them.
 * https://docs.aws.amazon.com/secretsmanager/latest/userguide/security-encryption.html#security-encryption-encryption-context
 * https://docs.aws.amazon.com/systems-manager/latest/userguide/sysman-paramstore-access.html
 */
export function secretReadsPolicy(valueFroms: string[]) {
  const secrets = valueFroms.filter((v) => arnParts(v).service === 'secretsmanager');
  const parameters = valueFroms.filter((v) => arnParts(v).service === 'ssm');
  const statements: Record<string, unknown>[] = [];
  if (secrets.length) {
    const arns = [...new Set(secrets.flatMap(secretArns))];
    statements.push(
      { Sid: 'ReadSecrets', Effect: 'Allow', Action: ['secretsmanager:GetSecretValue'], Resource: arns },
      {
        Sid: 'DecryptSecrets',
        Effect: 'Allow',
        Action: ['kms:Decrypt'],
        Resource: '*',
        Condition: {
          StringLike: { 'kms:EncryptionContext:SecretARN': arns },
          StringEquals: {
            'kms:ViaService': [...new Set(secrets.map((s) => `secretsmanager.${arnParts(s).region}.amazonaws.com`))],
          },
        },
      },
    );
  }
  if (parameters.length) {
    statements.push(
      { Sid: 'ReadParameters', Effect: 'Allow', Action: ['ssm:GetParameters'], Resource: parameters },
      {
        Sid: 'DecryptParameters',
        Effect: 'Allow',
        Action: ['kms:Decrypt'],
        Resource: '*',
        Condition: {
          StringLike: { 'kms:EncryptionContext:PARAMETER_ARN': parameters },
          StringEquals: {
            'kms:ViaService': [...new Set(parameters.map((p) => `ssm.${arnParts(p).region}.amazonaws.com`))],
          },
        },
      },
    );
  }
  return { Version: '2012-10-17', Statement: statements };
}
