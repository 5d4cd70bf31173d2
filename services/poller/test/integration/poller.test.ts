/**
 * The poller against the simulator (several sites, running sessions, faults)
 * and the real Kafka: after the simulator stops changing, the raw topic holds
 * every session of the ground truth with all its events as they finally are,
 * nothing else, and publishing stops.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { Metrics } from '@pra-pipeline/shared';
import { startSimulator } from '@pra-pipeline/pra-simulator';
import { PollerApp } from '../../src/app.js';
import { loadPollerConfig } from '../../src/config.js';
import { allRecords, compare, unchangedRepublishes, eventually, expectedSessions, latestRecords, pollerEnv, quietLogger, testKafka, testTopics } from './helpers.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('publishes every session as it finally is, through faults, and stops when nothing changes', async () => {
  const start = Date.parse('2024-06-01T12:00:00Z');
  const sim = await startSimulator({
    seed: 11,
    clock: { start },
    historySeconds: 3600,
    sites: [
      { name: 'alpha', clientId: 'a', clientSecret: 'a-secret', pollerSite: 'alpha' },
      { name: 'beta', clientId: 'b', clientSecret: 'b-secret', pollerSite: 'beta' },
    ],
    profile: { sessionsPerMinute: 1, eventsPerSession: 12, runningShare: 0.3, sessionMinutes: 4, longSessionHours: 1 },
    faults: [
      { kind: 'token-expiry', lifetimeSeconds: 0, times: 2 },
      { kind: 'status', status: 429, retryAfter: 1, endpoint: 'reporting', rate: 0.08 },
      { kind: 'status', status: 503, endpoint: 'reporting', rate: 0.05 },
      { kind: 'reset', afterBytes: 2000, endpoint: 'reporting', rate: 0.05 },
      { kind: 'truncate', afterBytes: 3000, endpoint: 'reporting', rate: 0.05 },
      { kind: 'status', status: 500, endpoint: 'token', rate: 0.1 },
    ],
  });
  const { kafka, brokers } = testKafka();
  const topics = testTopics();
  // The poller's clock is the simulator's; once the simulator stops, the poller's runs on past the safety lag.
  let ahead = 0;
  const config = loadPollerConfig({ env: pollerEnv(sim, topics, brokers) });
  const metrics = new Metrics({ defaultMetrics: false });
  const app = new PollerApp({ config, logger: quietLogger, metrics, now: () => sim.clock.now() + ahead });
  after(async () => {
    await app.stop();
    await sim.stop();
  });
  await app.start();

  // 30 simulated minutes: sessions start, grow and end while the poller runs.
  for (let i = 0; i < 30; i++) {
    sim.clock.advance(60_000);
    await sleep(250);
  }
  ahead = 60_000;
  const expected = expectedSessions(sim);
  assert.ok(expected.size > 40, `the simulator made ${expected.size} sessions`);

  await eventually(async () => compare(expected, await latestRecords(kafka, topics.raw)), 120_000);

  // Some sessions were published running and again later: the changes were seen.
  const records = await allRecords(kafka, topics.raw);
  const keys = new Set(records.map(([k]) => k));
  assert.ok(records.length > keys.size, 'some session was published more than once as it grew');
  assert.deepEqual(unchangedRepublishes(records), []);

  // The faults happened and were survived.
  const sum = async (name: string, filter: Record<string, string> = {}) =>
    ((await metrics.registry.getSingleMetric(name)?.get())?.values ?? [])
      .filter((v) => Object.entries(filter).every(([k, want]) => v.labels[k] === want))
      .reduce((n, v) => n + v.value, 0);
  assert.ok((await sum('pra_poller_retries_total')) > 0, 'requests were retried');
  assert.ok((await sum('pra_poller_requests_total', { outcome: 'throttled' })) > 0, '429s were met');
  assert.ok((await sum('pra_poller_token_renewals_total', { reason: 'unauthorized' })) > 0, 'an expired token was renewed after a 401');
  assert.ok((await sum('pra_poller_sessions_published_total', { state: 'open' })) > 0, 'running sessions were published');

  // Nothing changes any more: two more cycles per site publish nothing.
  const cycles = async () => (await metrics.registry.getSingleMetric('pra_poller_cycles_total')?.get())?.values.reduce((n, v) => n + v.value, 0) ?? 0;
  const before = await cycles();
  await eventually(async () => ((await cycles()) >= before + 4 ? [] : ['waiting for cycles']), 60_000, 200);
  assert.equal((await allRecords(kafka, topics.raw)).length, records.length);
});
