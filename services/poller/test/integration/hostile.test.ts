/**
 * The poller against a hostile appliance (the simulator's hostile faults): a
 * session nested 150 million elements deep, a 3 GiB error body, a 2 GiB token
 * response, a report trickled one byte at a time. Each one ends as a clear
 * error, read only as far as its bound, and the site is retried with its cursor
 * in place; the poller process stays small and up, its other site carries on,
 * /readyz names the stuck sites and why, and their lag gauges keep growing.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Metrics, PipelineError } from '@pra-pipeline/shared';
import { startSimulator, type FaultRule, type Simulator } from '@pra-pipeline/pra-simulator';
import { loadPollerConfig } from '../../src/config.js';
import { ERROR_BODY_CAP, PraClient, TOKEN_BODY_CAP } from '../../src/pra-client.js';
import { createPollerMetrics } from '../../src/telemetry.js';
import { compare, eventually, expectedSessions, latestRecords, pollerEnv, quietLogger, startPollerProcess, testKafka, testTopics } from './helpers.js';

/** Loopback socket buffers and one chunk in flight: what a client that stops reading may still be sent. */
const SENT_BOUND = 16 * 1024 * 1024;
const GiB = 1024 ** 3;

function clientFor(sim: Simulator, site: string, env: Record<string, string> = {}): PraClient {
  const found = sim.sites.find((s) => s.name === site)!;
  const { sites } = loadPollerConfig({
    env: {
      KAFKA_BROKERS: '127.0.0.1:9',
      PRA_URL: found.url,
      PRA_SITE_NAME: site,
      PRA_CLIENT_ID: found.clientId,
      PRA_CLIENT_SECRET: found.clientSecret,
      PRA_ALLOW_INSECURE_HTTP: 'true',
      ...env,
    },
  });
  return new PraClient(sites[0]!, { logger: quietLogger, metrics: createPollerMetrics(new Metrics({ defaultMetrics: false })) });
}

function sentBy(sim: Simulator, kind: FaultRule['kind']): { sent: number; applied: number } {
  const rules = sim.faults.history().filter((r) => r.kind === kind);
  return { sent: rules.reduce((n, r) => n + r.sentBytes, 0), applied: rules.reduce((n, r) => n + r.applied, 0) };
}

async function rejection(promise: Promise<unknown>): Promise<PipelineError> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof PipelineError, String(err));
    return err;
  }
  assert.fail('the request succeeded');
}

const query = { kind: 'start_time' as const, start: Math.floor(Date.now() / 1000) - 3600, duration: 3600 };

test('an HTTP 500 with a 3 GiB body is read only up to the cap; the error keeps the status and a prefix', { timeout: 60_000 }, async () => {
  const sim = await startSimulator({ seed: 5, sites: [{ name: 'east', clientId: 'e', clientSecret: 'east-secret-1' }] });
  const client = clientFor(sim, 'east');
  try {
    sim.faults.add({ kind: 'huge-body', endpoint: 'reporting', status: 500, bytes: 3 * GiB });
    const started = Date.now();
    const err = await rejection(client.report(query, () => undefined));
    assert.equal(err.code, 'PIPE_UPSTREAM_HTTP');
    assert.equal(err.retryable, true);
    assert.equal(err.context.status, 500);
    assert.equal(err.context.bodyTruncatedAt, ERROR_BODY_CAP);
    assert.match(String(err.context.body), /^x{512}$/, 'a prefix of the body is kept for the log');
    assert.ok(Date.now() - started < 10_000, 'the request ended at once');
    await eventually(async () => (sentBy(sim, 'huge-body').sent > 0 ? [] : ['nothing counted yet']), 5_000, 50);
    const { sent } = sentBy(sim, 'huge-body');
    assert.ok(sent < SENT_BOUND, `the appliance could send ${sent} bytes of the error body`);
  } finally {
    await client.close();
    await sim.stop();
  }
});

test('a 2 GiB token response is refused after the cap, as is a 50 MB one', { timeout: 60_000 }, async () => {
  const sim = await startSimulator({ seed: 5, sites: [{ name: 'east', clientId: 'e', clientSecret: 'east-secret-1' }] });
  const client = clientFor(sim, 'east');
  try {
    for (const bytes of [2 * GiB, 50 * 1024 * 1024]) {
      sim.faults.clear();
      sim.faults.add({ kind: 'huge-body', endpoint: 'token', bytes });
      const err = await rejection(client.checkCredentials());
      assert.equal(err.code, 'PIPE_UPSTREAM_TOO_LARGE');
      assert.match(err.message, new RegExp(`larger than ${TOKEN_BODY_CAP} bytes`));
      assert.equal(client.health.ok, false);
    }
    await eventually(async () => (sentBy(sim, 'huge-body').applied === 2 ? [] : ['waiting']), 5_000, 50);
    const { sent } = sentBy(sim, 'huge-body');
    assert.ok(sent < 2 * SENT_BOUND, `the appliance could send ${sent} bytes of token responses`);
  } finally {
    await client.close();
    await sim.stop();
  }
});

test('a report trickled one byte at a time ends at the request deadline, though no chunk is late', { timeout: 60_000 }, async () => {
  const sim = await startSimulator({ seed: 5, historySeconds: 3600, sites: [{ name: 'east', clientId: 'e', clientSecret: 'east-secret-1' }] });
  // The idle timeout (900 ms) never fires, a byte comes every 200 ms; only the deadline ends the request.
  const client = clientFor(sim, 'east', { PRA_HTTP_TIMEOUT: '900ms', PRA_REQUEST_DEADLINE: '2s', PRA_INTERVAL: '10s' });
  try {
    sim.faults.add({ kind: 'trickle', endpoint: 'reporting', delayMs: 200 });
    const started = Date.now();
    let received = 0;
    const err = await rejection(client.report(query, (chunk) => void (received += chunk.length)));
    const took = Date.now() - started;
    assert.equal(err.code, 'PIPE_UPSTREAM_TIMEOUT');
    assert.equal(err.retryable, true);
    assert.match(err.message, /did not finish within its deadline of 2000 ms \(PRA_REQUEST_DEADLINE\)/);
    assert.ok(took >= 1900 && took < 5000, `ended after ${took} ms`);
    assert.ok(received > 3, `the body was arriving (${received} bytes)`);
    assert.equal(client.health.ok, false, 'a site whose body never completes is not healthy');
    assert.match(client.health.detail, /deadline/);
  } finally {
    await client.close();
    await sim.stop();
  }
});

function vmHwmBytes(pid: number): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m?.[1] ?? 0) * 1024;
}

test('a poller process polling hostile sites stays small and up, keeps their cursors, reports them not ready, and polls its good site', { timeout: 300_000 }, async () => {
  const hostile = ['deep', 'huge-error', 'huge-token', 'trickle'];
  const sim = await startSimulator({
    seed: 41,
    clock: { start: Date.now() },
    historySeconds: 1800,
    sites: ['good', ...hostile].map((name) => ({ name, clientId: `${name}-id`, clientSecret: `${name}-secret-${process.pid}`, pollerSite: name })),
    profile: { sessionsPerMinute: 1, eventsPerSession: 6, runningShare: 0, sessionMinutes: 3, longSessionHours: 1 },
    faults: [
      { kind: 'deep-nesting', site: 'deep', endpoint: 'reporting', report: 'AccessSession' },
      { kind: 'huge-body', site: 'huge-error', endpoint: 'reporting', status: 500, bytes: 3 * GiB },
      { kind: 'huge-body', site: 'huge-token', endpoint: 'token', bytes: 2 * GiB },
      { kind: 'trickle', site: 'trickle', endpoint: 'reporting', delayMs: 300 },
    ],
  });
  const { kafka, brokers } = testKafka();
  const topics = testTopics();
  const startedSec = Math.floor(Date.now() / 1000);
  const env = pollerEnv(sim, topics, brokers, { LOG_LEVEL: 'info', PRA_INITIAL_INTERVAL: '1h', POLLER_RETRY_ATTEMPTS: '2' });
  // The hostile sites are polled every 3 s, the trickling one with a 2 s deadline.
  const sites = (JSON.parse(env.PRA_SITES!) as Record<string, unknown>[]).map((s) =>
    s.name === 'good' ? s : { ...s, interval: '3s', ...(s.name === 'trickle' ? { request_deadline: '2s' } : {}) },
  );
  const poller = startPollerProcess({ ...env, PRA_SITES: JSON.stringify(sites) });
  const scrape = async (path: string) => {
    const address = /"address":"(http:\/\/[^"]+)"/.exec(poller.output())?.[1];
    if (!address) throw new Error('the poller has not said its address yet');
    return fetch(`${address}${path}`);
  };
  const lag = async (site: string) => {
    const text = await (await scrape('/metrics')).text();
    return Number(new RegExp(`^pra_poller_window_lag_seconds\\{site="${site}"\\} (\\S+)$`, 'm').exec(text)?.[1]);
  };
  try {
    const expected = new Map([...expectedSessions(sim)].filter(([key]) => key.startsWith('good/')));
    assert.ok(expected.size > 10, `the good site has ${expected.size} sessions`);
    await eventually(async () => compare(expected, await latestRecords(kafka, topics.raw)), 120_000);

    // Each hostile site is stuck, says why, and the whole process is not ready; the good one is.
    const reasons: Record<string, RegExp> = {
      deep: /nests elements deeper than 64/,
      'huge-error': /HTTP 500/,
      'huge-token': new RegExp(`token response is larger than ${TOKEN_BODY_CAP} bytes`),
      trickle: /deadline of 2000 ms/,
    };
    let ready: { status: string; dependencies: Record<string, { ok: boolean; detail: string }> } | undefined;
    await eventually(async () => {
      const res = await scrape('/readyz');
      ready = (await res.json()) as typeof ready;
      const problems = hostile.filter((site) => {
        const d = ready!.dependencies[`site:${site}`];
        return !d || d.ok || !/stuck for \d+ cycle/.test(d.detail) || !reasons[site]!.test(d.detail);
      });
      if (res.status !== 503) problems.push(`readyz answered ${res.status}`);
      return problems.map((p) => `${p}: ${JSON.stringify(ready?.dependencies[`site:${p}`])}`);
    }, 90_000, 500);
    assert.equal(ready!.status, 'not ready');
    assert.equal(ready!.dependencies['site:good']?.ok, true, JSON.stringify(ready!.dependencies['site:good']));

    // Time without progress shows as growing lag.
    const before = await Promise.all(hostile.map(lag));
    await new Promise((r) => setTimeout(r, 2500));
    const later = await Promise.all(hostile.map(lag));
    hostile.forEach((site, i) => assert.ok(later[i]! - before[i]! >= 2, `${site}: lag ${before[i]} -> ${later[i]}`));
    assert.ok((await lag('good')) < 60, 'the good site is caught up');

    // The hostile sites' cursors did not move: none was written, or it still starts where the site began.
    const cursors = await latestRecords(kafka, topics.state);
    for (const site of hostile) {
      const text = cursors.get(site);
      if (text !== undefined) assert.ok((JSON.parse(text) as { start: number }).start <= startedSec - 3600 + 5, `${site}: ${text}`);
    }
    assert.ok((JSON.parse(cursors.get('good')!) as { start: number }).start > startedSec - 60, 'the good site\'s cursor moved');

    // Bounded reads: the appliance could not push much more than a socket buffer per request.
    for (const kind of ['deep-nesting', 'huge-body'] as const) {
      const { sent, applied } = sentBy(sim, kind);
      assert.ok(applied >= 2, `${kind} applied ${applied} times`);
      assert.ok(sent / applied < SENT_BOUND, `${kind}: ${sent} bytes sent over ${applied} requests`);
    }
    const hwm = vmHwmBytes(poller.child.pid!);
    assert.ok(hwm < 400 * 1024 * 1024, `the poller's peak RSS was ${Math.round(hwm / 1024 / 1024)} MB`);
    assert.equal(poller.child.exitCode, null, 'the poller is still running');

    // No secret in anything it printed.
    for (const s of sim.sites) assert.ok(!poller.output().includes(s.clientSecret), `${s.name}'s secret was printed`);
    assert.match(poller.output(), /nests elements deeper than 64/, 'the failure is logged as a clear error');
  } finally {
    if (poller.child.exitCode === null) poller.child.kill('SIGTERM');
    const code = await Promise.race([poller.exited, new Promise<string>((r) => setTimeout(() => r('still running'), 20_000))]);
    if (code === 'still running') poller.child.kill('SIGKILL');
    await sim.stop();
  }
});

