// Configuration from the environment, with the names Temporal and the AWS SDK already use, so the same
// worker and CLI talk to a real Temporal cluster and real AWS when these are set, and to the embedded
// stack (`switchyard dev`) when they are not. Temporal's connection (address, namespace, TLS, mTLS, API
// key, gRPC headers) comes through @temporalio/envconfig, as for the Temporal CLI and SDKs: the TEMPORAL_*
// variables over a profile of the Temporal config file (TEMPORAL_CONFIG_FILE, else
// ~/.config/temporalio/temporal.toml; TEMPORAL_PROFILE, else "default").
import fs from 'node:fs';
import type { TLSConfig } from '@temporalio/client';
import { loadClientConfig, loadClientConfigProfile, toClientOptions } from '@temporalio/envconfig';
import { z } from 'zod';
import { DEFAULT_TASK_QUEUE } from './shared/naming';
import { describeCause, UserError } from './shared/errors';

const hostPort = /^[A-Za-z0-9.\-[\]:]+:\d{1,5}$/;

const boolean = z.enum(['true', 'false', '1', '0'], { error: 'expected true or false' });

const envSchema = z.object({
  TEMPORAL_TLS: boolean.optional(),
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
  /** TLS: true for the system's roots, or a CA, server name and client pair (mTLS); absent for plain gRPC. */
  tls?: TLSConfig | boolean;
  /** Sent as `authorization: Bearer …`; turns TLS on unless TEMPORAL_TLS=false. */
  apiKey?: string;
  /** gRPC headers on every call: TEMPORAL_GRPC_META_<NAME>, the profile's grpc_meta. */
  metadata?: Record<string, string>;
  /** Where the settings came from, for messages: "profile prod of /home/me/.config/temporalio/temporal.toml". */
  source?: string;
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

export interface LoadOptions {
  /** The embedded stack's own Temporal: plain gRPC on its address, no profile, no credentials. */
  embeddedTemporal?: boolean;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env, options: LoadOptions = {}): Config {
  const { set, parsed: e } = parseEnv(envSchema, env);
  return {
    temporal: {
      ...(options.embeddedTemporal ? embeddedTemporal(set) : temporalConnection(set)),
      taskQueue: e.SWITCHYARD_TASK_QUEUE,
    },
    aws: {
      region: e.AWS_REGION ?? e.AWS_DEFAULT_REGION,
      endpoint: e.AWS_ENDPOINT_URL,
      ...(e.SWITCHYARD_ROLE_BOUNDARY ? { roleBoundary: e.SWITCHYARD_ROLE_BOUNDARY } : {}),
    },
  };
}

/** The variables that are set (not empty), parsed by `schema`; a UserError naming the first bad one. */
function parseEnv<S extends z.ZodType>(
  schema: S,
  env: NodeJS.ProcessEnv,
): { set: Record<string, string>; parsed: z.infer<S> } {
  const set = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== '')) as Record<
    string,
    string
  >;
  const parsed = schema.safeParse(set);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const name = String(issue.path[0]);
    throw new UserError(`${name}=${JSON.stringify(env[name])} is not valid: ${issue.message}.`);
  }
  return { set, parsed: parsed.data };
}

export type LogLevel = 'TRACE' | 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';

/** The worker's logs and metrics. */
export interface TelemetryConfig {
  logLevel: LogLevel;
  logFormat: 'text' | 'json';
  /** host:port of the Prometheus endpoint (`/metrics`); absent: no metrics served. */
  metricsAddress?: string;
}

const telemetrySchema = z.object({
  SWITCHYARD_LOG_LEVEL: z
    .string()
    .transform((v) => v.toUpperCase())
    .pipe(z.enum(['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR'], { error: 'expected trace, debug, info, warn or error' }))
    .optional(),
  SWITCHYARD_LOG_FORMAT: z.enum(['text', 'json'], { error: 'expected text or json' }).default('text'),
  SWITCHYARD_METRICS_ADDRESS: z.string().regex(hostPort, 'expected host:port, e.g. 0.0.0.0:9464').optional(),
});

/** SWITCHYARD_LOG_LEVEL (default `fallback`), SWITCHYARD_LOG_FORMAT, SWITCHYARD_METRICS_ADDRESS. */
export function loadTelemetryConfig(
  env: NodeJS.ProcessEnv = process.env,
  fallback: LogLevel = 'INFO',
): TelemetryConfig {
  const { parsed } = parseEnv(telemetrySchema, env);
  return {
    logLevel: parsed.SWITCHYARD_LOG_LEVEL ?? fallback,
    logFormat: parsed.SWITCHYARD_LOG_FORMAT,
    ...(parsed.SWITCHYARD_METRICS_ADDRESS ? { metricsAddress: parsed.SWITCHYARD_METRICS_ADDRESS } : {}),
  };
}

type Connection = Omit<TemporalConfig, 'taskQueue'>;

function embeddedTemporal(env: Record<string, string>): Connection {
  return { address: '127.0.0.1:7233', namespace: env.TEMPORAL_NAMESPACE ?? 'default' };
}

/** Address, namespace and credentials from the TEMPORAL_* variables over the profile; a UserError naming what is wrong. */
function temporalConnection(env: Record<string, string>): Connection {
  const file = env.TEMPORAL_CONFIG_FILE ?? defaultConfigFile(env);
  if (env.TEMPORAL_CONFIG_FILE && !fs.existsSync(file!)) {
    throw new UserError(`TEMPORAL_CONFIG_FILE=${JSON.stringify(file)}: no such file.`);
  }
  const profile = env.TEMPORAL_PROFILE;
  let connect: ReturnType<typeof toClientOptions>;
  let source: string | undefined;
  try {
    const profiles = profilesIn(env);
    if (profiles[profile ?? 'default']) source = `profile ${profile ?? 'default'} of ${file}`;
    if (profile && !profiles[profile]) throw new Error(`Profile '${profile}' not found in config data`);
    const disableFile = !Object.keys(profiles).length; // envconfig fails on a file with no [profile.*]
    connect = toClientOptions(loadClientConfigProfile({ profile, overrideEnvVars: env, disableFile }));
  } catch (err) {
    throw new UserError(temporalSettingsProblem(err, { file, profile }));
  }
  const { address = '127.0.0.1:7233', apiKey, tls, metadata } = connect.connectionOptions;
  const namespace = connect.namespace ?? 'default';
  const from = (name: string) => (env[name] !== undefined ? name : `${source}: ${name.slice(9).toLowerCase()}`);
  if (!hostPort.test(address)) {
    throw new UserError(
      `${from('TEMPORAL_ADDRESS')}=${JSON.stringify(address)} is not valid: expected host:port, e.g. 127.0.0.1:7233.`,
    );
  }
  if (!namespace) throw new UserError(`${from('TEMPORAL_NAMESPACE')} must not be empty.`);
  return {
    address,
    namespace,
    ...(tls !== undefined && tls !== null ? { tls } : {}),
    ...(apiKey ? { apiKey } : {}),
    ...(metadata && Object.keys(metadata).length ? { metadata: metadata as Record<string, string> } : {}),
    ...(source ? { source } : {}),
  };
}

/** The profiles of the Temporal config file; none when it is absent, empty, or has no [profile.*] table. */
function profilesIn(env: Record<string, string>): ReturnType<typeof loadClientConfig>['profiles'] {
  try {
    return loadClientConfig({ overrideEnvVars: env }).profiles;
  } catch (err) {
    if (err instanceof TypeError && /undefined or null to object/.test(err.message)) return {};
    throw err;
  }
}

/** Where envconfig looks when TEMPORAL_CONFIG_FILE is unset (Linux and macOS; XDG_CONFIG_HOME first). */
function defaultConfigFile(env: Record<string, string>): string | undefined {
  if (process.platform === 'darwin')
    return env.HOME && `${env.HOME}/Library/Application Support/temporalio/temporal.toml`;
  const dir = env.XDG_CONFIG_HOME ?? (env.HOME && `${env.HOME}/.config`);
  return dir && `${dir}/temporalio/temporal.toml`;
}

function temporalSettingsProblem(err: unknown, at: { file?: string; profile?: string }): string {
  const e = err as NodeJS.ErrnoException;
  if (e.code === 'ENOENT' && e.path) return `cannot read ${e.path} (named by the Temporal TLS settings): no such file.`;
  const message = e.message ?? String(err);
  if (/^Profile '.*' not found/.test(message)) {
    const where =
      at.file && fs.existsSync(at.file) ? `${at.file} has` : `there is no Temporal config file (${at.file}), so`;
    return `TEMPORAL_PROFILE=${JSON.stringify(at.profile)}: ${where} no [profile.${at.profile}].`;
  }
  return `the Temporal config file ${at.file} is not valid: ${message.split('\n')[0]}.`;
}

/** The address and how we authenticate, never a secret: "host:7233 (mTLS; profile prod of /path)". */
export function describeTemporal(t: TemporalConfig): string {
  const tls = typeof t.tls === 'object' && t.tls.clientCertPair ? 'mTLS' : t.tls ? 'TLS' : '';
  const how = [tls, t.apiKey ? 'API key' : '', t.metadata?.authorization ? 'authorization header' : '']
    .filter(Boolean)
    .join(', ');
  const details = [how, t.source].filter(Boolean).join('; ');
  return details ? `${t.address} (${details})` : t.address;
}

/** What the client's Connection and the worker's NativeConnection both take. */
export function connectionOptions(t: TemporalConfig): Pick<TemporalConfig, 'address' | 'tls' | 'apiKey' | 'metadata'> {
  return { address: t.address, tls: t.tls, apiKey: t.apiKey, metadata: t.metadata };
}

const refused = /\b(unauthenticated|permission ?denied|unauthorized|forbidden)\b|status(?: code)?:? (16|7)\b/i;
const tlsFailure = /\b(tls|ssl|certificate|handshake|x509|alpn|wrong version number)\b/i;

/** Why Temporal cannot be used, in one line with what to do, for the CLI and the worker alike. */
export function temporalUnreachable(t: TemporalConfig, err: unknown): UserError {
  const grpc = grpcErrorIn(err);
  const cause = grpc ? `${grpc.code} ${grpc.details}` : describeCause(err);
  const where = `Temporal at ${t.address}${t.source ? ` (${t.source})` : ''}`;
  if (grpc?.code === 16 || grpc?.code === 7 || refused.test(cause)) {
    const sent = t.apiKey ? 'an API key' : t.metadata?.authorization ? 'an authorization header' : 'no credentials';
    return new UserError(
      `${where} refused the call (${cause}); we sent ${sent}. ` +
        'Set TEMPORAL_API_KEY, or TEMPORAL_TLS_CLIENT_CERT_PATH and TEMPORAL_TLS_CLIENT_KEY_PATH for mTLS, or TEMPORAL_PROFILE.',
    );
  }
  if (tlsFailure.test(cause) || t.tls) {
    const mode = t.tls ? 'with TLS' : 'without TLS';
    return new UserError(
      `cannot reach ${where} ${mode} (${cause}). Check TEMPORAL_TLS, TEMPORAL_TLS_SERVER_CA_CERT_PATH and ` +
        'TEMPORAL_TLS_SERVER_NAME against the endpoint, and TEMPORAL_ADDRESS.',
    );
  }
  return new UserError(
    `cannot reach ${where} (${cause}). ` +
      'Start the embedded stack with `npm run dev`, or set TEMPORAL_ADDRESS to your Temporal frontend.',
  );
}

/** The gRPC error in a chain of causes (the client wraps it in "Failed to connect to Temporal server"). */
function grpcErrorIn(err: unknown): { code: number; details: string } | undefined {
  for (let e = err as { code?: unknown; details?: unknown; cause?: unknown } | undefined; e; e = e.cause as typeof e) {
    if (typeof e.code === 'number' && typeof e.details === 'string') return { code: e.code, details: e.details };
  }
  return undefined;
}
