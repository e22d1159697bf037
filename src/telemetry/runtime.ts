// The worker process's Temporal runtime: its logger (level and text or JSON lines on stderr, for the
// SDK's own logs, the workflows' replay-safe `log` and the activities') and, when an address is set, the
// Prometheus endpoint that serves Temporal's metrics with Switchyard's (src/workflows/common/metrics.ts,
// src/aws/instrument.ts). Installed once, before the first connection.
import { DefaultLogger, Runtime, type LogEntry } from '@temporalio/worker';
import type { TelemetryConfig } from '../config';

export function installRuntime(telemetry: TelemetryConfig, options: { shutdownSignals?: NodeJS.Signals[] } = {}): void {
  const write = telemetry.logFormat === 'json' ? jsonLine : textLine;
  Runtime.install({
    logger: new DefaultLogger(telemetry.logLevel, (entry) => process.stderr.write(`${write(entry)}\n`)),
    telemetryOptions: {
      // The SDK core's own logs through the same logger, at most as verbose as ours.
      logging: { filter: { core: telemetry.logLevel, other: 'WARN' }, forward: {} },
      ...(telemetry.metricsAddress ? { metrics: { prometheus: { bindAddress: telemetry.metricsAddress } } } : {}),
    },
    ...(options.shutdownSignals ? { shutdownSignals: options.shutdownSignals } : {}),
  });
}

const bigints = (_: string, v: unknown) => (typeof v === 'bigint' ? v.toString() : v);

function timeOf(entry: LogEntry): string {
  return new Date(Number(entry.timestampNanos / 1_000_000n)).toISOString();
}

/** One JSON object per line: time, level, msg, then the entry's attributes (deploymentId, workflowId...). */
export function jsonLine(entry: LogEntry): string {
  return JSON.stringify(
    { time: timeOf(entry), level: entry.level.toLowerCase(), msg: entry.message, ...entry.meta },
    bigints,
  );
}

/** `time LEVEL message key=value ...`, values JSON-quoted when they need it. */
export function textLine(entry: LogEntry): string {
  const attributes = Object.entries(entry.meta ?? {})
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}=${typeof v === 'string' && /^[\w./:@-]+$/.test(v) ? v : JSON.stringify(v, bigints)}`);
  return [timeOf(entry), entry.level, entry.message, ...attributes].join(' ');
}
