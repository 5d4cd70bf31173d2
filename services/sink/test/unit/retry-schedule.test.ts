import assert from 'node:assert/strict';
import { test } from 'node:test';
import { retriesExhausted, retryDelay } from '../../src/retry-schedule.js';

test('delays grow exponentially up to the cap (upper bound of the jitter)', () => {
  const top = { baseMs: 100, maxMs: 1000, itemRetryLimit: 0, random: () => 1 };
  assert.deepEqual([1, 2, 3, 4, 5, 6].map((a) => retryDelay(a, top)), [100, 200, 400, 800, 1000, 1000]);
});

test('full jitter draws from zero to the delay', () => {
  const low = { baseMs: 100, maxMs: 1000, itemRetryLimit: 0, random: () => 0 };
  const mid = { ...low, random: () => 0.5 };
  assert.equal(retryDelay(3, low), 0);
  assert.equal(retryDelay(3, mid), 200);
});

test('items are retried for ever unless a limit is set', () => {
  assert.equal(retriesExhausted(1_000_000, { baseMs: 1, maxMs: 1, itemRetryLimit: 0 }), false);
  assert.equal(retriesExhausted(4, { baseMs: 1, maxMs: 1, itemRetryLimit: 5 }), false);
  assert.equal(retriesExhausted(5, { baseMs: 1, maxMs: 1, itemRetryLimit: 5 }), true);
});
