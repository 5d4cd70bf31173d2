import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TokenBucket } from '../../src/token-bucket.js';

test('allows a burst, then one request per 1/rate seconds', () => {
  let now = 0;
  const bucket = new TokenBucket({ rate: 20, now: () => now });
  for (let i = 0; i < 20; i++) assert.equal(bucket.tryTake(), 0);
  assert.equal(bucket.tryTake(), 50);
  now += 50;
  assert.equal(bucket.tryTake(), 0);
  assert.ok(bucket.tryTake() > 0);
});

test('a pause holds requests back for its duration', () => {
  let now = 0;
  const bucket = new TokenBucket({ rate: 10, now: () => now });
  bucket.pause(2000);
  assert.ok(bucket.tryTake() >= 2000);
  now += 2100;
  assert.equal(bucket.tryTake(), 0);
});
