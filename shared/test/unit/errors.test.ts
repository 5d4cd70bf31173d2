import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { ERROR_CODES, PipelineError, errorCodeOf, errorCodesMarkdown, isRetryable } from '@pra-pipeline/shared';

test('every code has a bounded error type and stage', () => {
  const types = new Set(['configuration_failed', 'request_failed', 'timed_out', 'parser_failed', 'encoder_failed', 'enrichment_failed', 'internal']);
  const stages = new Set(['initializing', 'receiving', 'processing', 'sending']);
  for (const [code, def] of Object.entries(ERROR_CODES)) {
    assert.match(code, /^PIPE_[A-Z_]+$/);
    assert.ok(types.has(def.errorType), `${code} has unknown error type ${def.errorType}`);
    assert.ok(stages.has(def.stage), `${code} has unknown stage ${def.stage}`);
  }
});

test('carries code, cause, retryable and context', () => {
  const cause = new Error('socket hang up');
  const err = new PipelineError('PIPE_UPSTREAM_HTTP', 'Fetching the report failed', { cause, context: { site: 'a' } });
  assert.equal(err.code, 'PIPE_UPSTREAM_HTTP');
  assert.equal(err.cause, cause);
  assert.equal(err.retryable, true);
  assert.equal(err.errorType, 'request_failed');
  assert.deepEqual(err.context, { site: 'a' });
  assert.equal(isRetryable(err), true);
  assert.equal(isRetryable(new PipelineError('PIPE_UPSTREAM_HTTP', 'x', { retryable: false })), false);
  assert.equal(isRetryable(new Error('plain')), false);
  assert.equal(errorCodeOf(new Error('plain')), 'PIPE_INTERNAL');
});

test('docs/errors.md lists every code and is up to date (npm run docs)', () => {
  const text = readFileSync(new URL('../../../docs/errors.md', import.meta.url), 'utf8');
  assert.equal(text, errorCodesMarkdown());
  for (const code of Object.keys(ERROR_CODES)) assert.ok(text.includes(`| \`${code}\` |`), code);
  assert.ok(Object.values(ERROR_CODES).every((d) => d.doc.length > 10), 'every code says what it means');
});
