import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DLQ_HEADERS, DLQ_REASON_MAX_BYTES, deadLetterHeaders, deadLetterMessage, isMessageTooLarge, parseDeadLetter, recordBytes, sendDeadLetter, truncateUtf8 } from '../../src/dead-letter.js';

const info = {
  stage: 'sink',
  errorCode: 'PIPE_ES_ITEM_REJECTED' as const,
  errorType: 'document_parsing_exception',
  reason: 'failed to parse field [source.ip]',
  sourceTopic: 'pra.ecs.access-session.v1',
  sourcePartition: 3,
  sourceOffset: '42',
  time: new Date('2026-01-02T03:04:05.000Z'),
};

test('headers carry stage, code, type, reason, source and time', () => {
  assert.deepEqual(deadLetterHeaders(info), {
    'pra.dlq.stage': 'sink',
    'pra.dlq.error_code': 'PIPE_ES_ITEM_REJECTED',
    'pra.dlq.error_type': 'document_parsing_exception',
    'pra.dlq.reason': 'failed to parse field [source.ip]',
    'pra.dlq.source_topic': 'pra.ecs.access-session.v1',
    'pra.dlq.source_partition': '3',
    'pra.dlq.source_offset': '42',
    'pra.dlq.time': '2026-01-02T03:04:05.000Z',
  });
});

test('the reason is cut to 1 KB without splitting a character', () => {
  const long = 'é'.repeat(2000);
  const cut = deadLetterHeaders({ ...info, reason: long })[DLQ_HEADERS.reason] as string;
  assert.ok(Buffer.byteLength(cut) <= DLQ_REASON_MAX_BYTES);
  assert.equal(cut, 'é'.repeat(512));
  assert.equal(truncateUtf8('aé', 2), 'a');
  assert.equal(truncateUtf8('short', 100), 'short');
});

test('a dead letter round-trips through the message, keeping the original bytes and headers', () => {
  const value = Buffer.from([0, 0, 0, 0, 7, 0x7b, 0x7d]);
  const message = deadLetterMessage({ key: Buffer.from('site/1'), value, headers: { 'pra.site': 'site', 'pra.dlq.stage': 'old' } }, info);
  const headers = Object.fromEntries(Object.entries(message.headers).map(([k, v]) => [k, Buffer.from(String(v))]));
  const parsed = parseDeadLetter({ key: message.key as Buffer, value: message.value as Buffer, headers });
  assert.ok(parsed);
  assert.equal(parsed.stage, 'sink');
  assert.equal(parsed.errorCode, 'PIPE_ES_ITEM_REJECTED');
  assert.equal(parsed.errorType, 'document_parsing_exception');
  assert.equal(parsed.sourcePartition, 3);
  assert.equal(parsed.sourceOffset, '42');
  assert.equal(parsed.time?.toISOString(), '2026-01-02T03:04:05.000Z');
  assert.deepEqual(parsed.value, value);
  assert.equal(parsed.key?.toString(), 'site/1');
  assert.deepEqual(parsed.headers, { 'pra.site': 'site' });
});

test('a record without dead letter headers is not a dead letter', () => {
  assert.equal(parseDeadLetter({ value: Buffer.from('x'), headers: { other: Buffer.from('1') } }), undefined);
});

test('a dead letter that fits is left whole, with no truncation headers', () => {
  const message = deadLetterMessage({ key: 'k', value: Buffer.alloc(1000, 1), headers: { 'pra.site': 's' } }, info, { maxBytes: 64 * 1024 });
  assert.equal((message.value as Buffer).length, 1000);
  assert.equal(message.headers[DLQ_HEADERS.truncated], undefined);
});

test('a dead letter too large for the topic keeps the head of its value and says so', () => {
  const value = Buffer.alloc(3 * 1024 * 1024, 0x61);
  value.write('<session lsid="head">', 0);
  const message = deadLetterMessage({ key: 'site/1', value, headers: { 'pra.site': 'site' } }, info, { maxBytes: 1024 * 1024 });
  assert.ok(recordBytes(message) <= 1024 * 1024, `${recordBytes(message)} bytes`);
  assert.ok((message.value as Buffer).length > 1024 * 1024 - 4096);
  assert.ok((message.value as Buffer).toString('latin1').startsWith('<session lsid="head">'));
  assert.equal(message.key, 'site/1');
  assert.equal(message.headers['pra.site'], 'site');
  assert.equal(message.headers[DLQ_HEADERS.reason], info.reason);
  const parsed = parseDeadLetter({ key: Buffer.from('site/1'), value: message.value as Buffer, headers: message.headers });
  assert.equal(parsed?.truncated, 'value');
  assert.equal(parsed?.originalBytes, value.length);
});

test('huge carried headers and a huge key are cut before the value is emptied', () => {
  const message = deadLetterMessage(
    { key: 'k'.repeat(200_000), value: Buffer.alloc(10_000), headers: { big: 'h'.repeat(500_000) } },
    info,
    { maxBytes: 256 * 1024 },
  );
  assert.ok(recordBytes(message) <= 256 * 1024);
  assert.equal(message.headers.big, undefined);
  assert.equal(message.headers[DLQ_HEADERS.truncated], 'headers,key');
  assert.equal((message.value as Buffer).length, 10_000);
  assert.equal(message.headers[DLQ_HEADERS.stage], 'sink');
});

test('sendDeadLetter cuts a dead letter down when the topic refuses it as too large, and rethrows other errors', async () => {
  const sizes: number[] = [];
  const tooLarge = Object.assign(new Error('The request included a message larger than the max message size the server will accept'), { type: 'MESSAGE_TOO_LARGE' });
  const sent = await sendDeadLetter(
    async (m) => {
      sizes.push(recordBytes(m));
      if (recordBytes(m) > 300 * 1024) throw new Error('wrapped', { cause: tooLarge });
    },
    { key: null, value: Buffer.alloc(2 * 1024 * 1024) },
    info,
    { maxBytes: 4 * 1024 * 1024 },
  );
  assert.equal(sizes.length, 3);
  assert.ok(recordBytes(sent) <= 256 * 1024);
  assert.equal(sent.headers[DLQ_HEADERS.truncated], 'value');
  assert.equal(isMessageTooLarge(new Error('connection refused')), false);
  await assert.rejects(
    sendDeadLetter(async () => Promise.reject(new Error('connection refused')), { value: 'x' }, info),
    /connection refused/,
  );
});
