import { trace, type Tracer } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { NodeSDK } from '@opentelemetry/sdk-node';
import {
  AlwaysOffSampler,
  BatchSpanProcessor,
  NoopSpanProcessor,
  ParentBasedSampler,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { telemetryEnv } from './config';

export interface TelemetryOptions {
  /** OTLP/HTTP base URL; defaults to OTEL_EXPORTER_OTLP_ENDPOINT. */
  otlpEndpoint?: string;
  /** Extra span processors (tests pass an in-memory exporter). */
  spanProcessors?: SpanProcessor[];
}

export interface Telemetry {
  readonly serviceName: string;
  readonly exporting: boolean;
  shutdown(): Promise<void>;
}

let started: Telemetry | undefined;

/**
 * Starts the OpenTelemetry SDK. A service's main imports its telemetry module
 * first so the tracer provider and W3C propagator exist before any other code
 * runs. Every span has real trace and span ids (logs and NATS headers carry
 * them); spans are recorded only when something takes them (an OTLP endpoint,
 * or the span processors a test passes) or when the caller's trace is sampled,
 * since recording spans nobody exports cost the gateway a tenth of its CPU per
 * request. Calling it twice returns the first instance.
 */
export function startTelemetry(serviceName?: string, options: TelemetryOptions = {}): Telemetry {
  if (started) return started;
  const env = telemetryEnv();
  // SERVICE_NAME, when an operator sets it, wins over the name in code.
  const name = env.serviceName ?? serviceName ?? 'mmm-service';
  const endpoint = options.otlpEndpoint ?? env.otlpEndpoint;
  const spanProcessors: SpanProcessor[] = [...(options.spanProcessors ?? [])];
  if (endpoint) {
    const url = endpoint.replace(/\/+$/, '') + '/v1/traces';
    spanProcessors.push(new BatchSpanProcessor(new OTLPTraceExporter({ url })));
  }
  const exported = spanProcessors.length > 0;
  // The SDK registers a tracer provider only when it has a processor.
  if (!exported) spanProcessors.push(new NoopSpanProcessor());
  const sdk = new NodeSDK({
    serviceName: name,
    spanProcessors,
    // Nothing takes the spans: new traces are not recorded (non-recording spans keep their ids
    // and propagate); a caller's sampled trace still is, as W3C asks of a participant.
    ...(exported ? {} : { sampler: new ParentBasedSampler({ root: new AlwaysOffSampler() }) }),
    // Metrics go through prom-client and logs through stdout: keep the SDK's
    // env-driven OTLP defaults for those off, so nothing is sent unasked.
    metricReaders: [],
    logRecordProcessors: [],
    instrumentations: [],
  });
  sdk.start();
  let stopped: Promise<void> | undefined;
  started = {
    serviceName: name,
    exporting: Boolean(endpoint),
    shutdown: () => {
      stopped ??= sdk.shutdown().catch(() => undefined);
      return stopped;
    },
  };
  return started;
}

/** The tracer services use for their own spans. */
export function getTracer(name = 'mmm'): Tracer {
  return trace.getTracer(name);
}
