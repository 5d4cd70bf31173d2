/**
 * `pra-pipeline kibana-setup` against a stand-in for Kibana's HTTP API on
 * 127.0.0.1 (Kibana itself cannot run here): it waits for /api/status, posts
 * the NDJSON as multipart `file` to /api/saved_objects/_import?overwrite=true
 * with kbn-xsrf and the credentials (from the environment or a _FILE), and a
 * second run replaces the same objects instead of adding any.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, test } from 'node:test';
import { kibanaSetupCommand, loadKibanaConfig, multipartFile } from '../../src/commands/kibana-setup.js';
import { savedObjects } from '../../src/kibana/content.js';

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

let server: Server;
let url = '';
let seen: Seen[] = [];
/** type:id -> how many times it was written. */
let store = new Map<string, number>();
let statusUntilReady = 0;
let refuse = '';
const dir = mkdtempSync(join(tmpdir(), 'kibana-setup-'));

function partFile(body: string, contentType: string): string {
  const boundary = /boundary=(.+)$/.exec(contentType)?.[1];
  assert.ok(boundary, `no boundary in ${contentType}`);
  const part = body.split(`--${boundary}`)[1]!;
  assert.match(part, /Content-Disposition: form-data; name="file"; filename="[^"]+\.ndjson"/);
  return part.slice(part.indexOf('\r\n\r\n') + 4, -2);
}

before(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      seen.push({ method: req.method!, url: req.url!, headers: req.headers, body });
      const auth = req.headers.authorization;
      if (auth !== `Basic ${Buffer.from('elastic:s3cret-pass').toString('base64')}` && auth !== 'ApiKey a2V5') {
        res.writeHead(401).end('{"statusCode":401}');
        return;
      }
      if (req.url === '/api/status') {
        const ready = statusUntilReady-- <= 0;
        res.writeHead(ready ? 200 : 503, { 'content-type': 'application/json' }).end(JSON.stringify({ status: { overall: { level: ready ? 'available' : 'unavailable' } } }));
        return;
      }
      if (req.method === 'POST' && req.url?.split('?')[0]?.endsWith('/api/saved_objects/_import')) {
        if (req.headers['kbn-xsrf'] === undefined) {
          res.writeHead(400).end('{"message":"Request must contain a kbn-xsrf header."}');
          return;
        }
        const overwrite = new URL(req.url, 'http://x').searchParams.get('overwrite') === 'true';
        const lines = partFile(body, req.headers['content-type'] ?? '').split('\n').filter((l) => l !== '');
        const errors: unknown[] = [];
        for (const line of lines) {
          const o = JSON.parse(line) as { type: string; id: string };
          const key = `${o.type}:${o.id}`;
          if (o.id === refuse) errors.push({ id: o.id, type: o.type, error: { type: 'unknown', message: 'refused by the test' } });
          else if (store.has(key) && !overwrite) errors.push({ id: o.id, type: o.type, error: { type: 'conflict' } });
          else store.set(key, (store.get(key) ?? 0) + 1);
        }
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ success: errors.length === 0, successCount: lines.length - errors.length, errors }));
        return;
      }
      res.writeHead(404).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(async () => {
  await new Promise((r) => server.close(r));
  rmSync(dir, { recursive: true, force: true });
});

beforeEach(() => {
  seen = [];
  store = new Map();
  statusUntilReady = 0;
  refuse = '';
});

async function run(env: Record<string, string>, args: string[] = []): Promise<{ code: number; out: string; err: string }> {
  const saved = { ...process.env };
  for (const k of Object.keys(process.env)) if (k.startsWith('KIBANA_')) delete process.env[k];
  Object.assign(process.env, env);
  const out: string[] = [];
  const err: string[] = [];
  const log = console.log;
  const error = console.error;
  console.log = (...a: unknown[]) => void out.push(a.join(' '));
  console.error = (...a: unknown[]) => void err.push(a.join(' '));
  try {
    return { code: await kibanaSetupCommand.run(args), out: out.join('\n'), err: err.join('\n') };
  } finally {
    console.log = log;
    console.error = error;
    process.env = saved;
  }
}

test('waits for Kibana, imports every object with overwrite=true, and a second run changes nothing but the same objects', async () => {
  const passwordFile = join(dir, 'password');
  writeFileSync(passwordFile, 's3cret-pass\n');
  statusUntilReady = 2;
  const env = { KIBANA_URL: `${url}/`, KIBANA_USERNAME: 'elastic', KIBANA_PASSWORD_FILE: passwordFile, KIBANA_WAIT: '30s' };
  const first = await run(env);
  assert.equal(first.code, 0, first.err);
  assert.equal(seen.filter((s) => s.url === '/api/status').length, 3, 'it did not wait for the status to be available');
  const imports = seen.filter((s) => s.method === 'POST');
  assert.equal(imports.length, 1);
  assert.equal(imports[0]!.url, '/api/saved_objects/_import?overwrite=true');
  assert.equal(typeof imports[0]!.headers['kbn-xsrf'], 'string');
  const expected = savedObjects().map((o) => `${o.type}:${o.id}`).sort();
  assert.deepEqual([...store.keys()].sort(), expected);
  assert.match(first.out, new RegExp(`Imported ${expected.length} of ${expected.length} saved objects`));
  assert.doesNotMatch(first.out + first.err, /s3cret-pass/);

  const second = await run(env);
  assert.equal(second.code, 0, second.err);
  assert.deepEqual([...store.keys()].sort(), expected, 'the second run added objects');
  assert.ok([...store.values()].every((n) => n === 2), 'the second run did not replace every object');
});

test('a space and an API key go into the path and the header', async () => {
  const r = await run({ KIBANA_URL: url, KIBANA_API_KEY: 'a2V5', KIBANA_SPACE: 'security' });
  assert.equal(r.code, 0, r.err);
  assert.equal(seen.find((s) => s.method === 'POST')?.url, '/s/security/api/saved_objects/_import?overwrite=true');
});

test('wrong credentials exit 2 naming the variable; a refused object exits 1 naming it; bad configuration exits 2', async () => {
  const wrong = await run({ KIBANA_URL: url, KIBANA_USERNAME: 'elastic', KIBANA_PASSWORD: 'nope-wrong' });
  assert.equal(wrong.code, 2);
  assert.match(wrong.err, /KIBANA_USERNAME: Kibana refused the credentials \(HTTP 401\)/);
  assert.doesNotMatch(wrong.err, /nope-wrong/);

  refuse = 'pra-pipeline-sessions';
  const refused = await run({ KIBANA_URL: url, KIBANA_API_KEY: 'a2V5' });
  assert.equal(refused.code, 1);
  assert.match(refused.err, /Kibana refused search pra-pipeline-sessions: unknown \(refused by the test\)/);

  assert.equal((await run({})).code, 2);
  assert.throws(() => loadKibanaConfig({ KIBANA_URL: url, KIBANA_USERNAME: 'u' }), /KIBANA_PASSWORD: is required with KIBANA_USERNAME/);
  assert.throws(() => loadKibanaConfig({ KIBANA_URL: url, KIBANA_SPACE: 'Bad Space' }), /KIBANA_SPACE/);
});

test('Kibana that never becomes available: exit 1 after KIBANA_WAIT with the last answer', async () => {
  statusUntilReady = 1_000_000;
  const r = await run({ KIBANA_URL: url, KIBANA_API_KEY: 'a2V5', KIBANA_WAIT: '1s' });
  assert.equal(r.code, 1);
  assert.match(r.err, /was not available within 1 s \(last: HTTP 503, unavailable\)/);
});

test('the multipart body holds the NDJSON unchanged as the part named file', () => {
  const { body, contentType } = multipartFile('{"a":1}\n{"b":2}\n', 'B0UNDARY');
  assert.equal(contentType, 'multipart/form-data; boundary=B0UNDARY');
  assert.equal(partFile(body.toString('utf8'), contentType), '{"a":1}\n{"b":2}\n');
});
