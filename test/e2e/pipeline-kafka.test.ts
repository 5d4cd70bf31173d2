/**
 * The whole pipeline on the real servers: simulator (two sites, running
 * sessions, faults) -> poller -> Kafka -> enricher -> Kafka -> sink ->
 * Elasticsearch. Once the appliance stops changing, the event ids in the data
 * stream equal the simulator's ground truth: none missing, none extra, each once.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createKafka, createLogger, createRegistry, decodeValue, Metrics, readTopicToEnd, type Logger } from '@pra-pipeline/shared';
import { buildEnricher, type EnricherApp, loadEnricherConfig } from '@pra-pipeline/enricher';
import { PollerApp, loadPollerConfig } from '@pra-pipeline/poller';
import { buildSinkApp, loadSinkConfig, type SinkApp } from '@pra-pipeline/sink';
import { GEO_ADDRESSES, type FreezableClock, type Simulator } from '@pra-pipeline/pra-simulator';
import { stackEnv, uniqueName } from '../harness/env.js';
import { compareIds, countIds, indexedIds, pipelineEnv, settle, settlingSimulator, sitesJson, DATA_STREAM_PREFIX } from './support.js';

const stack = stackEnv();
const logger: Logger = createLogger({ service: 'e2e', level: (process.env.TEST_LOG_LEVEL as 'info' | undefined) ?? 'silent' });
const run = uniqueName('e2e');
const namespace = run.replace(/[^a-z0-9]/g, '');
const env = pipelineEnv(run, stack);

let simulator: Simulator;
let clock: FreezableClock;
let poller: PollerApp;
let enricher: EnricherApp;
let sink: SinkApp;
let metrics: Metrics;

before(async () => {
  ({ simulator, clock } = await settlingSimulator({
    seed: 2024,
    faults: [
      { kind: 'token-expiry', lifetimeSeconds: 0, times: 2 },
      { kind: 'status', status: 429, retryAfter: 1, endpoint: 'reporting', rate: 0.05 },
      { kind: 'status', status: 503, endpoint: 'reporting', rate: 0.05 },
      { kind: 'reset', afterBytes: 2000, endpoint: 'reporting', rate: 0.03 },
      { kind: 'truncate', afterBytes: 3000, endpoint: 'reporting', rate: 0.03 },
    ],
  }));
  env.PRA_SITES = sitesJson(simulator, namespace);
  metrics = new Metrics({ defaultMetrics: false });
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
});

test('Elasticsearch holds exactly the events the appliance recorded, each once, with GeoIP', async () => {
  // Let sessions run and grow across several polls before the appliance stops changing.
  await new Promise((r) => setTimeout(r, 8000));
  clock.freeze();
  const expected = new Set(simulator.expectedEventIds());
  assert.ok(expected.size > 500, `the simulator should have recorded a realistic amount of events (${expected.size})`);

  const final = await settle(
    async () => compareIds(expected, await indexedIds(stack.esNode, namespace)),
    (c) => c.missing === 0 && c.extra === 0 && c.duplicated === 0,
    180_000,
    2000,
  );
  assert.deepEqual(final, { missing: 0, extra: 0, duplicated: 0 }, `expected ${expected.size} events`);

  // GeoIP from the test databases reached the documents, with the answers those databases give.
  const res = await fetch(`${stack.esNode}/${DATA_STREAM_PREFIX}${namespace}/_search`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ size: 50, query: { exists: { field: 'source.geo.city_name' } }, track_total_hits: true }),
  });
  const body = (await res.json()) as { hits: { total: { value: number }; hits: { _source: { source: { ip: string; geo: { city_name: string } } } }[] } };
  assert.ok(body.hits.total.value > 0, 'no document carries source.geo');
  for (const hit of body.hits.hits) {
    const known = GEO_ADDRESSES.find((g) => g.ip === hit._source.source.ip);
    assert.equal(hit._source.source.geo.city_name, known?.city, `city of ${hit._source.source.ip}`);
  }

  // Another team's consumer, read committed: every record decodes with the registry's schema, and each event comes once.
  const kafka = createKafka({ kafkaBrokers: stack.kafkaBrokers, kafkaClientId: 'e2e-reader' }, logger);
  const registry = createRegistry({ schemaRegistryUrl: stack.schemaRegistryUrl });
  const values: Buffer[] = [];
  await readTopicToEnd(kafka, `${run}.ecs`, (m) => { if (m.value) values.push(m.value); }, { logger });
  const decoded = await Promise.all(values.map((v) => decodeValue<{ event: { id: string } }>(registry, v)));
  assert.deepEqual(compareIds(expected, countIds(decoded.map((d) => d.event.id))), { missing: 0, extra: 0, duplicated: 0 });
  assert.equal(values.length, expected.size, 'one record per event on the enriched topic');
  // So the sink never met an event it had indexed already.
  const duplicates = (await metrics.registry.getSingleMetric('pra_sink_documents_duplicate_total')?.get())?.values.reduce((n, v) => n + v.value, 0);
  assert.equal(duplicates, 0, 'documents the sink found already indexed');

  // Nothing was dead-lettered on the way.
  const dead: unknown[] = [];
  await readTopicToEnd(kafka, `${run}.dlq`, (m) => dead.push(m), { logger }).catch((err: Error) => {
    if (!/does not host this topic-partition|not exist/i.test(err.message)) throw err;
  });
  assert.equal(dead.length, 0);
});
