/**
 * Tracing across the stages, off unless asked for. A record carries the W3C
 * trace context (`traceparent`, `tracestate`) of the span that produced it: the
 * poller's unit of work, then the enricher's mapping, so the sink's bulk request
 * and the Elasticsearch client's span under it join the trace that began with
 * the request to the appliance.
 *
 * On when OTEL_EXPORTER_OTLP_ENDPOINT or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT is
 * set (and OTEL_SDK_DISABLED is not true): spans go over OTLP/HTTP, configured by
 * the standard OTEL_* variables (headers, timeout, service name). Off, every
 * function here costs a flag check, and a record's trace headers travel on
 * unchanged, so a stage without tracing does not cut the trace of the others.
 */
import { context, propagation, trace, SpanKind, SpanStatusCode, type Context, type Link, type Span, type SpanContext } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, SimpleSpanProcessor, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import type { IHeaders } from 'kafkajs';
import { headerString } from './kafka.js';
import { PIPELINE_VERSION } from './stage-metrics.js';

export { SpanKind, type Span, type SpanContext };

/** The record headers of W3C Trace Context. */
export const TRACE_HEADERS = { traceparent: 'traceparent', tracestate: 'tracestate' } as const;

/** A bulk request links at most this many other traces; the rest are counted in an attribute. */
export const MAX_LINKS = 128;

const TRACER = 'pra-pipeline';
const propagator = new W3CTraceContextPropagator();
const headerGetter = {
  keys: (carrier: IHeaders) => Object.keys(carrier),
  get: (carrier: IHeaders, key: string) => headerString(carrier[key]),
};

let provider: NodeTracerProvider | undefined;

export interface Tracing {
  readonly enabled: boolean;
  /** Exports what is buffered and stops. */
  shutdown(): Promise<void>;
}

export interface TracingOptions {
  /** service.name, unless OTEL_SERVICE_NAME says otherwise. */
  service: string;
  env?: NodeJS.ProcessEnv;
  /** An exporter of one's own (tests); spans go to it at once, whatever the environment says. */
  exporter?: SpanExporter;
}

/** Whether the environment asks for tracing. */
export function tracingRequested(env: NodeJS.ProcessEnv = process.env): boolean {
  if ((env.OTEL_SDK_DISABLED ?? '').trim().toLowerCase() === 'true') return false;
  if ((env.OTEL_TRACES_EXPORTER ?? '').trim().toLowerCase() === 'none') return false;
  return Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim() || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?.trim());
}

/**
 * Registers the tracer provider once per process, when the environment asks for
 * it or an exporter is given. A second call (the all-in-one mode starts several
 * services) reuses the first provider.
 */
export function startTracing(options: TracingOptions): Tracing {
  const env = options.env ?? process.env;
  if (provider) return { enabled: true, shutdown: async () => {} };
  if (!options.exporter && !tracingRequested(env)) return { enabled: false, shutdown: async () => {} };
  const own = new NodeTracerProvider({
    resource: resourceFromAttributes({
      'service.name': env.OTEL_SERVICE_NAME?.trim() || options.service,
      'service.version': PIPELINE_VERSION,
    }),
    spanProcessors: [options.exporter ? new SimpleSpanProcessor(options.exporter) : new BatchSpanProcessor(new OTLPTraceExporter())],
  });
  own.register({ propagator });
  provider = own;
  return {
    enabled: true,
    async shutdown() {
      if (provider !== own) return;
      provider = undefined;
      await own.shutdown();
      trace.disable();
      propagation.disable();
      context.disable();
    },
  };
}

export function tracingEnabled(): boolean {
  return provider !== undefined;
}

function tracer() {
  return trace.getTracer(TRACER, PIPELINE_VERSION);
}

/** The trace context a record's headers carry (the root context when none). */
export function contextFromHeaders(headers: IHeaders | undefined): Context {
  return propagator.extract(context.active(), headers ?? {}, headerGetter);
}

/** The span context a record's headers carry, if valid. */
export function spanContextFromHeaders(headers: IHeaders | undefined): SpanContext | undefined {
  if (!tracingEnabled() || !headers?.[TRACE_HEADERS.traceparent]) return undefined;
  const span = trace.getSpanContext(contextFromHeaders(headers));
  return span && trace.isSpanContextValid(span) ? span : undefined;
}

/** The headers that carry a context on: `traceparent` and, if any, `tracestate`. */
export function traceHeaders(ctx: Context = context.active()): Record<string, string> {
  const out: Record<string, string> = {};
  if (!tracingEnabled()) return out;
  propagator.inject(ctx, out, { set: (carrier, key, value) => (carrier[key] = value) });
  return out;
}

/** A record's own trace headers, to pass on unchanged when this stage does not trace. */
export function passTraceHeaders(headers: IHeaders | undefined): IHeaders {
  const out: IHeaders = {};
  for (const name of Object.values(TRACE_HEADERS)) {
    const value = headers?.[name];
    if (value !== undefined) out[name] = value;
  }
  return out;
}

export interface SpanOptions {
  kind?: SpanKind;
  attributes?: Record<string, string | number | boolean>;
  /** The parent; the active context when not given. */
  parent?: Context;
  links?: Link[];
}

/**
 * Runs `work` inside a span that ends with it: an error status and the
 * exception when it throws. Off, it only runs `work`.
 */
export async function inSpan<T>(name: string, options: SpanOptions, work: (span: Span | undefined) => Promise<T>): Promise<T> {
  if (!tracingEnabled()) return work(undefined);
  const { parent, ...spanOptions } = options;
  return tracer().startActiveSpan(name, spanOptions, parent ?? context.active(), async (span) => {
    try {
      return await work(span);
    } catch (err) {
      span.recordException(err as Error);
      span.setStatus({ code: SpanStatusCode.ERROR, message: (err as Error).message });
      throw err;
    } finally {
      span.end();
    }
  });
}

/** A span for work that is not a callback (the enricher maps a record synchronously); the caller ends it. */
export function startSpan(name: string, options: SpanOptions): Span | undefined {
  if (!tracingEnabled()) return undefined;
  const { parent, ...spanOptions } = options;
  return tracer().startSpan(name, spanOptions, parent ?? context.active());
}

/** The context of a span, for `traceHeaders`. */
export function contextOf(span: Span): Context {
  return trace.setSpan(context.active(), span);
}

/**
 * Parent and links for one request that carries many records (a bulk request):
 * the first record's trace is the parent, the others are links, at most MAX_LINKS.
 */
export function batchParent(spans: readonly (SpanContext | undefined)[]): { parent: Context; links: Link[]; traces: number } {
  const seen = new Set<string>();
  const links: Link[] = [];
  let first: SpanContext | undefined;
  for (const span of spans) {
    if (!span || seen.has(span.traceId)) continue;
    seen.add(span.traceId);
    if (!first) first = span;
    else if (links.length < MAX_LINKS) links.push({ context: span });
  }
  const root = context.active();
  return { parent: first ? trace.setSpanContext(root, first) : root, links, traces: seen.size };
}

/** Ends a span from `startSpan`, with an error status when the work failed. */
export function endSpan(span: Span | undefined, err?: unknown): void {
  if (!span) return;
  if (err !== undefined) {
    span.recordException(err as Error);
    span.setStatus({ code: SpanStatusCode.ERROR, message: (err as Error)?.message ?? String(err) });
  }
  span.end();
}

/** OpenTelemetry's own variables that the services honour, for the configuration reference. */
export const TRACING_VARIABLES: readonly { name: string; doc: string }[] = [
  { name: 'OTEL_EXPORTER_OTLP_ENDPOINT', doc: 'Turns tracing on: the OTLP/HTTP endpoint (`/v1/traces` is appended). Unset (the default): no spans, and records\' trace headers pass through unchanged.' },
  { name: 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', doc: 'Turns tracing on too: the full URL for traces, taking precedence over the one above.' },
  { name: 'OTEL_EXPORTER_OTLP_HEADERS', doc: 'Headers for the exporter\'s requests, e.g. `Authorization=ApiKey ...`; treat as a secret (`_FILE` is not read for it: mount it as an environment variable from a Secret).' },
  { name: 'OTEL_SERVICE_NAME', doc: 'service.name of the spans; default `pra-poller`, `pra-enricher`, `pra-sink`, or `pra-pipeline` for `start`.' },
  { name: 'OTEL_TRACES_SAMPLER', doc: 'Sampler (`parentbased_always_on` by default; e.g. `parentbased_traceidratio` with OTEL_TRACES_SAMPLER_ARG=0.1).' },
  { name: 'OTEL_SDK_DISABLED', doc: '`true` turns tracing off whatever the endpoint says; so does OTEL_TRACES_EXPORTER=none.' },
];
