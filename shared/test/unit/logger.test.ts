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

test('scrubs the decoded and encoded forms of secrets: an API key as id:key, user:password in base64, URL-encoded, URL passwords', () => {
  const apiKey = Buffer.from('key-id-1:api-key-value-9').toString('base64');
  const password = 'p@ss w0rd/42';
  const out = capture();
  const logger = createLogger({ service: 's', destination: out.destination, secrets: [apiKey, password] });
  const basic = Buffer.from(`registry-user:${password}`).toString('base64');
  logger.error(
    { err: new Error(`rejected key-id-1:api-key-value-9 and api-key-value-9; echoed ${basic}; form user=registry-user&password=${encodeURIComponent(password)}`) },
    `Quoted back ${apiKey}, decoded ${Buffer.from(apiKey, 'base64').toString('utf8')}`,
  );
  logger.warn({ url: 'https://admin:unknown-pass@es.example:9200/_bulk' }, 'Retrying.');
  const text = out.raw.join('');
  for (const form of ['api-key-value-9', apiKey, basic, password, encodeURIComponent(password), 'unknown-pass']) {
    assert.ok(!text.includes(form), `${form} in ${text}`);
  }
  assert.match(text, /https:\/\/admin:\[REDACTED\]@es\.example:9200\/_bulk/);
  // Base64 of the secret at any of the three byte offsets leaves no stretch that decodes back to it.
  for (const prefix of ['', 'a', 'ab']) {
    const encoded = Buffer.from(`${prefix}${password}`).toString('base64');
    const scrubbed = String(redact(encoded, [password]));
    assert.ok(!scrubbed.includes(encoded), scrubbed);
    assert.ok(!Buffer.from(scrubbed.replace('[REDACTED]', ''), 'base64').toString('latin1').includes('w0rd'), scrubbed);
  }
});

test('scrubText scrubs plain text with the same rules, for output that does not go through the logger', async () => {
  const { scrubText } = await import('@pra-pipeline/shared');
  assert.equal(scrubText('id:k3y-s3cret-1 at https://u:p4ss@h/', [Buffer.from('id:k3y-s3cret-1').toString('base64')]), '[REDACTED] at https://u:[REDACTED]@h/');
});

test('an Elasticsearch client error logs its status and answer, not the request, its headers or its body bytes', async () => {
  const { errors } = await import('@elastic/elasticsearch');
  const err = new errors.ResponseError({
    body: { error: { type: 'parse_exception', reason: 'No processor type exists with name [set]' }, status: 400 },
    statusCode: 400,
    headers: { 'content-type': 'application/json' },
    warnings: null,
    meta: {
      context: null,
      name: 'elasticsearch-js',
      request: { params: { method: 'PUT', path: '/_ingest/pipeline/x', body: new Uint8Array([31, 139, 8, 0]), headers: { authorization: 'ApiKey c2VjcmV0LWtleQ==' } }, options: {}, id: 1 },
      connection: null,
      attempts: 0,
      aborted: false,
    },
  } as never);
  const { lines, destination } = capture();
  createLogger({ service: 't', destination }).warn({ err }, 'failed');
  const text = JSON.stringify(lines[0]);
  assert.match(text, /No processor type exists/);
  assert.match(text, /"statusCode":400/);
  assert.doesNotMatch(text, /c2VjcmV0LWtleQ|ApiKey|"0":31|_ingest\/pipeline\/x/, text);
  assert.equal(redact(new Uint8Array(4)), '<4 bytes>');
});
