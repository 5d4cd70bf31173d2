import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Metrics } from '@pra-pipeline/shared';

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
