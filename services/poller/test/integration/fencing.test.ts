/**
 * Two pollers for the same site: the second fences the first, the first
 * stops, the cursor history never goes back (no interleaved writers), and the
 * survivor carries on to the complete result.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { Metrics } from '@pra-pipeline/shared';
import { startSimulator } from '@pra-pipeline/pra-simulator';
import { PollerApp } from '../../src/app.js';
import { loadPollerConfig } from '../../src/config.js';
import { parseCursor } from '../../src/cursor.js';
import { allRecords, compare, unchangedRepublishes, eventually, expectedSessions, latestRecords, pollerEnv, quietLogger, testKafka, testTopics } from './helpers.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('a second poller for a site fences the first and carries on', async () => {
  const sim = await startSimulator({
    seed: 5,
    clock: { start: Date.parse('2024-06-01T12:00:00Z') },
    historySeconds: 1800,
    sites: [{ name: 'solo', clientId: 's', clientSecret: 's-secret', pollerSite: 'solo' }],
    profile: { sessionsPerMinute: 2, eventsPerSession: 8, runningShare: 0.3, sessionMinutes: 3, longSessionHours: 1 },
  });
  const { kafka, brokers } = testKafka();
  const topics = testTopics();
  let ahead = 0;
  const now = () => sim.clock.now() + ahead;
  const config = loadPollerConfig({ env: pollerEnv(sim, topics, brokers) });
  const first = new PollerApp({ config, logger: quietLogger, metrics: new Metrics({ defaultMetrics: false }), now });
  const second = new PollerApp({ config, logger: quietLogger, metrics: new Metrics({ defaultMetrics: false }), now });
  after(async () => {
    await first.stop();
    await second.stop();
    await sim.stop();
  });

  await first.start();
  for (let i = 0; i < 5; i++) {
    sim.clock.advance(60_000);
    await sleep(300);
  }
  assert.equal(first.siteState('solo'), 'running');
  assert.equal(first.live(), true);
  await second.start();
  for (let i = 0; i < 10; i++) {
    sim.clock.advance(60_000);
    await sleep(300);
  }
  // The first poller learns it is fenced at its next transactional call; on a loaded machine that call
  // can sit in the client's retries of CONCURRENT_TRANSACTIONS for a while, hence the wide window.
  await eventually(async () => (first.siteState('solo') === 'fenced' ? [] : ['first poller not fenced yet']), 90_000, 100);
  assert.equal(first.live(), false, 'the fenced poller reports itself not live');
  assert.equal(second.siteState('solo'), 'running');

  ahead = 60_000;
  await eventually(async () => compare(expectedSessions(sim), await latestRecords(kafka, topics.raw)), 120_000);

  // The committed cursors of the site never go back: the two pollers never both wrote.
  const cursors = (await allRecords(kafka, topics.state)).filter(([k]) => k === 'solo').map(([, v]) => parseCursor(v, 'solo'));
  assert.ok(cursors.length > 5);
  for (let i = 1; i < cursors.length; i++) {
    assert.ok((cursors[i]?.start ?? 0) >= (cursors[i - 1]?.start ?? 0), `cursor ${i} went back`);
    assert.ok((cursors[i]?.closed ?? 0) >= (cursors[i - 1]?.closed ?? 0), `closed cursor ${i} went back`);
  }
  const raw = await allRecords(kafka, topics.raw);
  assert.deepEqual(unchangedRepublishes(raw), []);
});
