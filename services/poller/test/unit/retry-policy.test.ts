import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PipelineError } from '@pra-pipeline/shared';
import { parseRetryAfter, retryDecision } from '../../src/retry-policy.js';

const policy = { attempts: 3, baseMs: 100, maxMs: 5000, random: () => 1 };

test('reads Retry-After as seconds or an HTTP date', () => {
  assert.equal(parseRetryAfter('7', 0), 7000);
  assert.equal(parseRetryAfter(new Date(10_000).toUTCString(), 4000), 6000);
  assert.equal(parseRetryAfter('soon', 0), undefined);
  assert.equal(parseRetryAfter(undefined, 0), undefined);
});

test('retries retryable failures with exponential backoff, up to the attempts', () => {
  const err = new PipelineError('PIPE_UPSTREAM_HTTP', 'HTTP 503');
  assert.deepEqual(retryDecision(err, 1, policy), { retry: true, delayMs: 100 });
  assert.deepEqual(retryDecision(err, 2, policy), { retry: true, delayMs: 200 });
  assert.equal(retryDecision(err, 3, policy).retry, false);
});

test('waits as long as Retry-After asks, capped', () => {
  const asked = new PipelineError('PIPE_UPSTREAM_HTTP', 'HTTP 429', { context: { retryAfterMs: 3000 } });
  assert.deepEqual(retryDecision(asked, 1, policy), { retry: true, delayMs: 3000 });
  const long = new PipelineError('PIPE_UPSTREAM_HTTP', 'HTTP 429', { context: { retryAfterMs: 60_000 } });
  assert.deepEqual(retryDecision(long, 1, policy), { retry: true, delayMs: 5000 });
});

test('does not retry what cannot succeed', () => {
  assert.equal(retryDecision(new PipelineError('PIPE_UPSTREAM_TOO_LARGE', 'big'), 1, policy).retry, false);
  assert.equal(retryDecision(new PipelineError('PIPE_UPSTREAM_HTTP', 'HTTP 403', { retryable: false }), 1, policy).retry, false);
  assert.equal(retryDecision(new Error('bug'), 1, policy).retry, false);
});
