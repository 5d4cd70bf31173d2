import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DLQ_HEADERS, DLQ_REASON_MAX_BYTES, deadLetterHeaders, deadLetterMessage, parseDeadLetter, truncateUtf8 } from '../../src/dead-letter.js';

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
