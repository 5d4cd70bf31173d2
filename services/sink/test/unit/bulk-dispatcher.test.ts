import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BulkDispatcher, type BulkSend, type Outcome, type Sendable } from '../../src/bulk-dispatcher.js';
import { ElasticsearchHealth } from '../../src/es-health.js';
import type { RetrySchedule } from '../../src/retry-schedule.js';
import { fakeSend, fastRetry, httpError, operation, quiet, sleep, testMetrics } from './fake-elasticsearch.js';

interface Doc extends Sendable {
  id: string;
}

function dispatcher(send: BulkSend, options: { retry?: RetrySchedule; concurrency?: number; requestTimeoutMs?: number } = {}) {
  const { metrics, value } = testMetrics();
  const outcomes = new Map<string, Outcome>();
  const health = new ElasticsearchHealth({ gauge: metrics.elasticsearchUp, logger: quiet });
  const d = new BulkDispatcher<Doc>({
    send,
    concurrency: options.concurrency ?? 2,
    retry: options.retry ?? fastRetry,
    requestTimeoutMs: options.requestTimeoutMs,
    health,
    onOutcome: (item, outcome) => {
      assert.equal(outcomes.has(item.id), false, `${item.id} has one outcome only`);
      outcomes.set(item.id, outcome);
    },
    documentsHeld: () => 0,
    metrics,
    logger: quiet,
  });
  const docs = (...ids: string[]): Doc[] => ids.map((id) => ({ id, operation: operation(id), failures: 0 }));
  const settled = async (count: number, timeoutMs = 5000) => {
    const until = Date.now() + timeoutMs;
    while (outcomes.size < count && Date.now() < until) await sleep(2);
    return outcomes;
  };
  return { d, docs, outcomes, settled, health, value };
}

test('a partial failure: 201s are indexed, 409s are duplicates, 400s rejected, and only the 429s and 5xx go again', async () => {
  const script: Record<string, number[]> = { ok: [201], dup: [409], bad: [400], busy: [429, 201], down: [503, 500, 201] };
  const es = fakeSend((id, attempt) => script[id]?.[attempt - 1] ?? 599);
  const { d, docs, settled, value } = dispatcher(es.send);
  d.submit(docs('ok', 'dup', 'bad', 'busy', 'down'));
  const outcomes = await settled(5);
  assert.deepEqual(outcomes.get('ok'), { result: 'indexed' });
  assert.deepEqual(outcomes.get('dup'), { result: 'duplicate' });
  const bad = outcomes.get('bad');
  assert.equal(bad?.result, 'rejected');
  assert.equal(bad.result === 'rejected' && bad.code, 'PIPE_ES_ITEM_REJECTED');
  assert.deepEqual(outcomes.get('busy'), { result: 'indexed' });
  assert.deepEqual(outcomes.get('down'), { result: 'indexed' });
  // Retries carry only the items that failed, never the settled ones.
  assert.deepEqual(es.calls.map((c) => c.ids), [['ok', 'dup', 'bad', 'busy', 'down'], ['busy', 'down'], ['down']]);
  assert.equal(await value('pra_sink_documents_retried_total', { reason: 'item' }), 3);
  assert.equal(await value('pra_errors_total', { code: 'PIPE_ES_ITEM_RETRYABLE' }), 3);
  assert.equal(await value('pra_sink_elasticsearch_up'), 1, 'an answered request keeps Elasticsearch up');
});

test('a 429 storm: the backoff grows, nothing is dropped, and every document is finally indexed', async () => {
  const stormCalls = 6;
  const es = fakeSend((_id, _attempt, call) => (call <= stormCalls ? { status: 429, type: 'es_rejected_execution_exception' } : 201));
  const { d, docs, settled, value } = dispatcher(es.send, { retry: { baseMs: 4, maxMs: 200, itemRetryLimit: 0, random: () => 1 } });
  const ids = Array.from({ length: 20 }, (_, i) => `doc-${i}`);
  d.submit(docs(...ids));
  const outcomes = await settled(ids.length);
  assert.equal(outcomes.size, ids.length);
  for (const id of ids) assert.deepEqual(outcomes.get(id), { result: 'indexed' }, id);
  assert.equal(es.calls.length, stormCalls + 1);
  for (const call of es.calls) assert.deepEqual(call.ids, ids, 'every retry carries every document');
  // Delays are 4, 8, 16, 32, 64, 128 ms: each gap at least its delay, and the last far longer than the first.
  const gaps = es.calls.slice(1).map((c, i) => c.at - (es.calls[i] as { at: number }).at);
  gaps.forEach((gap, i) => assert.ok(gap >= 4 * 2 ** i - 1, `gap ${i} is ${gap} ms`));
  assert.ok((gaps.at(-1) as number) > 4 * (gaps[0] as number), `backoff grows: ${gaps.join(', ')}`);
  assert.equal(await value('pra_sink_documents_retried_total', { reason: 'item' }), stormCalls * ids.length);
  assert.equal(d.waiting, 0);
});

test('a request that hangs is timed out and sent again; its documents are indexed', async () => {
  const es = fakeSend((_id, attempt) => (attempt === 1 ? 'hang' : 201));
  const { d, docs, settled, value, health } = dispatcher(es.send, { requestTimeoutMs: 30 });
  d.submit(docs('a', 'b'));
  const outcomes = await settled(2);
  assert.deepEqual([...outcomes.values()], [{ result: 'indexed' }, { result: 'indexed' }]);
  assert.equal(es.calls.length, 2);
  assert.ok((es.calls[1] as { at: number }).at - (es.calls[0] as { at: number }).at >= 29, 'the retry waited for the timeout');
  assert.equal(await value('pra_sink_documents_retried_total', { reason: 'request' }), 2);
  assert.equal(await value('pra_errors_total', { code: 'PIPE_ES_REQUEST' }), 1);
  assert.equal(health.up, true, 'the answer after the timeout marks Elasticsearch up again');
});

test('a request that hangs and ignores its signal still times out', async () => {
  let calls = 0;
  const send: BulkSend = async () => {
    calls++;
    if (calls === 1) return new Promise(() => undefined);
    return { errors: false };
  };
  const { d, docs, settled } = dispatcher(send, { requestTimeoutMs: 20 });
  d.submit(docs('x'));
  const outcomes = await settled(1);
  assert.deepEqual(outcomes.get('x'), { result: 'indexed' });
  assert.equal(calls, 2);
});

test('after the item retry limit a document is rejected with the reason of its last failure', async () => {
  const es = fakeSend((id) => (id === 'stuck' ? { status: 503, type: 'unavailable_shards_exception', reason: 'primary shard is not active' } : 201));
  const { d, docs, settled, value } = dispatcher(es.send, { retry: { ...fastRetry, itemRetryLimit: 3 } });
  d.submit(docs('stuck', 'fine'));
  const outcomes = await settled(2);
  assert.deepEqual(outcomes.get('fine'), { result: 'indexed' });
  const stuck = outcomes.get('stuck');
  assert.ok(stuck?.result === 'rejected');
  assert.equal(stuck.code, 'PIPE_ES_ITEM_RETRYABLE');
  assert.equal(stuck.status, 503);
  assert.equal(stuck.errorType, 'unavailable_shards_exception');
  assert.match(stuck.reason, /^Gave up after 3 attempts: unavailable_shards_exception: primary shard is not active/);
  assert.equal(es.attempts.get('stuck'), 3);
  assert.equal(await value('pra_sink_documents_retried_total', { reason: 'item' }), 2);
});

test('a request too large (413) is halved until each part fits; a single document too large is rejected', async () => {
  const es = fakeSend((id, _attempt, call) => (call === 1 || id === 'huge' ? httpError(413, 'content_too_long') : 201));
  const { d, docs, settled } = dispatcher(es.send);
  d.submit(docs('a', 'b', 'c', 'huge'));
  const outcomes = await settled(4);
  for (const id of ['a', 'b', 'c']) assert.deepEqual(outcomes.get(id), { result: 'indexed' }, id);
  const huge = outcomes.get('huge');
  assert.ok(huge?.result === 'rejected');
  assert.equal(huge.status, 413);
  assert.equal(huge.code, 'PIPE_ES_ITEM_REJECTED');
  assert.deepEqual(es.calls[0]?.ids, ['a', 'b', 'c', 'huge']);
  assert.deepEqual(es.calls.at(-1)?.ids, ['huge']);
});

test('no more than `concurrency` requests are in flight', async () => {
  let inFlight = 0;
  let peak = 0;
  const send: BulkSend = async () => {
    inFlight++;
    peak = Math.max(peak, inFlight);
    await sleep(5);
    inFlight--;
    return { errors: false };
  };
  const { d, docs, settled } = dispatcher(send, { concurrency: 2 });
  for (let i = 0; i < 6; i++) d.submit(docs(`d${i}`));
  assert.equal(d.inFlight, 2);
  await settled(6);
  assert.equal(peak, 2);
  assert.equal(d.inFlight, 0);
});

test('abandon aborts the request in flight and reports no outcome', async () => {
  const es = fakeSend(() => 'hang');
  const { d, docs, outcomes } = dispatcher(es.send);
  d.submit(docs('a'));
  d.abandon();
  await sleep(10);
  assert.equal(outcomes.size, 0);
  assert.equal(d.abandoned, true);
  d.submit(docs('b'));
  assert.equal(es.calls.length, 1, 'nothing is sent after abandon');
});
