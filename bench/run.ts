/**
 * `npm run bench`: every benchmark, each figure next to its limit measured in
 * the same run, written to bench/results/*.json and docs/benchmarks.md.
 *
 *   npm run bench                    full sizes (the poller's 1 GB report included)
 *   npm run bench -- --quick         small sizes, seconds each (CI smoke); results in bench/results/quick/
 *   npm run bench -- --only a,b      only the named benchmarks (enricher, kafka, sink, poller, end-to-end)
 *
 * Servers: those in KAFKA_BROKERS, SCHEMA_REGISTRY_URL and ES_NODE, or else the
 * test harness starts them for the run, as `npm test` does.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stackEnv } from '../test/harness/env.js';
import type { Benchmark, BenchContext } from './context.js';
import { endToEndBenchmark } from './end-to-end.js';
import { enricherBenchmark } from './enricher.js';
import { kafkaBenchmark } from './kafka.js';
import { describeMachine } from './machine.js';
import { pollerBenchmark } from './poller.js';
import { writeReport } from './report.js';
import { writeResult, type BenchMode } from './results.js';
import { sinkBenchmark } from './sink.js';
import { writeRunSummary } from './summary.js';

const BENCHMARKS: Benchmark[] = [enricherBenchmark, kafkaBenchmark, sinkBenchmark, pollerBenchmark, endToEndBenchmark];

const args = process.argv.slice(2);
const mode: BenchMode = args.includes('--quick') ? 'quick' : 'full';
const onlyAt = args.indexOf('--only');
const only = onlyAt === -1 ? undefined : new Set((args[onlyAt + 1] ?? '').split(',').filter(Boolean));
const selected = BENCHMARKS.filter((b) => !only || only.has(b.name));
if (selected.length === 0) {
  console.error(`No benchmark selected; names: ${BENCHMARKS.map((b) => b.name).join(', ')}`);
  process.exit(2);
}

const log = (line: string) => console.log(`[bench] ${line}`);
const t0 = Date.now();
const machine = describeMachine();
log(`${mode} run on ${machine.cores} cores (${machine.cpuModel}), ${machine.memoryGiB} GiB, Node ${machine.node}; load ${machine.loadAverage.join(' ')}`);

let stopStack: (() => Promise<void>) | undefined;
let serverStartSeconds = 0;
if (selected.some((b) => b.servers) && !(process.env.KAFKA_BROKERS && process.env.SCHEMA_REGISTRY_URL && process.env.ES_NODE)) {
  const { startStack } = await import('../test/harness/stack.js');
  const stack = await startStack({ log: (line) => log(`[harness] ${line}`) });
  Object.assign(process.env, stack.env);
  stopStack = () => stack.stop();
  serverStartSeconds = (Date.now() - t0) / 1000;
}
const stopOnSignal = () => {
  void (stopStack?.() ?? Promise.resolve()).finally(() => process.exit(130));
};
process.once('SIGINT', stopOnSignal);
process.once('SIGTERM', stopOnSignal);

const logDir = mkdtempSync(join(tmpdir(), 'pra-bench-'));
const ctx: BenchContext = {
  mode,
  machine,
  stack: selected.some((b) => b.servers) ? stackEnv() : undefined,
  logDir,
  log,
  results: new Map(),
};

const timings: Record<string, number> = {};
let failed = false;
try {
  for (const benchmark of selected) {
    const started = Date.now();
    log(`${benchmark.name}: starting`);
    try {
      const result = await benchmark.run(ctx);
      const file = writeResult(result);
      ctx.results.set(benchmark.name, result);
      timings[benchmark.name] = (Date.now() - started) / 1000;
      log(`${benchmark.name}: done in ${timings[benchmark.name]!.toFixed(1)} s -> ${file}`);
    } catch (err) {
      failed = true;
      log(`${benchmark.name}: FAILED: ${(err as Error).stack ?? String(err)}`);
    }
  }
} finally {
  await stopStack?.();
}
const totalSeconds = (Date.now() - t0) / 1000;
// A partial run (--only) keeps the last whole run's summary.
if (!only) writeRunSummary({ mode, machine, totalSeconds, serverStartSeconds, benchmarks: timings, complete: !failed });
const doc = writeReport(mode);
log(`${mode} run finished in ${totalSeconds.toFixed(0)} s${doc ? `; ${doc} regenerated` : ''}.`);
if (failed) {
  log(`Service logs kept in ${logDir}`);
  process.exit(1);
}
rmSync(logDir, { recursive: true, force: true });
