import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Batcher } from '../../src/batcher.js';

const item = (bodyBytes: number, n = 0) => ({ bodyBytes, n });

test('a batch closes at the document limit', () => {
  const b = new Batcher<ReturnType<typeof item>>({ maxDocuments: 3, maxBytes: 1000, lingerMs: 50 });
  assert.deepEqual(b.add(item(1, 1), 0), []);
  assert.deepEqual(b.add(item(1, 2), 0), []);
  const closed = b.add(item(1, 3), 0);
  assert.equal(closed.length, 1);
  assert.deepEqual(closed[0]?.items.map((i) => i.n), [1, 2, 3]);
  assert.equal(b.count, 0);
});

test('a batch closes before the document that would pass the byte limit', () => {
  const b = new Batcher<ReturnType<typeof item>>({ maxDocuments: 100, maxBytes: 100, lingerMs: 50 });
  b.add(item(60, 1), 0);
  const closed = b.add(item(60, 2), 0);
  assert.equal(closed.length, 1);
  assert.deepEqual(closed[0]?.items.map((i) => i.n), [1]);
  assert.equal(closed[0]?.bytes, 60);
  assert.equal(b.count, 1);
  assert.equal(b.bytes, 60);
});

test('a document larger than the byte limit goes alone', () => {
  const b = new Batcher<ReturnType<typeof item>>({ maxDocuments: 100, maxBytes: 100, lingerMs: 50 });
  b.add(item(10, 1), 0);
  const closed = b.add(item(500, 2), 0);
  assert.deepEqual(closed.map((c) => c.items.map((i) => i.n)), [[1], [2]]);
  assert.equal(b.count, 0);
});

test('the open batch is due after the linger time of its first document', () => {
  const b = new Batcher<ReturnType<typeof item>>({ maxDocuments: 100, maxBytes: 1000, lingerMs: 50 });
  assert.equal(b.dueAt(), undefined);
  b.add(item(1, 1), 1000);
  b.add(item(1, 2), 1040);
  assert.equal(b.dueAt(), 1050);
  assert.equal(b.takeDue(1049), undefined);
  assert.deepEqual(b.takeDue(1050)?.items.map((i) => i.n), [1, 2]);
  assert.equal(b.dueAt(), undefined);
});

test('forcing takes the open batch before its time', () => {
  const b = new Batcher<ReturnType<typeof item>>({ maxDocuments: 100, maxBytes: 1000, lingerMs: 50 });
  b.add(item(1, 1), 0);
  assert.equal(b.takeDue(0, true)?.items.length, 1);
  assert.equal(b.takeDue(0, true), undefined);
});
