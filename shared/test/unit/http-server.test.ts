import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Metrics, buildOpsApp } from '@pra-pipeline/shared';

test('livez, readyz per dependency, and metrics, without a port', async () => {
  let kafkaOk = true;
  const metrics = new Metrics({ defaultMetrics: false });
  metrics.counter('pra_things_total', 'Things.').inc();
  const app = buildOpsApp({
    metrics,
    readiness: {
      kafka: () => ({ ok: kafkaOk, detail: kafkaOk ? 'connected' : 'broker unreachable' }),
      elasticsearch: async () => ({ ok: true }),
    },
  });
  const live = await app.inject({ method: 'GET', url: '/livez' });
  assert.equal(live.statusCode, 200);

  const ready = await app.inject({ method: 'GET', url: '/readyz' });
  assert.equal(ready.statusCode, 200);
  assert.deepEqual(ready.json().dependencies.kafka, { ok: true, detail: 'connected' });

  kafkaOk = false;
  const notReady = await app.inject({ method: 'GET', url: '/readyz' });
  assert.equal(notReady.statusCode, 503);
  assert.equal(notReady.json().dependencies.kafka.detail, 'broker unreachable');
  assert.equal(notReady.json().dependencies.elasticsearch.ok, true);

  const text = await app.inject({ method: 'GET', url: '/metrics' });
  assert.equal(text.statusCode, 200);
  assert.match(text.body, /pra_things_total 1/);
  await app.close();
});

test('a readiness check that throws reports not ready with its message', async () => {
  const app = buildOpsApp({
    metrics: new Metrics({ defaultMetrics: false }),
    readiness: { registry: () => { throw new Error('ECONNREFUSED'); } },
  });
  const res = await app.inject({ method: 'GET', url: '/readyz' });
  assert.equal(res.statusCode, 503);
  assert.equal(res.json().dependencies.registry.detail, 'ECONNREFUSED');
  await app.close();
});
