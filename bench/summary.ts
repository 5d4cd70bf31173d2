/** bench/results/run.json: how long the whole run took and where its time went. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Machine } from './machine.js';
import { resultsDir, type BenchMode } from './results.js';

export interface RunSummary {
  mode: BenchMode;
  finishedAt?: string;
  machine: Machine;
  totalSeconds: number;
  /** Time the harness took to start the servers (0 when they were already running). */
  serverStartSeconds: number;
  benchmarks: Record<string, number>;
  /** Every benchmark ran and none failed. */
  complete: boolean;
}

export function writeRunSummary(summary: RunSummary): void {
  const dir = resultsDir(summary.mode);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'run.json'), `${JSON.stringify({ ...summary, finishedAt: new Date().toISOString() }, null, 2)}\n`);
}
