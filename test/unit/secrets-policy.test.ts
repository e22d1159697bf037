// What the execution role Switchyard creates may read: exactly the secrets and parameters the revision
// references (container secrets, log secretOptions, registry credentials), decrypted only through
// Secrets Manager and SSM and only for those.
import { secretReadsPolicy, secretReferences } from '../../src/shared/secrets';

const secret = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:db-password-AbC123';
const partial = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:api-key';
const parameter = 'arn:aws:ssm:eu-west-1:123456789012:parameter/web/feature-flags';

describe('secret reads', () => {
  it('finds every reference once: container secrets (with JSON keys), log secret options, registry credentials', () => {
    const refs = secretReferences({
      containerDefinitions: [
        {
          name: 'web',
          secrets: [
            { name: 'DB_PASSWORD', valueFrom: `${secret}:password::` },
            { name: 'FLAGS', valueFrom: parameter },
          ],
          logConfiguration: { logDriver: 'splunk', secretOptions: [{ name: 'splunk-token', valueFrom: partial }] },
          repositoryCredentials: { credentialsParameter: secret },
        },
        { name: 'sidecar', secrets: [{ name: 'FLAGS', valueFrom: parameter }] },
      ],
    });
    expect(refs).toEqual([partial, secret, `${secret}:password::`, parameter].sort());
  });

  it('grants GetSecretValue on the secrets (a partial ARN with its suffix wildcard), GetParameters on the parameters, Decrypt only through them', () => {
    const policy = secretReadsPolicy([`${secret}:password::`, partial, parameter]);
    expect(policy.Statement).toEqual([
      {
        Sid: 'ReadSecrets',
        Effect: 'Allow',
        Action: ['secretsmanager:GetSecretValue'],
        Resource: [secret, partial, `${partial}-??????`],
      },
      {
        Sid: 'DecryptSecrets',
        Effect: 'Allow',
        Action: ['kms:Decrypt'],
        Resource: '*',
        Condition: {
          StringLike: { 'kms:EncryptionContext:SecretARN': [secret, partial, `${partial}-??????`] },
          StringEquals: { 'kms:ViaService': ['secretsmanager.eu-west-1.amazonaws.com'] },
        },
      },
      { Sid: 'ReadParameters', Effect: 'Allow', Action: ['ssm:GetParameters'], Resource: [parameter] },
      {
        Sid: 'DecryptParameters',
        Effect: 'Allow',
        Action: ['kms:Decrypt'],
        Resource: '*',
        Condition: {
          StringLike: { 'kms:EncryptionContext:PARAMETER_ARN': [parameter] },
          StringEquals: { 'kms:ViaService': ['ssm.eu-west-1.amazonaws.com'] },
        },
      },
    ]);
  });

  it('grants nothing when nothing is referenced', () => {
    expect(secretReferences({ containerDefinitions: [{ name: 'web', image: 'nginx' }] })).toEqual([]);
    expect(secretReadsPolicy([]).Statement).toEqual([]);
  });
});
