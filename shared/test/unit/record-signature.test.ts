import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkSigningKey, SIGNATURE_HEADER, signatureHeaders, signRecord, verifyRecord } from '../../src/record-signature.js';

const secret = 'k'.repeat(40);
const key = Buffer.from('site-a/42');
const value = Buffer.from('\u0000\u0000\u0000\u0000\u0001{"event":{"id":"abc"}}');

test('a signed record verifies, with string or Buffer key and value', () => {
  const headers = signatureHeaders(secret, key, value);
  assert.deepEqual(verifyRecord(secret, { key, value, headers }), { ok: true });
  assert.deepEqual(verifyRecord(secret, { key: key.toString(), value, headers: { [SIGNATURE_HEADER]: Buffer.from(headers[SIGNATURE_HEADER] as string) } }), { ok: true });
  assert.match(signRecord(secret, key, value), /^v1=[A-Za-z0-9_-]{43}$/);
});

test('a missing, repeated, foreign-scheme or wrong signature fails with a reason', () => {
  const good = signRecord(secret, key, value);
  const cases: [string, Record<string, string | string[]> | undefined, RegExp][] = [
    ['missing', undefined, /has no pra.signature header/],
    ['repeated', { [SIGNATURE_HEADER]: [good, good] }, /more than one/],
    ['scheme', { [SIGNATURE_HEADER]: `v2=${good.slice(3)}` }, /not a v1 signature/],
    ['short', { [SIGNATURE_HEADER]: 'v1=abc' }, /does not match/],
    ['other key', { [SIGNATURE_HEADER]: signRecord('x'.repeat(40), key, value) }, /does not match/],
  ];
  for (const [name, headers, reason] of cases) {
    const check = verifyRecord(secret, { key, value, headers });
    assert.equal(check.ok, false, name);
    assert.match((check as { reason: string }).reason, reason, name);
  }
});

test('the signature covers the key and the value, and where one ends', () => {
  const headers = signatureHeaders(secret, key, value);
  assert.equal(verifyRecord(secret, { key: 'site-b/42', value, headers }).ok, false);
  const tampered = Buffer.from(value);
  tampered[tampered.length - 3] = 0x42;
  assert.equal(verifyRecord(secret, { key, value: tampered, headers }).ok, false);
  // Moving a byte from the key to the value changes the signature.
  assert.notEqual(signRecord(secret, 'ab', 'c'), signRecord(secret, 'a', 'bc'));
  assert.notEqual(signRecord(secret, null, 'c'), signRecord(secret, '', 'c'));
});

test('a signing key shorter than 32 bytes is a configuration problem', () => {
  assert.deepEqual(checkSigningKey(undefined), []);
  assert.deepEqual(checkSigningKey('x'.repeat(32)), []);
  assert.match(checkSigningKey('short')[0] as string, /PIPELINE_SIGNING_KEY: must be at least 32 bytes/);
});
