import assert from 'node:assert/strict';
import { test } from 'node:test';
import { classifyItem, classifyRequestError, describeItemError } from '../../src/bulk-result.js';

test('201 is indexed and 409 on create is a duplicate (success)', () => {
  assert.deepEqual(classifyItem({ status: 201 }), { kind: 'indexed' });
  assert.deepEqual(classifyItem({ status: 409, error: { type: 'version_conflict_engine_exception', reason: 'exists' } }), { kind: 'duplicate' });
});

test('429, 5xx and rejected executions are retried, never dropped', () => {
  assert.equal(classifyItem({ status: 429, error: { type: 'es_rejected_execution_exception', reason: 'queue full' } }).kind, 'retry');
  assert.equal(classifyItem({ status: 503, error: { type: 'unavailable_shards_exception', reason: 'primary' } }).kind, 'retry');
  assert.equal(classifyItem({ status: 500, error: { type: 'something', reason: 'x' } }).kind, 'retry');
  // A rejected execution reported with an unexpected status is still back-pressure.
  assert.equal(classifyItem({ status: 400, error: { type: 'es_rejected_execution_exception', reason: 'x' } }).kind, 'retry');
  assert.equal(classifyItem({ status: 403, error: { type: 'cluster_block_exception', reason: 'index [x] blocked by: [TOO_MANY_REQUESTS/12/disk usage exceeded flood-stage watermark]' } }).kind, 'retry');
});

test('an item missing from the response is retried', () => {
  assert.equal(classifyItem(undefined).kind, 'retry');
  assert.equal(classifyItem({}).kind, 'retry');
});

test('mapping errors are rejected with type and the full reason chain', () => {
  const outcome = classifyItem({
    status: 400,
    error: {
      type: 'document_parsing_exception',
      reason: "[1:20] failed to parse field [source.ip] of type [ip]",
      caused_by: { type: 'illegal_argument_exception', reason: "'nope' is not an IP string literal." },
    },
  });
  assert.equal(outcome.kind, 'reject');
  assert.ok(outcome.kind === 'reject');
  assert.equal(outcome.errorType, 'document_parsing_exception');
  assert.equal(outcome.status, 400);
  assert.match(outcome.reason, /source\.ip.*caused by illegal_argument_exception: 'nope' is not an IP/);
  assert.equal(classifyItem({ status: 400, error: { type: 'index_closed_exception', reason: 'closed' } }).kind, 'reject');
  assert.equal(classifyItem({ status: 403, error: { type: 'cluster_block_exception', reason: 'index [x] blocked by: [FORBIDDEN/4/index closed]' } }).kind, 'reject');
});

test('describeItemError stops at a bounded depth', () => {
  const deep = { type: 'a', reason: '1', caused_by: { type: 'b', reason: '2', caused_by: { type: 'c', reason: '3', caused_by: { type: 'd', reason: '4', caused_by: { type: 'e', reason: '5' } } } } };
  assert.equal(describeItemError(deep), 'a: 1; caused by b: 2; caused by c: 3; caused by d: 4');
  assert.equal(describeItemError(undefined), '');
});

test('request failures are retried with the documents, except 413 which splits the batch', () => {
  const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9200'), { name: 'ConnectionError' });
  assert.deepEqual(classifyRequestError(refused), { kind: 'retry', status: undefined, errorType: 'ConnectionError', reason: 'connect ECONNREFUSED 127.0.0.1:9200' });
  const unavailable = Object.assign(new Error('503'), { name: 'ResponseError', meta: { statusCode: 503, body: { error: { type: 'cluster_block_exception', reason: 'state not recovered' } } } });
  const c = classifyRequestError(unavailable);
  assert.equal(c.kind, 'retry');
  assert.equal(c.errorType, 'cluster_block_exception');
  const tooLarge = Object.assign(new Error('413'), { name: 'ResponseError', meta: { statusCode: 413 } });
  assert.equal(classifyRequestError(tooLarge).kind, 'split');
});
