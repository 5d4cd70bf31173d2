/**
 * Elasticsearch stops for a minute in the middle of a run (the harness ends its
 * process, then starts it again on the same data). Every document arrives, none
 * twice, and the documents the sink holds stay within SINK_MAX_BUFFER_BYTES.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startServer, stopServer } from '../../../../test/harness/control.js';
import {
  allIds,
  countDocs,
  createTopics,
  deleteDataStream,
  deleteTopics,
  makeDocument,
  metricValue,
  produce,
  sinkEnv,
  startSink,
  integrationContext,
  suffix,
  waitFor,
  wireFormat,
} from './helpers.js';

const OUTAGE_MS = 60_000;
const MAX_BUFFER = 256 * 1024;
const BEFORE = 2000;
const DURING = 3000;

const { kafka, es, cleanups } = integrationContext();

test('Elasticsearch down for a minute: every document arrives once, memory stays within the buffer', { timeout: 600_000 }, async (t) => {
  const s = suffix();
  const n = { topic: `sink-outage-${s}`, group: `sink-outage-${s}`, dlq: `sink-outage-dlq-${s}`, namespace: `out${s}` };
  cleanups.push(() => deleteTopics(kafka, [n.topic, n.dlq]), () => deleteDataStream(es, n.namespace));
  await createTopics(kafka, [n.topic, n.dlq]);
  const wire = await wireFormat(n.topic);
  const doc = (i: number) => ({ key: `site/${i % 13}`, value: wire(makeDocument(n.namespace, i, { padding: 'x'.repeat(300) })) });
  await produce(kafka, n.topic, Array.from({ length: BEFORE }, (_, i) => doc(i)));

  const sink = await startSink(
    sinkEnv(n, { SINK_MAX_BUFFER_BYTES: String(MAX_BUFFER), BULK_MAX_BYTES: String(64 * 1024), BULK_MAX_DOCUMENTS: '100', BULK_RETRY_MAX: '2s' }),
  );
  cleanups.push(sink.stop);
  const stage = sink.app.stage;
  let peakBuffered = 0;
  let peakHeap = 0;
  let peakRss = 0;
  const sampler = setInterval(() => {
    peakBuffered = Math.max(peakBuffered, stage.bufferedBytes);
    const mem = process.memoryUsage();
    peakHeap = Math.max(peakHeap, mem.heapUsed);
    peakRss = Math.max(peakRss, mem.rss);
  }, 10);
  cleanups.push(async () => clearInterval(sampler));

  await waitFor('the first documents', async () => ((await countDocs(es, n.namespace)) > 0 ? true : undefined));
  await stopServer('elasticsearch');
  const stoppedAt = Date.now();
  let restarted = false;
  cleanups.push(async () => {
    if (!restarted) await startServer('elasticsearch');
  });

  // More records arrive while Elasticsearch is away; the sink must hold them without growing.
  await produce(kafka, n.topic, Array.from({ length: DURING }, (_, i) => doc(BEFORE + i)));
  const down = await waitFor('readiness to report Elasticsearch', async () => {
    const status = await sink.app.readiness.elasticsearch?.();
    return status && !status.ok ? status : undefined;
  });
  assert.match(down.detail ?? '', /waiting for Elasticsearch/);
  assert.equal(sink.app.stage.hasRoom(), false, 'consumption is paused while documents wait');

  await new Promise((r) => setTimeout(r, Math.max(0, OUTAGE_MS - (Date.now() - stoppedAt))));
  await startServer('elasticsearch');
  restarted = true;

  const total = BEFORE + DURING;
  await waitFor(`${total} documents`, async () => ((await countDocs(es, n.namespace)) >= total ? true : undefined), 240_000, 1000);
  const ids = await allIds(es, n.namespace);
  assert.equal(ids.length, total, 'no document twice');
  const present = new Set(ids);
  assert.deepEqual(Array.from({ length: total }, (_, i) => `${n.namespace}-${i}`).filter((id) => !present.has(id)), [], 'no document missing');
  await waitFor('readiness to recover', async () => ((await sink.app.readiness.elasticsearch?.())?.ok ? true : undefined));
  assert.ok((await metricValue(sink.metrics, 'pra_sink_documents_retried_total', 'reason="request"')) > 0, 'requests were retried');
  clearInterval(sampler);

  t.diagnostic(`peak buffered ${peakBuffered} bytes of ${MAX_BUFFER} allowed; peak heap ${(peakHeap / 1048576).toFixed(1)} MiB, peak rss ${(peakRss / 1048576).toFixed(1)} MiB (test process)`);
  assert.ok(peakBuffered > 0);
  assert.ok(peakBuffered <= MAX_BUFFER, `peak buffered ${peakBuffered} exceeds ${MAX_BUFFER}`);
});
