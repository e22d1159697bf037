// Configuration from the environment, with the names Temporal and the AWS SDK already use, so the same
// worker and CLI talk to a real Temporal cluster and real AWS when these are set, and to the embedded
// stack (`switchyard dev`) when they are not.
import { z } from 'zod';
import { DEFAULT_TASK_QUEUE } from './shared/naming';
import { UserError } from './shared/errors';

const hostPort = /^[A-Za-z0-9.\-[\]:]+:\d{1,5}$/;

const envSchema = z.object({
  TEMPORAL_ADDRESS: z.string().regex(hostPort, 'expected host:port, e.g. 127.0.0.1:7233').default('127.0.0.1:7233'),
  TEMPORAL_NAMESPACE: z.string().min(1, 'must not be empty').default('default'),
  SWITCHYARD_TASK_QUEUE: z.string().min(1, 'must not be empty').default(DEFAULT_TASK_QUEUE),
  AWS_REGION: z
    .string()
    .regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'expected an AWS region such as us-east-1')
    .optional(),
  AWS_DEFAULT_REGION: z.string().optional(),
  SWITCHYARD_ROLE_BOUNDARY: z
    .string()
    .regex(/^arn:aws[a-z-]*:iam::\d{12}:policy\/[\w+=,.@/-]+$/, 'expected an IAM policy ARN')
    .optional(),
  AWS_ENDPOINT_URL: z
    .url({ protocol: /^https?$/, error: 'expected an http(s) URL such as http://127.0.0.1:5000' })
    .optional(),
});

export interface TemporalConfig {
  address: string;
  namespace: string;
  taskQueue: string;
}

export interface AwsConfig {
  /** Absent means the AWS SDK's own resolution (shared config file, instance metadata). */
  region?: string;
  /** Set for a local emulator or a VPC endpoint; absent means the AWS SDK's normal endpoint resolution. */
  endpoint?: string;
  /** The permissions boundary of the task roles the worker creates; absent: the account's default. */
  roleBoundary?: string;
}

export interface Config {
  temporal: TemporalConfig;
  aws: AwsConfig;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const blankToUndefined = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = envSchema.safeParse(blankToUndefined);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const name = String(issue.path[0]);
    throw new UserError(`${name}=${JSON.stringify(env[name])} is not valid: ${issue.message}.`);
  }
  const e = parsed.data;
  return {
    temporal: { address: e.TEMPORAL_ADDRESS, namespace: e.TEMPORAL_NAMESPACE, taskQueue: e.SWITCHYARD_TASK_QUEUE },
    aws: {
      region: e.AWS_REGION ?? e.AWS_DEFAULT_REGION,
      endpoint: e.AWS_ENDPOINT_URL,
      ...(e.SWITCHYARD_ROLE_BOUNDARY ? { roleBoundary: e.SWITCHYARD_ROLE_BOUNDARY } : {}),
    },
  };
}
