/**
 * The long fault-injection runs (`npm run chaos`): each scenario runs the whole
 * pipeline as three processes against the real servers, injects its faults at
 * random moments (seeded: CHAOS_SEED replays them), and ends by comparing
 * Elasticsearch with the simulator's ground truth. Every scenario must end with
 * nothing missing, duplicated or extra and nothing dead-lettered; the recovery
 * time is reported. A summary table is printed and the figures are written to
 * bench/results/chaos-full.json (CHAOS_RESULTS_DIR overrides the folder) for
 * docs/reliability.md. CHAOS_SCENARIOS=a,b runs only the named scenarios.
 *
 * `npm run chaos` starts the cluster stack (3 Kafka nodes, 2 Elasticsearch
 * nodes, toxiproxy; PRA_STACK_* override it): the scenarios from
 * `broker-kill-busiest-leader` on need it (node faults, the registry restarted
 * on its data, network faults through the proxy); the ones before run on any
 * stack the harness started.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Lane } from '../harness/toxiproxy.js';
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
  type NetworkTarget,
  type Scenario,
} from './runner.js';

const ALL_LANES: Lane[] = ['poller', 'enricher', 'sink'];
const ALL_TARGETS: NetworkTarget[] = ['kafka', 'registry', 'elasticsearch', 'simulator'];

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
  // Cluster mode: faults of one node of a replicated cluster.
  {
    name: 'broker-kill-busiest-leader',
    description: 'SIGKILL of the Kafka node leading the busiest partition of the run, under load; started again 20 s later',
    faults: [{ atMs: 8000 + Math.round(random() * 8000), fault: { kind: 'broker-kill', target: 'busiest-leader', downMs: 20_000 } }],
    minRunMs: 45_000,
  },
  {
    name: 'broker-kill-group-coordinator',
    description: 'SIGKILL of the group coordinator (leader of __consumer_offsets), started again 20 s later',
    faults: [{ atMs: 8000 + Math.round(random() * 8000), fault: { kind: 'broker-kill', target: 'group-coordinator', downMs: 20_000 } }],
    minRunMs: 45_000,
  },
  {
    name: 'broker-kill-transaction-coordinator',
    description: 'SIGKILL of the transaction coordinator (leader of __transaction_state), started again 20 s later',
    faults: [{ atMs: 8000 + Math.round(random() * 8000), fault: { kind: 'broker-kill', target: 'transaction-coordinator', downMs: 20_000 } }],
    minRunMs: 45_000,
  },
  {
    name: 'broker-rolling-restart',
    description: 'rolling restart of all Kafka nodes, each after the previous one is back in every ISR',
    faults: [{ atMs: 5000, fault: { kind: 'rolling-restart' } }],
  },
  {
    name: 'es-node-kill',
    description: 'SIGKILL of the Elasticsearch node that is not the master (replicas promoted), started again 30 s later',
    faults: [{ atMs: 8000 + Math.round(random() * 8000), fault: { kind: 'es-node-kill', downMs: 30_000 } }],
    minRunMs: 50_000,
  },
  {
    name: 'registry-down-60s',
    description: 'schema registry killed for 60 s; the enricher and the sink SIGKILLed and restarted while it is down',
    faults: [
      { atMs: 5000, fault: { kind: 'registry-down', forMs: 60_000 } },
      { atMs: 20_000, fault: { kind: 'kill', service: 'enricher', downMs: 1000 } },
      { atMs: 25_000, fault: { kind: 'kill', service: 'sink', downMs: 1000 } },
    ],
  },
  {
    name: 'index-read-only-60s',
    description: 'index.blocks.read_only_allow_delete on the data stream for 60 s (the disk flood stage), then lifted',
    faults: [{ atMs: 5000, fault: { kind: 'index-block', forMs: 60_000 } }],
  },
  // Network faults through toxiproxy, between every service and every server.
  {
    name: 'net-latency-2s',
    description: '2 s of latency each way on every connection of every service (Kafka, registry, Elasticsearch, appliance) for 60 s',
    proxied: true,
    faults: [{ atMs: 5000, fault: { kind: 'network', label: 'Latency 2 s', toxic: { type: 'latency', attributes: { latency: 2000, jitter: 0 } }, lanes: ALL_LANES, targets: ALL_TARGETS, forMs: 60_000 } }],
  },
  {
    name: 'net-stall',
    description: 'every connection of every service stalls (timeout toxic: data held, nothing closed) for 30 s',
    proxied: true,
    faults: [{ atMs: 5000, fault: { kind: 'network', label: 'Stalled connections', toxic: { type: 'timeout', attributes: { timeout: 0 } }, lanes: ALL_LANES, targets: ALL_TARGETS, forMs: 30_000 } }],
  },
  {
    name: 'net-reset',
    description: 'every connection of every service reset (TCP RST) 500 ms after it opens, for 30 s',
    proxied: true,
    faults: [{ atMs: 5000, fault: { kind: 'network', label: 'Connection resets', toxic: { type: 'reset_peer', attributes: { timeout: 500 } }, lanes: ALL_LANES, targets: ALL_TARGETS, forMs: 30_000 } }],
  },
  {
    name: 'net-bandwidth-50kbs',
    description: 'bandwidth of every connection of every service cut to 50 KB/s each way for 60 s',
    proxied: true,
    faults: [{ atMs: 5000, fault: { kind: 'network', label: 'Bandwidth 50 KB/s', toxic: { type: 'bandwidth', attributes: { rate: 50 } }, lanes: ALL_LANES, targets: ALL_TARGETS, forMs: 60_000 } }],
  },
  {
    name: 'net-partition-enricher-60s',
    description: 'the enricher partitioned from every Kafka node for 60 s (its connections stall, nothing gets through)',
    proxied: true,
    faults: [{ atMs: 5000, fault: { kind: 'network', label: 'Enricher partitioned from Kafka', toxic: { type: 'timeout', attributes: { timeout: 0 } }, lanes: ['enricher'], targets: ['kafka'], forMs: 60_000 } }],
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
  test(`${scenario.name}: ${scenario.description}`, { timeout: 900_000 }, async (t) => {
    const result = await runScenario(scenario, (line) => t.diagnostic(line));
    results.push(result);
    t.diagnostic(summaryTable([result]));
    assert.equal(result.faults.length, scenario.faults.length, 'every fault was applied');
    for (const f of result.faults.filter((f) => f.what.startsWith('SIGKILL'))) {
      assert.equal(f.detail, 'killed', `${f.what} at ${f.startMs} ms: the service was running when the kill landed`);
    }
    for (const f of result.faults.filter((f) => f.what.startsWith('index.blocks'))) {
      assert.match(f.detail ?? '', /^0 documents written while blocked/, 'the block held: Elasticsearch took no document while it was set');
    }
    assert.deepEqual(problems(result), [], `services' logs in ${result.logDir}`);
  });
}
