import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Metrics, PIPELINE_VERSION, recordBuildInfo, stageMetrics } from '@pra-pipeline/shared';

test('exposes default process metrics and our own', async () => {
  const metrics = new Metrics();
  metrics.counter('pra_events_received_total', 'Events received.', ['stage']).inc({ stage: 'enrich' }, 3);
  const text = await metrics.text();
  assert.match(text, /process_cpu_user_seconds_total/);
  assert.match(text, /pra_events_received_total\{stage="enrich"\} 3/);
});

test('enforces Prometheus naming', () => {
  const metrics = new Metrics({ defaultMetrics: false });
  assert.throws(() => metrics.counter('pra_events_received', 'x'), /must end in _total/);
  assert.throws(() => metrics.counter('events_total', 'x'), /pra_ prefix/);
  assert.throws(() => metrics.histogram('pra_bulk_duration_ms', 'x'), /base units/);
  assert.throws(() => metrics.gauge('pra_open_total', 'x'), /Only counters/);
  assert.throws(() => metrics.counter('pra_docs_total', 'x', ['lsid']), /unbounded/);
  assert.throws(() => metrics.counter('pra_docs_total', 'x', ['url']), /unbounded/);
});

test('declaring the same metric twice returns the same one', () => {
  const metrics = new Metrics({ defaultMetrics: false });
  const a = metrics.counter('pra_x_total', 'x');
  const b = metrics.counter('pra_x_total', 'x');
  assert.equal(a, b);
});

test('declaring a name again with another kind, labels or buckets throws instead of handing back the first', () => {
  const metrics = new Metrics({ defaultMetrics: false });
  metrics.counter('pra_y_total', 'y', ['stage', 'code']);
  assert.equal(metrics.counter('pra_y_total', 'y', ['code', 'stage']), metrics.counter('pra_y_total', 'y', ['stage', 'code']), 'label order does not matter');
  assert.throws(() => metrics.counter('pra_y_total', 'y', ['code', 'stage', 'site']), /already registered/);
  metrics.histogram('pra_z_seconds', 'z', [], [1, 2]);
  assert.throws(() => metrics.histogram('pra_z_seconds', 'z', [], [1, 5]), /already registered/);
  metrics.gauge('pra_g', 'g');
  assert.throws(() => metrics.gauge('pra_g', 'g', ['stage']), /already registered/);
});

test('every stage counts dead letters, errors and lag under one definition, labelled with its stage and an error code', async () => {
  const metrics = new Metrics({ defaultMetrics: false });
  const poller = stageMetrics(metrics, 'poller');
  const sink = stageMetrics(metrics, 'sink');
  poller.deadLetter('PIPE_XML_LIMIT');
  sink.deadLetter('PIPE_ES_ITEM_REJECTED', 2);
  sink.error('PIPE_ES_REQUEST');
  sink.lag('topic', 3, 42);
  recordBuildInfo(metrics);
  const text = await metrics.text();
  assert.match(text, /pra_dead_letters_total\{stage="poller",code="PIPE_XML_LIMIT"\} 1/);
  assert.match(text, /pra_dead_letters_total\{stage="sink",code="PIPE_ES_ITEM_REJECTED"\} 2/);
  assert.match(text, /pra_errors_total\{stage="sink",code="PIPE_ES_REQUEST"\} 1/);
  assert.match(text, /pra_consumer_lag_records\{stage="sink",topic="topic",partition="3"\} 42/);
  assert.match(text, new RegExp(`pra_build_info\\{version="${PIPELINE_VERSION.replace(/\./g, '\\.')}"\\} 1`));
  sink.forgetLag('topic', 3);
  assert.doesNotMatch(await metrics.text(), /pra_consumer_lag_records\{/);
});
