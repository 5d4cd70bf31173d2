import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TokenCache } from '../../src/token-cache.js';

function setup(expiresIn = 3600) {
  let now = 0;
  let issued = 0;
  const renewals: string[] = [];
  const cache = new TokenCache({
    now: () => now,
    fetchToken: async () => ({ accessToken: `t${++issued}`, expiresIn }),
    onRenew: (r) => renewals.push(r),
  });
  return { cache, renewals, advance: (ms: number) => (now += ms), issued: () => issued };
}

test('reuses one token until shortly before it expires', async () => {
  const s = setup();
  assert.equal(await s.cache.get(), 't1');
  s.advance(3_200_000);
  assert.equal(await s.cache.get(), 't1');
  s.advance(200_000);
  assert.equal(await s.cache.get(), 't2');
  assert.deepEqual(s.renewals, ['initial', 'expiry']);
});

test('short-lived tokens renew a tenth of their lifetime early', async () => {
  const s = setup(100);
  await s.cache.get();
  s.advance(89_000);
  assert.equal(await s.cache.get(), 't1');
  s.advance(2000);
  assert.equal(await s.cache.get(), 't2');
});

test('concurrent callers share one request', async () => {
  const s = setup();
  const tokens = await Promise.all([s.cache.get(), s.cache.get(), s.cache.get()]);
  assert.deepEqual(tokens, ['t1', 't1', 't1']);
  assert.equal(s.issued(), 1);
});

test('a 401 renews once, however many requests saw the old token', async () => {
  const s = setup();
  const old = await s.cache.get();
  s.cache.invalidate(old);
  s.cache.invalidate(old);
  assert.equal(await s.cache.get(), 't2');
  s.cache.invalidate(old);
  assert.equal(await s.cache.get(), 't2');
  assert.deepEqual(s.renewals, ['initial', 'unauthorized']);
});
