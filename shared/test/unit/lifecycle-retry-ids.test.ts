import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { backoffDelay, contentDigest, createLifecycle, createLogger, retry, stableId } from '@pra-pipeline/shared';

const quiet = createLogger({ service: 't', destination: new Writable({ write: (_c, _e, d) => d() }) });

test('shutdown runs steps in reverse order, once', async () => {
  const order: string[] = [];
  const lc = createLifecycle({ logger: quiet, graceMs: 1000 });
  lc.onStop('consumer', () => { order.push('consumer'); });
  lc.onStop('http', async () => { order.push('http'); });
  const [a, b] = await Promise.all([lc.shutdown('SIGTERM'), lc.shutdown('SIGINT')]);
  assert.deepEqual(order, ['http', 'consumer']);
  assert.equal(a, 0);
  assert.equal(b, 0);
  assert.equal(await lc.stopping, 'SIGTERM');
});

test('shutdown past the grace period exits with 1; a failing step gives 1', async () => {
  const slow = createLifecycle({ logger: quiet, graceMs: 50 });
  slow.onStop('stuck', () => new Promise(() => {}));
  assert.equal(await slow.shutdown('SIGTERM'), 1);
  const failing = createLifecycle({ logger: quiet, graceMs: 1000 });
  const ran: string[] = [];
  failing.onStop('after', () => { ran.push('after'); });
  failing.onStop('broken', () => { throw new Error('x'); });
  assert.equal(await failing.shutdown('SIGTERM'), 1);
  assert.deepEqual(ran, ['after']);
});

test('backoff grows exponentially, is capped, and jitters within bounds', () => {
  const opts = { baseMs: 100, maxMs: 1000, jitter: 0 };
  assert.deepEqual([1, 2, 3, 4, 5].map((n) => backoffDelay(n, opts)), [100, 200, 400, 800, 1000]);
  assert.equal(backoffDelay(3, { baseMs: 100, maxMs: 1000, random: () => 0 }), 0);
  assert.equal(backoffDelay(3, { baseMs: 100, maxMs: 1000, random: () => 0.5 }), 200);
});

test('retry stops on success, honours shouldRetry and a requested delay', async () => {
  let calls = 0;
  const delays: number[] = [];
  const result = await retry(
    async () => {
      calls++;
      if (calls < 3) throw new Error('again');
      return 'ok';
    },
    { attempts: 5, baseMs: 1, maxMs: 5, delayFor: () => 2, onRetry: (_e, _a, d) => delays.push(d) },
  );
  assert.equal(result, 'ok');
  assert.equal(calls, 3);
  assert.deepEqual(delays, [2, 2]);
  await assert.rejects(
    retry(async () => { throw new Error('fatal'); }, { attempts: 5, baseMs: 1, maxMs: 1, shouldRetry: () => false }),
    /fatal/,
  );
});

test('stable ids depend on every part and on the boundaries between them', () => {
  const a = stableId('site', 'lsid1', 0, 1712235600, 'Session Start');
  assert.equal(a, stableId('site', 'lsid1', 0, 1712235600, 'Session Start'));
  assert.notEqual(a, stableId('site', 'lsid1', 1, 1712235600, 'Session Start'));
  assert.notEqual(stableId('ab', 'c'), stableId('a', 'bc'));
  assert.notEqual(stableId('1'), stableId(1));
  assert.match(a, /^[A-Za-z0-9_-]{27}$/);
  assert.notEqual(contentDigest('x'), contentDigest('y'));
});
