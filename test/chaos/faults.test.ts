/**
 * The long fault-injection runs (`npm run chaos`): each scenario runs the whole
 * pipeline as three processes against the real servers, injects its faults at
 * random moments (seeded: CHAOS_SEED replays them), and ends by comparing
 * Elasticsearch with the simulator's ground truth. Every scenario must end with
 * nothing missing, duplicated or extra and nothing dead-lettered; the recovery
 * time is reported. A summary table is printed and the figures are written to
 * bench/results/chaos-full.json (CHAOS_RESULTS_DIR overrides the folder) for
 * docs/reliability.md. CHAOS_SCENARIOS=a,b runs only the named scenarios.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  chaosSeed,
  HEAVY_SIMULATOR_ERRORS,
  problems,
  randomKills,
  restoreServers,
  rng,
  runScenario,
  summaryTable,
  writeResults,
  type ChaosResult,
  type Scenario,
} from './runner.js';

const seed = chaosSeed();
const random = rng(seed);
const startedAt = Date.now();

const scenarios: Scenario[] = [
  {
    name: 'sigkill-poller',
    description: 'poller killed with SIGKILL 4 times at random moments, restarted 0.5-4 s later',
    faults: randomKills(random, 'poller', 4, 0, 80_000),
  },
  {
    name: 'sigkill-enricher',
    description: 'enricher killed with SIGKILL 4 times at random moments, restarted 0.5-4 s later',
    faults: randomKills(random, 'enricher', 4, 0, 80_000),
  },
  {
    name: 'sigkill-sink',
    description: 'sink killed with SIGKILL 4 times at random moments, restarted 0.5-4 s later',
    faults: randomKills(random, 'sink', 4, 0, 80_000),
  },
  {
    name: 'kafka-restart',
    description: 'Kafka broker restarted twice (clean stop, start on the same data)',
    faults: [
      { atMs: 5000 + Math.round(random() * 10_000), fault: { kind: 'kafka-restart' } },
      { atMs: 50_000 + Math.round(random() * 10_000), fault: { kind: 'kafka-restart' } },
    ],
  },
  {
    name: 'elasticsearch-60s',
    description: 'Elasticsearch stopped for 60 s',
    faults: [{ atMs: 5000 + Math.round(random() * 10_000), fault: { kind: 'elasticsearch-stop', forMs: 60_000 } }],
  },
  {
    name: 'simulator-errors',
    description: 'appliance answers with 429/5xx, resets, truncated and malformed XML, <error>, timeouts and early token expiry for 60 s',
    faults: [{ atMs: 2000, fault: { kind: 'simulator-errors', rules: HEAVY_SIMULATOR_ERRORS, forMs: 60_000 } }],
    minRunMs: 70_000,
  },
  {
    name: 'everything',
    description: 'all at once: 2 SIGKILLs of each service, a broker restart, Elasticsearch stopped 60 s, simulator errors for 60 s',
    faults: [
      ...randomKills(random, 'poller', 2, 0, 100_000),
      ...randomKills(random, 'enricher', 2, 0, 100_000),
      ...randomKills(random, 'sink', 2, 0, 100_000),
      { atMs: 10_000 + Math.round(random() * 20_000), fault: { kind: 'kafka-restart' } },
      { atMs: 40_000 + Math.round(random() * 10_000), fault: { kind: 'elasticsearch-stop', forMs: 60_000 } },
      { atMs: 5000, fault: { kind: 'simulator-errors', rules: HEAVY_SIMULATOR_ERRORS, forMs: 60_000 } },
    ],
  },
];

const only = process.env.CHAOS_SCENARIOS?.split(',').map((s) => s.trim()).filter(Boolean);
const selected = only ? scenarios.filter((s) => only.includes(s.name)) : scenarios;
const results: ChaosResult[] = [];

after(async () => {
  await restoreServers();
  if (results.length === 0) return;
  console.log(`\nChaos runs, seed ${seed} (CHAOS_SEED=${seed} replays the moments), ${Math.round((Date.now() - startedAt) / 1000)} s:\n${summaryTable(results)}\n`);
  const name = only ? `partial` : 'full';
  console.log(`Results written to ${writeResults(name, seed, results, startedAt)}`);
});

test('the scenarios to run exist', () => {
  assert.ok(selected.length > 0, `CHAOS_SCENARIOS=${only?.join(',')} names none of ${scenarios.map((s) => s.name).join(', ')}`);
});

for (const scenario of selected) {
  test(`${scenario.name}: ${scenario.description}`, { timeout: 600_000 }, async (t) => {
    const result = await runScenario(scenario, (line) => t.diagnostic(line));
    results.push(result);
    t.diagnostic(summaryTable([result]));
    assert.equal(result.faults.length, scenario.faults.length, 'every fault was applied');
    for (const f of result.faults.filter((f) => f.what.startsWith('SIGKILL'))) {
      assert.equal(f.detail, 'killed', `${f.what} at ${f.startMs} ms: the service was running when the kill landed`);
    }
    assert.deepEqual(problems(result), [], `services' logs in ${result.logDir}`);
  });
}
