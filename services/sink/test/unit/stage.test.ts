import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { BulkSend } from '../../src/bulk-indexer.js';
import { SinkStage, type DeadLetterFailure, type SinkRecord } from '../../src/stage.js';
import { fakeSend, fastRetry, quiet, sleep, testMetrics } from './fake-elasticsearch.js';

function stage(send: BulkSend, options: { maxBufferBytes?: number; deadLetter?: (record: SinkRecord, failure: DeadLetterFailure) => Promise<void> } = {}) {
  const { metrics, value } = testMetrics();
  const letters: { offset: string; failure: DeadLetterFailure }[] = [];
  const s = new SinkStage({
    send,
    decodeWire: undefined,
    deadLetter:
      options.deadLetter ??
      (async (record, failure) => {
        letters.push({ offset: record.offset, failure });
      }),
    limits: { maxDocuments: 100, maxBytes: 1_000_000, lingerMs: 10_000 },
    concurrency: 2,
    maxBufferBytes: options.maxBufferBytes ?? 1_000_000,
    retry: fastRetry,
    metrics,
    logger: quiet,
  });
  let offset = 0;
  const record = (id: string, padding = ''): SinkRecord => ({
    topic: 't',
    partition: 0,
    offset: String(offset++),
    key: Buffer.from(`site/${id}`),
    value: Buffer.from(JSON.stringify({ event: { id }, data_stream: { namespace: 'default' }, padding })),
  });
  return { s, record, letters, value };
}

test('bounded memory: hasRoom turns false past the buffer limit and whenRoom resolves once documents settle', async () => {
  let release: () => void = () => undefined;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const send: BulkSend = async (body, signal) => {
    await gate;
    return fakeSend(() => 201).send(body, signal);
  };
  const { s, record, value } = stage(send, { maxBufferBytes: 8_000 });
  const big = () => record(`d${Math.random()}`, 'x'.repeat(1500));
  assert.equal(s.hasRoom(big()), true);
  const acks = [];
  while (s.hasRoom(big())) acks.push(await s.write(big()));
  assert.ok(acks.length >= 2, `${acks.length} records fit`);
  assert.ok(s.bufferedBytes <= 8_000, `${s.bufferedBytes} bytes held`);
  assert.equal(s.bufferedDocuments, acks.length);
  assert.equal(await value('pra_sink_buffered_documents'), acks.length);
  // A caller that does not ask (the in-process mode) may pass the limit; then even a small record waits.
  while (s.hasRoom()) acks.push(await s.write(big()));
  assert.ok(s.bufferedBytes > 8_000);
  let roomAt = 0;
  const room = s.whenRoom().then(() => (roomAt = Date.now()));
  await sleep(10);
  assert.equal(roomAt, 0, 'no room while every document is held');
  s.flush();
  const releasedAt = Date.now();
  release();
  await room;
  assert.ok(roomAt >= releasedAt);
  await Promise.all(acks.map((a) => a.settled));
  assert.equal(s.bufferedBytes, 0);
  assert.equal(s.hasRoom(big()), true);
});

test('an empty buffer takes a record larger than the limit, so that it cannot stall its partition', async () => {
  const es = fakeSend(() => 201);
  const { s, record } = stage(es.send, { maxBufferBytes: 100 });
  const huge = record('huge', 'x'.repeat(5000));
  assert.equal(s.hasRoom(huge), true);
  const ack = await s.write(huge);
  assert.equal(s.hasRoom(record('next')), false);
  s.flush();
  assert.deepEqual(await ack.settled, { result: 'indexed' });
});

test('no room while documents wait for a retry, even with bytes to spare', async () => {
  const es = fakeSend((_id, attempt) => (attempt === 1 ? 503 : 201));
  const { s, record } = stage(es.send);
  const ack = await s.write(record('a'));
  s.flush();
  while (s.hasRoom()) await sleep(1);
  await s.whenRoom();
  assert.equal(s.hasRoom(), true);
  assert.deepEqual(await ack.settled, { result: 'indexed' });
});

test('a document Elasticsearch rejects is dead-lettered with its reason before it is acknowledged', async () => {
  const es = fakeSend((id) => (id === 'bad' ? { status: 400, type: 'document_parsing_exception', reason: 'failed to parse field [source.ip]' } : 201));
  const { s, record, letters, value } = stage(es.send);
  const good = await s.write(record('good'));
  const bad = await s.write(record('bad'));
  s.flush();
  assert.deepEqual(await good.settled, { result: 'indexed' });
  const outcome = await bad.settled;
  assert.equal(outcome.result, 'rejected');
  assert.deepEqual(letters, [{ offset: '1', failure: { code: 'PIPE_ES_ITEM_REJECTED', errorType: 'document_parsing_exception', reason: 'document_parsing_exception: failed to parse field [source.ip]' } }]);
  assert.equal(await value('pra_dead_letters_total', { stage: 'sink', code: 'PIPE_ES_ITEM_REJECTED' }), 1);
  assert.equal(await value('pra_sink_documents_indexed_total'), 1);
});

test('a dead letter that cannot be written is tried again, counted as a delivery error, and only then acknowledged', async () => {
  const es = fakeSend(() => 400);
  let tries = 0;
  const { s, record, value } = stage(es.send, {
    deadLetter: async () => {
      if (++tries < 3) throw new Error('broker unavailable');
    },
  });
  const ack = await s.write(record('bad'));
  s.flush();
  assert.equal((await ack.settled).result, 'rejected');
  assert.equal(tries, 3);
  assert.equal(await value('pra_errors_total', { code: 'PIPE_KAFKA_DELIVERY' }), 2);
  assert.equal(s.bufferedDocuments, 0);
});

test('a record that is not a document is dead-lettered and settled at once; a tombstone is skipped', async () => {
  const es = fakeSend(() => 201);
  const { s, letters } = stage(es.send);
  const junk = await s.write({ topic: 't', partition: 0, offset: '7', key: null, value: Buffer.from('not json') });
  assert.equal((await junk.settled).result, 'rejected');
  assert.equal(letters[0]?.failure.code, 'PIPE_RECORD_INVALID');
  const tombstone = await s.write({ topic: 't', partition: 0, offset: '8', key: null, value: null });
  assert.deepEqual(await tombstone.settled, { result: 'skipped' });
  assert.equal(es.calls.length, 0);
});

test('drain sends what is batched and waits for it; abandon leaves the rest unacknowledged', async () => {
  const es = fakeSend((id) => (id === 'stuck' ? 'hang' : 201));
  const { s, record } = stage(es.send);
  const ok = await s.write(record('ok'));
  assert.equal(await s.drain(1000), true);
  assert.deepEqual(await ok.settled, { result: 'indexed' });
  const stuck = await s.write(record('stuck'));
  assert.equal(await s.drain(30), false, 'the grace runs out');
  s.abandon();
  const settledLate = await Promise.race([stuck.settled.then(() => true), sleep(30).then(() => false)]);
  assert.equal(settledLate, false, 'abandoned work is never acknowledged');
  assert.equal(s.hasRoom(), false);
  await s.whenRoom();
  await assert.rejects(s.write(record('after')), /abandoned/);
});
