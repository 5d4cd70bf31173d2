/**
 * The short fault-injection run of `npm test` (the long ones: `npm run chaos`,
 * test/chaos/): while the pipeline runs as three processes, each service is
 * killed with SIGKILL once and restarted, the Kafka broker restarts, and
 * Elasticsearch is stopped for 20 s. Afterwards Elasticsearch holds exactly the
 * simulator's ground truth. The servers are started again even when the run
 * fails, so later test files find them serving.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { chaosSeed, problems, randomKills, restoreServers, rng, runScenario, summaryTable, type Scenario } from '../chaos/runner.js';

after(restoreServers);

test('SIGKILL of each service, a broker restart and Elasticsearch down 20 s: Elasticsearch equals the ground truth', { timeout: 420_000 }, async (t) => {
  const seed = chaosSeed();
  const random = rng(seed);
  const scenario: Scenario = {
    name: 'short',
    description: 'one SIGKILL of each service, Kafka broker restart, Elasticsearch stopped 20 s',
    faults: [
      ...randomKills(random, 'poller', 1, 0, 12_000),
      ...randomKills(random, 'enricher', 1, 12_000, 24_000),
      ...randomKills(random, 'sink', 1, 24_000, 36_000),
      { atMs: 38_000, fault: { kind: 'kafka-restart' } },
      { atMs: 40_000, fault: { kind: 'elasticsearch-stop', forMs: 20_000 } },
    ],
  };
  const result = await runScenario(scenario, (line) => t.diagnostic(line));
  t.diagnostic(`seed ${seed} (CHAOS_SEED replays the moments)\n${summaryTable([result])}`);

  assert.equal(result.faults.length, scenario.faults.length, 'every fault was applied');
  for (const f of result.faults.filter((f) => f.what.startsWith('SIGKILL'))) {
    assert.equal(f.detail, 'killed', `${f.what}: the service was running when the kill landed`);
  }
  assert.ok(result.events > 3000, `the simulator recorded a realistic amount of events (${result.events})`);
  assert.deepEqual(problems(result), [], `services' logs in ${result.logDir}`);
});
