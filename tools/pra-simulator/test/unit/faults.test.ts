import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, beforeEach, describe, it } from 'node:test';
import { startSimulator, type Simulator } from '@pra-pipeline/pra-simulator';
import { START, START_SEC, errorOf, report, requestToken, token, wellFormed } from './helpers.js';

const params = { generate_report: 'AccessSession', start_time: START_SEC - 7200, duration: 0 };

/** A raw GET that reports how the body ended: complete, or with a connection error. */
function rawGet(url: string, bearer: string, timeoutMs = 0): Promise<{ status: number; body: string; error?: string }> {
  return new Promise((resolve) => {
    const req = request(url, { headers: { authorization: `Bearer ${bearer}` } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', (err) => resolve({ status: res.statusCode ?? 0, body, error: err.message }));
    });
    if (timeoutMs) req.setTimeout(timeoutMs, () => req.destroy(new Error('client timeout')));
    req.on('error', (err) => resolve({ status: 0, body: '', error: err.message }));
    req.end();
  });
}

describe('faults', () => {
  let sim: Simulator;
  let bearer: string;
  let url: string;
  before(async () => {
    sim = await startSimulator({ seed: 9, clock: { start: START } });
    bearer = await token(sim.url);
    url = `${sim.url}/api/reporting?${new URLSearchParams(Object.entries(params).map(([k, v]): [string, string] => [k, String(v)]))}`;
  });
  beforeEach(() => sim.faults.clear());
  after(() => sim.stop());

  it('answers 429 with and without Retry-After, then recovers after `times`', async () => {
    sim.faults.add([
      { kind: 'status', status: 429, retryAfter: 7, endpoint: 'reporting', times: 1 },
      { kind: 'status', status: 429, endpoint: 'reporting', times: 1 },
    ]);
    const first = await fetch(url, { headers: { authorization: `Bearer ${bearer}` } });
    assert.equal(first.status, 429);
    assert.equal(first.headers.get('retry-after'), '7');
    const second = await fetch(url, { headers: { authorization: `Bearer ${bearer}` } });
    assert.equal(second.status, 429);
    assert.equal(second.headers.get('retry-after'), null);
    assert.equal((await report(sim.url, bearer, params)).status, 200);
    assert.deepEqual(sim.faults.list(), []);
  });

  it('answers 500, 502 and 503 by schedule (skip) on the chosen endpoint only', async () => {
    sim.faults.add({ kind: 'status', status: 502, endpoint: 'token', skip: 1, times: 1 });
    assert.equal((await requestToken(sim.url)).status, 200);
    assert.equal((await requestToken(sim.url)).status, 502);
    assert.equal((await requestToken(sim.url)).status, 200);
    for (const status of [500, 503]) {
      sim.faults.add({ kind: 'status', status, endpoint: 'reporting', times: 1 });
      assert.equal((await report(sim.url, bearer, params)).status, status);
    }
  });

  it('applies a rate: the share of requests hit is near it, and the same on every run', async () => {
    const run = async () => {
      const s = await startSimulator({ seed: 21, clock: { start: START }, faults: [{ kind: 'status', status: 503, rate: 0.3, endpoint: 'reporting' }] });
      try {
        const t = await token(s.url);
        const statuses: number[] = [];
        for (let i = 0; i < 60; i++) statuses.push((await report(s.url, t, { generate_report: 'AccessSession', lsid: 'x' })).status);
        return statuses;
      } finally {
        await s.stop();
      }
    };
    const a = await run();
    const hits = a.filter((s) => s === 503).length;
    assert.ok(hits > 5 && hits < 35, `${hits} of 60`);
    assert.deepEqual(await run(), a);
  });

  it('resets the connection mid-body', async () => {
    sim.faults.add({ kind: 'reset', afterBytes: 5000, times: 1 });
    const res = await rawGet(url, bearer);
    assert.equal(res.status, 200);
    assert.ok(res.error, 'the body ends with a connection error');
    assert.ok(res.body.length >= 1 && res.body.length <= 5000);
  });

  it('truncates the XML but ends the response cleanly', async () => {
    sim.faults.add({ kind: 'truncate', afterBytes: 3000, times: 1 });
    const res = await rawGet(url, bearer);
    assert.equal(res.error, undefined);
    assert.equal(Buffer.byteLength(res.body), 3000);
    assert.equal(wellFormed(res.body), false);
  });

  it('truncates a short body too (in its middle)', async () => {
    sim.faults.add({ kind: 'truncate', times: 1 });
    const res = await rawGet(`${sim.url}/api/reporting?generate_report=AccessSession&lsid=nothing`, bearer);
    assert.ok(res.body.length > 10);
    assert.equal(wellFormed(res.body), false);
    assert.doesNotMatch(res.body, /<\/error>/);
  });

  it('sends malformed XML', async () => {
    sim.faults.add({ kind: 'malformed', afterBytes: 2000, times: 1 });
    const res = await rawGet(url, bearer);
    assert.equal(res.error, undefined);
    assert.match(res.body, /<\/session_list>\n$/);
    assert.equal(wellFormed(res.body), false);
    assert.equal(wellFormed((await report(sim.url, bearer, params)).text), true);
  });

  it('answers with an <error> that is a real failure, not "no data"', async () => {
    sim.faults.add({ kind: 'error-element', endpoint: 'reporting', times: 1 });
    const res = await report(sim.url, bearer, params);
    assert.equal(res.status, 200);
    assert.match(errorOf(res.text)!, /internal error/);
    sim.faults.add({ kind: 'error-element', message: 'Invalid lsid.', times: 1 });
    assert.equal(errorOf((await report(sim.url, bearer, params)).text), 'Invalid lsid.');
  });

  it('slows a response down, then answers normally', async () => {
    sim.faults.add({ kind: 'slow', delayMs: 300, times: 1 });
    const res = await report(sim.url, bearer, params);
    assert.equal(res.status, 200);
    assert.ok(wellFormed(res.text));
    assert.equal(sim.faults.list().length, 0);
  });

  it('never answers on timeout, so the client gives up', async () => {
    sim.faults.add({ kind: 'timeout', times: 1 });
    const res = await rawGet(url, bearer, 300);
    assert.equal(res.status, 0);
    assert.equal(res.error, 'client timeout');
  });

  it('makes tokens die earlier than expires_in says', async () => {
    sim.faults.add({ kind: 'token-expiry', lifetimeSeconds: 60, times: 1 });
    const res = await requestToken(sim.url);
    const body = (await res.json()) as { access_token: string; expires_in: number };
    assert.equal(body.expires_in, 3600);
    assert.equal((await report(sim.url, body.access_token, params)).status, 200);
    sim.clock.advance(61_000);
    assert.equal((await report(sim.url, body.access_token, params)).status, 401);
    const normal = await token(sim.url);
    assert.equal((await report(sim.url, normal, params)).status, 200);
  });

  it('takes rules through POST /_sim/faults and refuses bad ones', async () => {
    const added = await fetch(`${sim.url}/_sim/faults`, { method: 'POST', body: JSON.stringify({ rules: [{ kind: 'status', status: 503, site: 'default' }] }) });
    assert.equal(added.status, 201);
    assert.equal((await report(sim.url, bearer, params)).status, 503);
    const bad = await fetch(`${sim.url}/_sim/faults`, { method: 'POST', body: JSON.stringify({ kind: 'explode' }) });
    assert.equal(bad.status, 400);
    assert.equal((await fetch(`${sim.url}/_sim/faults`, { method: 'DELETE' })).status, 200);
    assert.equal((await report(sim.url, bearer, params)).status, 200);
  });
});
