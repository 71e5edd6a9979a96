// Optional OpenTelemetry tracing of activities, through @temporalio/interceptors-opentelemetry: on
// only when OTEL_EXPORTER_OTLP_ENDPOINT names an OTLP/HTTP collector (e.g. http://127.0.0.1:4318,
// config.tracing); the exporter reads the other OTEL_EXPORTER_OTLP_* variables (headers, timeout) itself.
// Each activity attempt becomes a span (`RunActivity:<type>`), a child of the caller's span when
// the workflow's headers carry one, and the SDK's activity log lines carry its trace and span ids.
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { Resource } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import {
  OpenTelemetryActivityInboundInterceptor,
  OpenTelemetryActivityOutboundInterceptor,
} from '@temporalio/interceptors-opentelemetry';
import type { ActivityInterceptorsFactory } from '@temporalio/worker';
import type { Config } from '../platform/config.ts';

export interface ActivityTracing {
  /** The OTLP endpoint spans go to. */
  endpoint: string;
  interceptors: ActivityInterceptorsFactory;
  /** Exports the spans ended so far. */
  flush(): Promise<void>;
  /** Flushes pending spans and stops exporting. */
  shutdown(): Promise<void>;
}

/** Activity tracing when the configuration names an OTLP endpoint (OTEL_EXPORTER_OTLP_ENDPOINT); undefined (off) otherwise. */
export function activityTracingFor(
  settings: Config['tracing'],
  { exporter }: { /** Default: OTLP over HTTP (tests: in memory). */ exporter?: SpanExporter } = {},
): ActivityTracing | undefined {
  if (!settings) return undefined;
  const endpoint = settings.otlpEndpoint;
  const provider = new BasicTracerProvider({
    resource: new Resource({ 'service.name': settings.serviceName ?? 'charterflow-worker' }),
    spanProcessors: [new BatchSpanProcessor(exporter ?? new OTLPTraceExporter({ url: tracesUrlOf(endpoint) }))],
  });
  const tracer = provider.getTracer('charterflow');
  return {
    endpoint,
    interceptors: (ctx) => ({
      inbound: new OpenTelemetryActivityInboundInterceptor(ctx, { tracer }),
      outbound: new OpenTelemetryActivityOutboundInterceptor(ctx),
    }),
    flush: () => provider.forceFlush(),
    shutdown: () => provider.shutdown(),
  };
}

/** OTLP/HTTP: the base endpoint's traces path (the spec's rule for OTEL_EXPORTER_OTLP_ENDPOINT). */
function tracesUrlOf(endpoint: string): string {
  return `${endpoint.replace(/\/+$/, '')}/v1/traces`;
}
