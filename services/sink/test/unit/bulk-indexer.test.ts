import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BulkIndexer, type BulkSend } from '../../src/bulk-indexer.js';
import { fakeSend, fastRetry, operation, quiet, sleep, testMetrics } from './fake-elasticsearch.js';

function indexer(send: BulkSend, limits = { maxDocuments: 3, maxBytes: 1_000_000, lingerMs: 10_000 }) {
  const { metrics, value } = testMetrics();
  const ix = new BulkIndexer({ send, limits, concurrency: 2, retry: fastRetry, documentsHeld: () => 0, metrics, logger: quiet });
  const doc = (id: string, padding = '') => ({ id, index: 'logs-test-default', operation: operation(id, padding) });
  return { ix, doc, value };
}

test('documents go out in batches of the document limit, each resolving with its outcome', async () => {
  const es = fakeSend((id) => (id === 'd1' ? 409 : 201));
  const { ix, doc } = indexer(es.send);
  const outcomes = ['d0', 'd1', 'd2', 'd3', 'd4', 'd5'].map((id) => ix.index(doc(id)));
  assert.deepEqual(await Promise.all(outcomes), [{ result: 'indexed' }, { result: 'duplicate' }, { result: 'indexed' }, { result: 'indexed' }, { result: 'indexed' }, { result: 'indexed' }]);
  assert.deepEqual(es.calls.map((c) => c.ids), [['d0', 'd1', 'd2'], ['d3', 'd4', 'd5']]);
  ix.abandon();
});

test('a batch closes before the byte limit is passed', async () => {
  const es = fakeSend(() => 201);
  const size = operation('a', 'x'.repeat(100)).length;
  const { ix, doc } = indexer(es.send, { maxDocuments: 100, maxBytes: size * 2 + 1, lingerMs: 10_000 });
  const outcomes = ['a', 'b', 'c'].map((id) => ix.index(doc(id, 'x'.repeat(100))));
  await Promise.all(outcomes.slice(0, 2));
  assert.deepEqual(es.calls.map((c) => c.ids), [['a', 'b']]);
  ix.flush();
  await outcomes[2];
  assert.deepEqual(es.calls.at(-1)?.ids, ['c']);
});

test('an open batch goes out at the end of its linger time, or at once on flush', async () => {
  const es = fakeSend(() => 201);
  const { ix, doc } = indexer(es.send, { maxDocuments: 100, maxBytes: 1_000_000, lingerMs: 40 });
  const started = Date.now();
  await ix.index(doc('late'));
  assert.ok(Date.now() - started >= 39, 'sent after the linger time');
  const flushed = ix.index(doc('now'));
  ix.flush();
  const flushedAt = Date.now();
  await flushed;
  assert.ok(Date.now() - flushedAt < 40, 'flush does not wait for the linger time');
  assert.deepEqual(es.calls.map((c) => c.ids), [['late'], ['now']]);
});

test('while documents wait for a retry the indexer says so, and whenRetriesSent resolves once they have gone out', async () => {
  const es = fakeSend((_id, attempt) => (attempt < 3 ? 429 : 201));
  const { ix, doc } = indexer(es.send, { maxDocuments: 1, maxBytes: 1_000_000, lingerMs: 10_000 });
  const outcome = ix.index(doc('a'));
  while (ix.retrying === 0) await sleep(1);
  await ix.whenRetriesSent();
  assert.deepEqual(await outcome, { result: 'indexed' });
  assert.equal(ix.retrying, 0);
  assert.equal(es.attempts.get('a'), 3);
});

test('after abandon nothing more is taken or sent', async () => {
  const es = fakeSend(() => 201);
  const { ix, doc } = indexer(es.send, { maxDocuments: 100, maxBytes: 1_000_000, lingerMs: 5 });
  void ix.index(doc('a'));
  ix.abandon();
  await sleep(20);
  assert.equal(es.calls.length, 0);
  assert.throws(() => ix.index(doc('b')), /abandoned/);
});
