// Optional tracing through OpenTelemetry, on when the standard variables ask for it: OTEL_TRACES_EXPORTER
// =otlp, or an OTLP endpoint (OTEL_EXPORTER_OTLP_ENDPOINT, OTEL_EXPORTER_OTLP_TRACES_ENDPOINT); off with
// OTEL_SDK_DISABLED=true or OTEL_TRACES_EXPORTER=none. Spans go by OTLP over HTTP as the exporter's own
// OTEL_* variables say (endpoint, headers, timeout). One trace per CLI command: its span, the client's
// StartWorkflow and messages, the workflow's RunWorkflow and StartActivity spans and each RunActivity
// (the SDK's OpenTelemetry interceptors), and each AWS call inside it (src/aws/instrument.ts). The SDK is
// loaded only when tracing is on: a command without it starts as fast as before.
import { context, propagation, SpanStatusCode, trace, type Attributes } from '@opentelemetry/api';
import type { SpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { WorkflowClientInterceptor } from '@temporalio/client';
import type { WorkerOptions } from '@temporalio/worker';

export interface Tracing {
  spanProcessor: SpanProcessor;
  /** For the Temporal client: starts and messages carry the current trace into the workflow. */
  clientInterceptors: WorkflowClientInterceptor[];
  /** For the worker: workflow spans exported through a sink (never on replay), activity spans. */
  workerPlugins: NonNullable<WorkerOptions['plugins']>;
  /** Sends what is buffered, and unregisters the provider. */
  shutdown(): Promise<void>;
}

let active: Tracing | undefined;

/** The tracing this process started, if any. */
export function activeTracing(): Tracing | undefined {
  return active;
}

export function tracingWanted(env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.OTEL_SDK_DISABLED?.toLowerCase() === 'true') return false;
  const exporters = (env.OTEL_TRACES_EXPORTER ?? '').split(',').map((e) => e.trim().toLowerCase());
  if (exporters.includes('none')) return false;
  return (
    exporters.includes('otlp') || Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT)
  );
}

/** Registers the process's tracer provider (OTLP unless given a processor: tests use an in-memory one). */
export async function startTracing(serviceName: string, spanProcessor?: SpanProcessor): Promise<Tracing> {
  const { AsyncLocalStorageContextManager } = await import('@opentelemetry/context-async-hooks');
  const { detectResourcesSync, envDetectorSync, Resource } = await import('@opentelemetry/resources');
  const { BasicTracerProvider, BatchSpanProcessor } = await import('@opentelemetry/sdk-trace-base');
  const { OpenTelemetryPlugin, OpenTelemetryWorkflowClientInterceptor } = await import(
    '@temporalio/interceptors-opentelemetry'
  );
  // OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES win over the default name.
  const resource = new Resource({ 'service.name': serviceName }).merge(
    detectResourcesSync({ detectors: [envDetectorSync] }),
  );
  const processor =
    spanProcessor ??
    new BatchSpanProcessor(new (await import('@opentelemetry/exporter-trace-otlp-http')).OTLPTraceExporter());
  const provider = new BasicTracerProvider({ resource, spanProcessors: [processor] });
  provider.register({ contextManager: new AsyncLocalStorageContextManager() });
  active = {
    spanProcessor: processor,
    clientInterceptors: [new OpenTelemetryWorkflowClientInterceptor()],
    workerPlugins: [new OpenTelemetryPlugin({ resource, spanProcessor: processor })],
    async shutdown() {
      await provider.shutdown();
      trace.disable();
      context.disable();
      propagation.disable();
      active = undefined;
    },
  };
  return active;
}

/** `work` inside a span (the current one's child), which records its error. A no-op tracer when tracing is off. */
export async function inSpan<T>(name: string, attributes: Attributes, work: () => Promise<T>): Promise<T> {
  return trace.getTracer('switchyard').startActiveSpan(name, { attributes }, async (span) => {
    try {
      return await work();
    } catch (err) {
      span.recordException(err as Error);
      span.setStatus({ code: SpanStatusCode.ERROR, message: (err as Error).message });
      throw err;
    } finally {
      span.end();
    }
  });
}
