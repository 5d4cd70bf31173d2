import assert from 'node:assert/strict';
import { test } from 'node:test';
import { retry } from '@pra-pipeline/shared';

test('retry passes the attempt number, reports each retry with its delay, and throws the last failure when attempts run out', async () => {
  const seen: number[] = [];
  const retries: [string, number, number][] = [];
  await assert.rejects(
    retry(
      async (n) => {
        seen.push(n);
        throw new Error(`failure ${n}`);
      },
      { attempts: 3, baseMs: 1, maxMs: 2, random: () => 1, onRetry: (err, n, delay) => retries.push([(err as Error).message, n, delay]) },
    ),
    /failure 3/,
  );
  assert.deepEqual(seen, [1, 2, 3]);
  assert.deepEqual(retries, [['failure 1', 1, 1], ['failure 2', 2, 2]]);
});

test('retry waits what the failure asks for, capped at maxMs', async () => {
  const delays: number[] = [];
  let calls = 0;
  const result = await retry(
    async () => {
      calls++;
      if (calls < 3) throw new Error('busy');
      return 'done';
    },
    { attempts: Infinity, baseMs: 1000, maxMs: 5, delayFor: () => (calls === 1 ? 2 : 60_000), onRetry: (_err, _n, delay) => delays.push(delay) },
  );
  assert.equal(result, 'done');
  assert.deepEqual(delays, [2, 5]);
});

test('retry stops when shouldRetry refuses, and when the signal aborts during the wait', async () => {
  let calls = 0;
  await assert.rejects(retry(async () => { calls++; throw new Error('fenced'); }, { attempts: 5, baseMs: 1, maxMs: 1, shouldRetry: (err) => (err as Error).message !== 'fenced' }), /fenced/);
  assert.equal(calls, 1);
  const controller = new AbortController();
  const started = Date.now();
  await assert.rejects(
    retry(async () => { throw new Error('down'); }, {
      attempts: Infinity, baseMs: 10_000, maxMs: 10_000, jitter: 0, signal: controller.signal,
      onRetry: () => setTimeout(() => controller.abort(new Error('stopping')), 10),
    }),
    /stopping/,
  );
  assert.ok(Date.now() - started < 5000);
});
