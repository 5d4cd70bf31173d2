/**
 * The poller as a child process, killed with SIGKILL at random points ten
 * times during one run and restarted each time: the raw topic still ends up
 * with every session as it finally is, nothing else, and no session published
 * twice with the same content (records and cursor are one transaction).
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { FreezableClock, startSimulator, type Simulator } from '@pra-pipeline/pra-simulator';
import { allRecords, compare, unchangedRepublishes, eventually, expectedSessions, latestRecords, pollerEnv, startPollerProcess as startPoller, testKafka, testTopics } from './helpers.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('ten SIGKILLs and restarts during one run still end with exactly the ground truth', { timeout: 600_000 }, async () => {
  const clock = new FreezableClock();
  const sim: Simulator = await startSimulator({
    seed: 23,
    clock,
    historySeconds: 1800,
    sites: [
      { name: 'east', clientId: 'e', clientSecret: 'e-secret', pollerSite: 'east' },
      { name: 'west', clientId: 'w', clientSecret: 'w-secret', pollerSite: 'west' },
    ],
    profile: { sessionsPerMinute: 4, eventsPerSession: 10, runningShare: 0.2, sessionMinutes: 1, longSessionHours: 1 },
    faults: [{ kind: 'status', status: 503, endpoint: 'reporting', rate: 0.05 }],
  });
  const { kafka, brokers } = testKafka();
  const topics = testTopics();
  const env = pollerEnv(sim, topics, brokers, { PRA_INITIAL_INTERVAL: '1h', PRA_MAX_WINDOW: '5m' });
  let current: ReturnType<typeof startPoller> | undefined;
  after(async () => {
    current?.child.kill('SIGKILL');
    await sim.stop();
  });

  for (let i = 0; i < 10; i++) {
    current = startPoller(env);
    await sleep(1500 + Math.floor(Math.random() * 4500));
    current.child.kill('SIGKILL');
    assert.equal(await current.exited, null, `run ${i} was killed, not ended`);
  }
  current = startPoller(env);
  await sleep(5000);
  clock.freeze();
  const expected = expectedSessions(sim);
  assert.ok(expected.size > 100, `the simulator made ${expected.size} sessions`);

  await eventually(async () => compare(expected, await latestRecords(kafka, topics.raw)), 180_000);
  const records = await allRecords(kafka, topics.raw);
  assert.deepEqual(unchangedRepublishes(records), []);

  current.child.kill('SIGTERM');
  assert.equal(await current.exited, 0, 'SIGTERM ends the poller cleanly');
});
