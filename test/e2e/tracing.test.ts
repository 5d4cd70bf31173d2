/**
 * One trace per unit of work, across the stages, on the real servers: the
 * poller's request to the appliance, the enricher's mapping of each record, the
 * sink's bulk request and the Elasticsearch client's span under it. Spans go to
 * an in-process exporter; records carry the W3C trace context in their headers.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { createKafka, createLogger, headerString, Metrics, readTopicToEnd, startTracing, type Logger, type TopicMessage, type Tracing } from '@pra-pipeline/shared';
import { buildEnricher, type EnricherApp, loadEnricherConfig } from '@pra-pipeline/enricher';
import { PollerApp, loadPollerConfig } from '@pra-pipeline/poller';
import { buildSinkApp, loadSinkConfig, type SinkApp } from '@pra-pipeline/sink';
import type { FreezableClock, Simulator } from '@pra-pipeline/pra-simulator';
import { stackEnv, uniqueName } from '../harness/env.js';
import { compareIds, indexedIds, pipelineEnv, settle, settlingSimulator, sitesJson } from './support.js';

const stack = stackEnv();
const logger: Logger = createLogger({ service: 'e2e', level: 'silent' });
const run = uniqueName('trace');
const namespace = run.replace(/[^a-z0-9]/g, '');
const env = pipelineEnv(run, stack);
const exporter = new InMemorySpanExporter();

let tracing: Tracing;
let simulator: Simulator;
let clock: FreezableClock;
let poller: PollerApp;
let enricher: EnricherApp;
let sink: SinkApp;

before(async () => {
  tracing = startTracing({ service: 'pra-e2e', exporter });
  ({ simulator, clock } = await settlingSimulator({ seed: 77, historySeconds: 20 * 60 }));
  env.PRA_SITES = sitesJson(simulator, namespace);
  const metrics = new Metrics({ defaultMetrics: false });
  enricher = buildEnricher(loadEnricherConfig({ env }).config, { logger, metrics });
  sink = buildSinkApp(loadSinkConfig({ env }).config, { logger, metrics });
  poller = new PollerApp({ config: loadPollerConfig({ env }), logger, metrics });
  await enricher.start();
  await sink.start();
  await poller.start();
});

after(async () => {
  await poller?.stop();
  await enricher?.stop(10_000);
  await sink?.stop(10_000);
  await simulator?.stop();
  await tracing?.shutdown();
});

const parentOf = (span: ReadableSpan) => span.parentSpanContext?.spanId;
const idOf = (span: ReadableSpan) => span.spanContext().spanId;
const traceOf = (span: ReadableSpan) => span.spanContext().traceId;

test('an event\'s spans, from the appliance request to the bulk request, share one trace id', async () => {
  await new Promise((r) => setTimeout(r, 3000));
  clock.freeze();
  const expected = new Set(simulator.expectedEventIds());
  assert.ok(expected.size > 0);
  const final = await settle(
    async () => compareIds(expected, await indexedIds(stack.esNode, namespace)),
    (c) => c.missing === 0 && c.extra === 0 && c.duplicated === 0,
    120_000,
    1000,
  );
  assert.deepEqual(final, { missing: 0, extra: 0, duplicated: 0 });
  // The sink's spans end once its bulk requests are answered; give the last one a moment.
  await new Promise((r) => setTimeout(r, 500));

  const spans = exporter.getFinishedSpans();
  const named = (name: string) => spans.filter((s) => s.name === name);
  const units = named('pra.poller.unit');
  const requests = named('GET /api/reporting');
  const maps = named('pra.enricher.map');
  const bulks = named('pra.sink.bulk');
  const esBulks = named('bulk');
  for (const [name, list] of Object.entries({ units, requests, maps, bulks, esBulks })) assert.ok(list.length > 0, `no ${name} span`);

  // Every enriched record names the enricher span that mapped it, whose parent is a poller unit of the same trace.
  const kafka = createKafka({ kafkaBrokers: stack.kafkaBrokers, kafkaClientId: 'trace-test' }, logger);
  const records: TopicMessage[] = [];
  await readTopicToEnd(kafka, `${run}.ecs`, (m) => void records.push(m), { logger });
  assert.ok(records.length >= expected.size, `${records.length} enriched records`);
  const byId = new Map(spans.map((s) => [idOf(s), s]));
  const traces = new Set<string>();
  for (const record of records) {
    const traceparent = headerString(record.headers?.traceparent);
    assert.ok(traceparent, 'an enriched record without traceparent');
    const [, traceId, spanId] = /^00-([0-9a-f]{32})-([0-9a-f]{16})-0[01]$/.exec(traceparent) ?? [];
    assert.ok(traceId && spanId, `not a W3C traceparent: ${traceparent}`);
    const map = byId.get(spanId);
    assert.equal(map?.name, 'pra.enricher.map', 'the record names its enricher span');
    assert.equal(traceOf(map!), traceId);
    const unit = byId.get(parentOf(map!) ?? '');
    assert.equal(unit?.name, 'pra.poller.unit', 'the enricher span is a child of the poller unit that published the record');
    assert.equal(traceOf(unit!), traceId);
    traces.add(traceId);
  }

  // Each unit's trace holds its request to the appliance.
  for (const traceId of traces) {
    const request = requests.find((s) => traceOf(s) === traceId);
    assert.ok(request, `trace ${traceId}: no request span`);
    assert.equal(byId.get(parentOf(request) ?? '')?.name, 'pra.poller.unit');
  }

  // A bulk request joins its first record's trace and links the others; the client's span is its child.
  const reached = new Set<string>();
  for (const bulk of bulks) {
    reached.add(traceOf(bulk));
    for (const link of bulk.links) reached.add(link.context.traceId);
    const child = esBulks.find((s) => parentOf(s) === idOf(bulk));
    assert.ok(child, 'the Elasticsearch client\'s bulk span is a child of the sink\'s');
    assert.equal(traceOf(child), traceOf(bulk));
  }
  for (const traceId of traces) assert.ok(reached.has(traceId), `trace ${traceId} reached no bulk request`);

  // At least one trace holds all four: request, mapping, bulk request, client span.
  const whole = [...traces].filter((t) => bulks.some((b) => traceOf(b) === t) && esBulks.some((s) => traceOf(s) === t));
  assert.ok(whole.length > 0, 'no trace from the appliance request to Elasticsearch');
});
