import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import {
  batchParent,
  contextFromHeaders,
  endSpan,
  inSpan,
  MAX_LINKS,
  passTraceHeaders,
  spanContextFromHeaders,
  startSpan,
  startTracing,
  traceHeaders,
  tracingEnabled,
  tracingRequested,
  contextOf,
} from '../../src/tracing.js';

const TRACEPARENT = /^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/;

test('tracing is asked for by an OTLP endpoint, and refused by OTEL_SDK_DISABLED or OTEL_TRACES_EXPORTER=none', () => {
  assert.equal(tracingRequested({}), false);
  assert.equal(tracingRequested({ OTEL_EXPORTER_OTLP_ENDPOINT: ' ' }), false);
  assert.equal(tracingRequested({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318' }), true);
  assert.equal(tracingRequested({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://127.0.0.1:4318/v1/traces' }), true);
  assert.equal(tracingRequested({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318', OTEL_SDK_DISABLED: 'TRUE' }), false);
  assert.equal(tracingRequested({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318', OTEL_TRACES_EXPORTER: 'none' }), false);
});

test('off: no spans, no headers of its own, a record\'s trace headers pass on unchanged', async () => {
  const off = startTracing({ service: 't', env: {} });
  assert.equal(off.enabled, false);
  assert.equal(tracingEnabled(), false);
  assert.deepEqual(traceHeaders(), {});
  assert.equal(startSpan('x', {}), undefined);
  assert.equal(await inSpan('x', {}, async (span) => span), undefined);
  const headers = { traceparent: Buffer.from('00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01'), tracestate: 'a=b', 'pra.site': 'east' };
  assert.deepEqual(passTraceHeaders(headers), { traceparent: headers.traceparent, tracestate: 'a=b' });
  assert.deepEqual(passTraceHeaders(undefined), {});
  assert.equal(spanContextFromHeaders(headers), undefined, 'nothing is parsed while off');
});

test('on: a span\'s headers carry its context, a child of the headers\' context joins the trace, errors mark the span', async () => {
  const exporter = new InMemorySpanExporter();
  const tracing = startTracing({ service: 't', exporter, env: {} });
  try {
    assert.equal(tracing.enabled, true);
    const parent = startSpan('parent', {})!;
    const headers = traceHeaders(contextOf(parent));
    assert.match(headers.traceparent!, TRACEPARENT);
    assert.equal(headers.traceparent!.split('-')[1], parent.spanContext().traceId);
    endSpan(parent);

    const carried = spanContextFromHeaders({ traceparent: Buffer.from(headers.traceparent!) });
    assert.equal(carried?.traceId, parent.spanContext().traceId);
    assert.equal(spanContextFromHeaders({ traceparent: 'garbage' }), undefined);

    await assert.rejects(inSpan('child', { parent: contextFromHeaders({ traceparent: headers.traceparent! }) }, async () => {
      throw new Error('boom');
    }), /boom/);
    const child = exporter.getFinishedSpans().find((s) => s.name === 'child')!;
    assert.equal(child.spanContext().traceId, parent.spanContext().traceId);
    assert.equal(child.parentSpanContext?.spanId, parent.spanContext().spanId);
    assert.equal(child.status.code, 2, 'error status');
    assert.equal(child.events[0]?.name, 'exception');
  } finally {
    await tracing.shutdown();
  }
  assert.equal(tracingEnabled(), false, 'shutdown turns it off');
});

test('a batch: the first trace is the parent, each other trace one link, at most MAX_LINKS', () => {
  const span = (n: number) => ({ traceId: n.toString(16).padStart(32, '0'), spanId: n.toString(16).padStart(16, '1'), traceFlags: 1 });
  const many = [undefined, span(1), span(1), span(2), ...Array.from({ length: MAX_LINKS + 10 }, (_, i) => span(i + 3))];
  const { links, traces } = batchParent(many);
  assert.equal(traces, MAX_LINKS + 12);
  assert.equal(links.length, MAX_LINKS);
  assert.equal(links[0]!.context.traceId, span(2).traceId, 'the repeated first trace is not linked');
  assert.deepEqual(batchParent([undefined]).links, []);
});
