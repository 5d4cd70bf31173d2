import assert from 'node:assert/strict';
import { test } from 'node:test';
import { stampIngested } from '../../src/ingested-stamp.js';

test('every source line of a bulk body gets event.ingested; action lines stay as they are', () => {
  const at = new Date('2026-01-02T03:04:05.678Z');
  const body = Buffer.from('{"create":{"_index":"a","_id":"1"}}\n{"event":{"id":"1"}}\n{"create":{"_index":"a","_id":"2"}}\n{ }\n');
  const lines = stampIngested(body, at).toString('utf8').split('\n');
  assert.equal(lines.length, 5);
  assert.equal(lines[4], '');
  assert.deepEqual(JSON.parse(lines[0]!), { create: { _index: 'a', _id: '1' } });
  assert.deepEqual(JSON.parse(lines[1]!), { 'event.ingested': '2026-01-02T03:04:05.678Z', event: { id: '1' } });
  assert.deepEqual(JSON.parse(lines[2]!), { create: { _index: 'a', _id: '2' } });
  assert.deepEqual(JSON.parse(lines[3]!), { 'event.ingested': '2026-01-02T03:04:05.678Z' });
});
