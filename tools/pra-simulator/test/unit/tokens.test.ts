import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { MAX_TOKENS_PER_CLIENT, startSimulator, type Simulator } from '@pra-pipeline/pra-simulator';
import { START, START_SEC, basic, report, requestToken, token } from './helpers.js';

const probe = { generate_report: 'AccessSession', start_time: START_SEC - 3600, duration: 0 };

describe('OAuth2 tokens', () => {
  let sim: Simulator;
  before(async () => {
    sim = await startSimulator({ seed: 3, clock: { start: START }, tokenTtlSeconds: 1799 });
  });
  after(() => sim.stop());

  it('issues a bearer token for the right client credentials', async () => {
    const res = await requestToken(sim.url);
    assert.equal(res.status, 200);
    const body = (await res.json()) as Record<string, unknown>;
    assert.deepEqual(Object.keys(body).sort(), ['access_token', 'expires_in', 'token_type']);
    assert.equal(body.token_type, 'Bearer');
    assert.equal(body.expires_in, 1799);
    assert.equal((await report(sim.url, String(body.access_token), probe)).status, 200);
  });

  it('answers 401 to wrong or missing credentials', async () => {
    assert.equal((await requestToken(sim.url, 'demo', 'wrong')).status, 401);
    assert.equal((await requestToken(sim.url, 'other', 'demo-secret')).status, 401);
    const res = await fetch(`${sim.url}/oauth2/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'grant_type=client_credentials' });
    assert.equal(res.status, 401);
  });

  it('wants grant_type=client_credentials in a form body, by POST', async () => {
    const res = await fetch(`${sim.url}/oauth2/token`, {
      method: 'POST',
      headers: { authorization: basic('demo', 'demo-secret'), 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=password',
    });
    assert.equal(res.status, 400);
    assert.equal((await fetch(`${sim.url}/oauth2/token`, { headers: { authorization: basic('demo', 'demo-secret') } })).status, 405);
  });

  it('answers 401 to unknown and expired bearer tokens', async () => {
    assert.equal((await report(sim.url, 'not-a-token', probe)).status, 401);
    const res = await fetch(`${sim.url}/api/reporting?generate_report=AccessSession&lsid=x`);
    assert.equal(res.status, 401);
    const t = await token(sim.url);
    sim.clock.advance(1798 * 1000);
    assert.equal((await report(sim.url, t, probe)).status, 200);
    sim.clock.advance(1000);
    assert.equal((await report(sim.url, t, probe)).status, 401);
  });

  it('keeps at most 30 live tokens per client: the 31st silently invalidates the oldest', async () => {
    sim.revokeTokens();
    const tokens: string[] = [];
    for (let i = 0; i < MAX_TOKENS_PER_CLIENT + 1; i++) tokens.push(await token(sim.url));
    assert.equal(MAX_TOKENS_PER_CLIENT, 30);
    assert.equal((await report(sim.url, tokens[0]!, probe)).status, 401, 'the oldest is gone');
    assert.equal((await report(sim.url, tokens[1]!, probe)).status, 200, 'the second oldest lives');
    assert.equal((await report(sim.url, tokens[30]!, probe)).status, 200);
  });

  it('invalidates every token when revoked (client secret regenerated)', async () => {
    const t = await token(sim.url);
    assert.equal(sim.revokeTokens('default') > 0, true);
    assert.equal((await report(sim.url, t, probe)).status, 401);
  });
});

describe('several sites on one simulator', () => {
  let sim: Simulator;
  before(async () => {
    sim = await startSimulator({
      seed: 5,
      clock: { start: START },
      sites: [
        { name: 'alpha', clientId: 'a-id', clientSecret: 'a-secret', pollerSite: 'pra-alpha' },
        { name: 'beta', clientId: 'b-id', clientSecret: 'b-secret', hosts: ['beta.pra.test'] },
      ],
    });
  });
  after(() => sim.stop());

  it('routes by path prefix with distinct credentials and data', async () => {
    const a = sim.siteUrl('alpha');
    const b = sim.siteUrl('beta');
    assert.equal((await requestToken(a, 'b-id', 'b-secret')).status, 401);
    const ta = await token(a, 'a-id', 'a-secret');
    const tb = await token(b, 'b-id', 'b-secret');
    assert.equal((await report(a, tb, probe)).status, 401, "a token of one site does not open another");
    const ra = await report(a, ta, probe);
    const rb = await report(b, tb, probe);
    assert.equal(ra.status, 200);
    assert.notEqual(ra.text, rb.text);
    const lsidsA = new Set(sim.groundTruth('alpha').map((e) => e.lsid));
    for (const m of ra.text.matchAll(/<session lsid="([0-9a-f]+)"/g)) assert.ok(lsidsA.has(m[1]!));
  });

  it('routes bare paths by Host header, else to the first site', async () => {
    const { request } = await import('node:http');
    const post = (host: string, id: string, secret: string) =>
      new Promise<number>((resolve, reject) => {
        const req = request(`${sim.url}/oauth2/token`, {
          method: 'POST',
          headers: { host, authorization: basic(id, secret), 'content-type': 'application/x-www-form-urlencoded' },
        }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.on('error', reject);
        req.end('grant_type=client_credentials');
      });
    assert.equal(await post('beta.pra.test:443', 'b-id', 'b-secret'), 200);
    assert.equal(await post('beta.pra.test', 'a-id', 'a-secret'), 401);
    assert.equal(await post('unknown.example', 'a-id', 'a-secret'), 200);
  });

  it('labels ground truth with the poller site name', () => {
    const alpha = sim.groundTruth('pra-alpha');
    assert.ok(alpha.length > 0);
    assert.ok(alpha.every((e) => e.site === 'pra-alpha'));
    assert.deepEqual(sim.groundTruth('alpha'), alpha);
    assert.ok(sim.groundTruth('beta').every((e) => e.site === 'beta'));
    assert.equal(sim.groundTruth().length, alpha.length + sim.groundTruth('beta').length);
  });
});
