import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError } from '@pra-pipeline/shared';
import { loadPollerConfig } from '../../src/config.js';

const kafka = { KAFKA_BROKERS: '127.0.0.1:9092' };

function problems(env: Record<string, string>, files: Record<string, string> = {}): string[] {
  try {
    loadPollerConfig({ env: { ...kafka, ...env }, readFile: (p) => files[p] ?? (() => { throw Object.assign(new Error('no'), { code: 'ENOENT' }); })() });
  } catch (err) {
    assert.ok(err instanceof ConfigError);
    return err.problems.map((p) => `${p.variable}: ${p.message}`);
  }
  return [];
}

test('single-site mode: host without scheme, defaults of the reference', () => {
  const { sites, secrets } = loadPollerConfig({ env: { ...kafka, PRA_URL: 'pra.example.com', PRA_CLIENT_ID: 'id', PRA_CLIENT_SECRET: 'secret-1' } });
  assert.equal(sites.length, 1);
  const site = sites[0]!;
  assert.equal(site.url, 'https://pra.example.com');
  assert.equal(site.name, 'pra.example.com');
  assert.equal(site.initialIntervalMs, 86_400_000);
  assert.equal(site.intervalMs, 300_000);
  assert.equal(site.httpTimeoutMs, 30_000);
  assert.equal(site.tlsVerify, true);
  assert.deepEqual(site.tags, ['forwarded', 'beyondtrust_pra-access_session']);
  assert.equal(site.namespace, 'default');
  assert.equal(site.maxWindowMs, 3_600_000);
  assert.equal(site.rateLimit, 20);
  assert.ok(secrets.includes('secret-1'));
});

test('several sites from JSON, secrets inline or from a file, PRA_* as defaults, per-site overrides', () => {
  const sites = [
    { name: 'eu', url: 'https://eu.example.com/', client_id: 'a', client_secret: 's-a', interval: '1m', tags: ['x', 'y'] },
    { name: 'us', url: 'us.example.com', client_id: 'b', client_secret_file: '/run/secret', preserve_original_event: true },
  ];
  const { sites: out, secrets } = loadPollerConfig({
    env: { ...kafka, PRA_SITES: JSON.stringify(sites), PRA_NAMESPACE: 'prod' },
    readFile: (p) => (p === '/run/secret' ? 's-b\n' : ''),
  });
  assert.deepEqual(out.map((s) => [s.name, s.url, s.intervalMs, s.namespace, s.preserveOriginalEvent, s.clientSecret]), [
    ['eu', 'https://eu.example.com', 60_000, 'prod', false, 's-a'],
    ['us', 'https://us.example.com', 300_000, 'prod', true, 's-b'],
  ]);
  assert.deepEqual(out[0]?.tags, ['x', 'y']);
  assert.ok(secrets.includes('s-a') && secrets.includes('s-b'));
});

test('a request timeout not shorter than the interval is rejected, naming the variable or the site', () => {
  assert.deepEqual(problems({ PRA_URL: 'h', PRA_CLIENT_ID: 'i', PRA_CLIENT_SECRET: 'secret', PRA_INTERVAL: '10s' }), [
    'PRA_HTTP_TIMEOUT: 30s must be shorter than PRA_INTERVAL (10s)',
  ]);
  const sites = [{ name: 'eu', url: 'h', client_id: 'i', client_secret: 'secret', interval: '20s', http_timeout: '20s' }];
  assert.deepEqual(problems({ PRA_SITES: JSON.stringify(sites) }), ['PRA_SITES: site "eu": http_timeout 20s must be shorter than interval (20s)']);
});

test('every problem of every site is reported', () => {
  const sites = [
    { name: 'a/b', url: 'ftp://x', client_id: 'i', client_secret: 's', bogus: 1, interval: 'soon' },
    { url: 'h2', client_secret: 's', client_secret_file: '/f' },
    { name: 'dup', url: 'h3', client_id: 'i', client_secret_file: '/missing' },
  ];
  const found = problems({ PRA_SITES: JSON.stringify(sites) });
  for (const expected of [
    'PRA_SITES: site "a/b": unknown key "bogus"',
    'PRA_SITES: site "a/b": url "ftp:" is not http or https',
    'PRA_SITES: site "a/b": name "a/b" may hold only letters, digits, ".", "_" and "-"',
    'PRA_SITES: site 1: client_id is required',
    'PRA_SITES: site 1: set client_secret or client_secret_file, not both',
    'PRA_SITES: site "dup": cannot read client_secret_file /missing: ENOENT',
  ]) {
    assert.ok(found.includes(expected), `${expected}\nin\n${found.join('\n')}`);
  }
  assert.ok(found.some((p) => p.startsWith('PRA_SITES: site "a/b": interval')), found.join('\n'));
});

test('sites come from PRA_SITES or PRA_URL, not both, and one of them is required', () => {
  assert.deepEqual(problems({}), [
    'PRA_URL: is required when PRA_SITES is not set',
    'PRA_CLIENT_ID: is required when PRA_SITES is not set',
    'PRA_CLIENT_SECRET: is required when PRA_SITES is not set',
  ]);
  const both = problems({ PRA_URL: 'h', PRA_SITES: '[]' });
  assert.equal(both.length, 1);
  assert.match(both[0] ?? '', /^PRA_SITES: set either/);
});

test('an http:// site is refused unless PRA_ALLOW_INSECURE_HTTP allows it, per site or for all', () => {
  const single = { PRA_URL: 'http://pra.example.com', PRA_CLIENT_ID: 'id', PRA_CLIENT_SECRET: 'secret-1' };
  const refused = problems(single);
  assert.equal(refused.length, 1, refused.join('\n'));
  assert.match(refused[0]!, /^PRA_URL: the http:\/\/ URL http:\/\/pra\.example\.com is refused.*PRA_ALLOW_INSECURE_HTTP/);
  assert.deepEqual(problems({ ...single, PRA_ALLOW_INSECURE_HTTP: 'true' }), []);
  const sites = [
    { name: 'lab', url: 'http://127.0.0.1:8443', client_id: 'a', client_secret: 'secret-a', allow_insecure_http: true },
    { name: 'prod', url: 'http://pra.example.com', client_id: 'b', client_secret: 'secret-b' },
  ];
  const list = problems({ PRA_SITES: JSON.stringify(sites) });
  assert.equal(list.length, 1, list.join('\n'));
  assert.match(list[0]!, /^PRA_SITES: site "prod": the http:\/\/ URL .* allow_insecure_http/);
  assert.deepEqual(problems({ PRA_URL: 'pra.example.com', PRA_CLIENT_ID: 'id', PRA_CLIENT_SECRET: 'secret-1' }), [], 'https is the default scheme');
});

test('each request has an overall deadline, longer than the HTTP timeout', () => {
  const env = { PRA_URL: 'pra.example.com', PRA_CLIENT_ID: 'id', PRA_CLIENT_SECRET: 'secret-1' };
  const { sites } = loadPollerConfig({ env: { ...kafka, ...env, PRA_REQUEST_DEADLINE: '2m' } });
  assert.equal(sites[0]!.requestDeadlineMs, 120_000);
  assert.equal(loadPollerConfig({ env: { ...kafka, ...env } }).sites[0]!.requestDeadlineMs, 600_000);
  assert.deepEqual(problems({ ...env, PRA_REQUEST_DEADLINE: '20s', PRA_HTTP_TIMEOUT: '30s', PRA_INTERVAL: '5m' }), [
    'PRA_REQUEST_DEADLINE: 20s must be longer than PRA_HTTP_TIMEOUT (30s)',
  ]);
});
