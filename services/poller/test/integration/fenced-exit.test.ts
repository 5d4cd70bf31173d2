/**
 * A poller process whose site another poller took over exits with code 1, so
 * any orchestrator restarts it (a restart reads the cursor back); the poller
 * that took over carries on and stops cleanly.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startSimulator } from '@pra-pipeline/pra-simulator';
import { eventually, latestRecords, pollerEnv, startPollerProcess, testKafka, testTopics } from './helpers.js';

test('a fenced poller process exits with code 1 and says why; the other one carries on', { timeout: 300_000 }, async () => {
  const sim = await startSimulator({
    seed: 31,
    historySeconds: 1800,
    sites: [{ name: 'solo', clientId: 's', clientSecret: 's-secret', pollerSite: 'solo' }],
    profile: { sessionsPerMinute: 2, eventsPerSession: 6, runningShare: 0.3, sessionMinutes: 3, longSessionHours: 1 },
  });
  const { kafka, brokers } = testKafka();
  const topics = testTopics();
  const env = { ...pollerEnv(sim, topics, brokers, { PRA_INITIAL_INTERVAL: '1h' }), LOG_LEVEL: 'error' };
  const first = startPollerProcess(env);
  let second: ReturnType<typeof startPollerProcess> | undefined;
  try {
    // The first poller is running and publishing before the second one starts.
    await eventually(async () => ((await latestRecords(kafka, topics.raw)).size > 0 ? [] : ['nothing published yet']), 120_000);
    second = startPollerProcess(env);
    const code = await Promise.race([first.exited, new Promise<'still running'>((r) => setTimeout(() => r('still running'), 120_000))]);
    assert.equal(code, 1, first.output().slice(-2000));
    assert.match(first.output(), /Another poller took over this site/);
    assert.match(first.output(), /The poller cannot recover by itself; exiting so that it is restarted/);
    assert.equal(second.child.exitCode, null, 'the poller that took over is still running');
    second.child.kill('SIGTERM');
    assert.equal(await second.exited, 0, second.output().slice(-2000));
  } finally {
    for (const p of [first, second]) if (p && p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
    await sim.stop();
  }
});
