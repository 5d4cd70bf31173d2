/** What run.ts hands every benchmark. */
import type { StackEnv } from '../test/harness/env.js';
import type { Machine } from './machine.js';
import type { BenchMode } from './results.js';

export interface BenchContext {
  mode: BenchMode;
  machine: Machine;
  /** Server addresses; undefined for the benchmarks that need none. */
  stack: StackEnv | undefined;
  /** Folder for this run's service logs (kept on failure). */
  logDir: string;
  log: (line: string) => void;
  /** Results of the benchmarks that ran before in this run, by name. */
  results: Map<string, import('./results.js').BenchResult>;
}

export interface Benchmark {
  name: string;
  /** Whether it needs Kafka, the registry and Elasticsearch. */
  servers: boolean;
  run(ctx: BenchContext): Promise<import('./results.js').BenchResult>;
}

export function needStack(ctx: BenchContext): StackEnv {
  if (!ctx.stack) throw new Error('This benchmark needs the servers (KAFKA_BROKERS, SCHEMA_REGISTRY_URL, ES_NODE)');
  return ctx.stack;
}
