import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BulkDispatcher, type Outcome } from '../../src/bulk-dispatcher.js';
import { ElasticsearchHealth } from '../../src/es-health.js';
import { fakeSend, fastRetry, operation, quiet, sleep, testMetrics } from './fake-elasticsearch.js';

test('health goes down at the first failed request and up at the next answer, with the gauge', () => {
  const gauge: number[] = [];
  let now = 1_000_000;
  const health = new ElasticsearchHealth({ gauge: { set: (v) => gauge.push(v) }, logger: quiet, now: () => now });
  assert.deepEqual(gauge, [1], 'up before anything was sent');
  assert.deepEqual(health.status(0), { ok: true, detail: 'bulk requests succeed' });

  assert.equal(health.requestFailed('ConnectionError: connect ECONNREFUSED', {}), 1);
  now += 12_000;
  assert.equal(health.requestFailed('TimeoutError: Request timed out', {}), 2, 'failures in a row set the backoff');
  assert.deepEqual(gauge, [1, 0], 'the gauge drops once per outage');
  const down = health.status(42);
  assert.equal(down.ok, false);
  assert.equal(down.detail, 'waiting for Elasticsearch for 12s (42 documents held): TimeoutError: Request timed out');

  health.requestAnswered();
  assert.deepEqual(gauge, [1, 0, 1]);
  assert.equal(health.failures, 0);
  assert.equal(health.status(0).ok, true);
  health.requestAnswered();
  assert.deepEqual(gauge, [1, 0, 1], 'answers while up change nothing');
});

test('item retries note their cause but do not mark Elasticsearch down', () => {
  const gauge: number[] = [];
  const health = new ElasticsearchHealth({ gauge: { set: (v) => gauge.push(v) }, logger: quiet });
  health.itemsRetried('es_rejected_execution_exception (HTTP 429)');
  assert.equal(health.up, true);
  assert.equal(health.lastFailure, 'es_rejected_execution_exception (HTTP 429)');
  assert.deepEqual(gauge, [1]);
});

test('an outage seen through the dispatcher: the gauge reads 0 while requests fail and 1 once they are answered', async () => {
  const { metrics, value } = testMetrics();
  const health = new ElasticsearchHealth({ gauge: metrics.elasticsearchUp, logger: quiet });
  let reachable = false;
  const es = fakeSend(() => (reachable ? 201 : Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9200'), { name: 'ConnectionError' })));
  const outcomes: Outcome[] = [];
  const d = new BulkDispatcher({ send: es.send, concurrency: 1, retry: fastRetry, health, onOutcome: (_i, o) => outcomes.push(o), documentsHeld: () => 1, metrics, logger: quiet });
  d.submit([{ operation: operation('a'), failures: 0 }]);
  while (es.calls.length < 3) await sleep(2);
  assert.equal(await value('pra_sink_elasticsearch_up'), 0);
  assert.equal(health.status(1).ok, false);
  assert.match(health.status(1).detail, /ConnectionError: connect ECONNREFUSED/);
  assert.ok(d.waiting > 0 || d.inFlight > 0, 'the document is kept, not dropped');
  assert.equal(outcomes.length, 0);
  reachable = true;
  while (outcomes.length === 0) await sleep(2);
  assert.deepEqual(outcomes, [{ result: 'indexed' }]);
  assert.equal(await value('pra_sink_elasticsearch_up'), 1);
  assert.equal(health.up, true);
});
