import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { createLogger, redact } from '@pra-pipeline/shared';

function capture() {
  const lines: Record<string, unknown>[] = [];
  const raw: string[] = [];
  const destination = new Writable({
    write(chunk, _enc, done) {
      raw.push(chunk.toString());
      lines.push(JSON.parse(chunk.toString()));
      done();
    },
  });
  return { lines, raw, destination };
}

test('writes JSON with service, level, message and errors under err', () => {
  const out = capture();
  const logger = createLogger({ service: 'poller', destination: out.destination });
  logger.error({ err: new Error('boom') }, 'Window failed.');
  const line = out.lines[0]!;
  assert.equal(line.service, 'poller');
  assert.equal(line.level, 'error');
  assert.equal(line.message, 'Window failed.');
  assert.equal((line.err as { message: string }).message, 'boom');
  assert.equal((line.err as { type: string }).type, 'Error');
});

test('redacts secret keys at any depth and scrubs secret values from any text', () => {
  const out = capture();
  const secret = 'client-secret-1234';
  const logger = createLogger({ service: 's', destination: out.destination, secrets: [secret] });
  logger.info(
    { site: { clientSecret: secret, url: 'https://pra' }, headers: { Authorization: 'Bearer abcdefghijkl' }, note: `used ${secret}` },
    `Token for ${secret} renewed.`,
  );
  logger.error({ err: new Error(`401 with password ${secret}`) }, 'Auth failed.');
  const text = out.raw.join('');
  assert.ok(!text.includes(secret), text);
  assert.ok(!text.includes('abcdefghijkl'), text);
  const first = out.lines[0]!;
  assert.equal((first.site as Record<string, string>).clientSecret, '[REDACTED]');
  assert.equal((first.site as Record<string, string>).url, 'https://pra');
  assert.match(String(first.message), /Token for \[REDACTED\] renewed\./);
});

test('scrubs bearer and basic credentials inside strings', () => {
  assert.equal(redact('Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.x.y'), 'Authorization: Bearer [REDACTED]');
  assert.equal(redact('Basic ZGVtbzpkZW1vLXNlY3JldA=='), 'Basic [REDACTED]');
  assert.deepEqual(redact({ list: [{ token: 't0ken' }] }), { list: [{ token: '[REDACTED]' }] });
});
