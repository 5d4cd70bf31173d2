/**
 * The JSON a benchmark writes (bench/results/<name>.json, or
 * bench/results/quick/ for --quick) and report.ts renders: each figure with
 * the limit it is compared with, measured in the same run.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Machine } from './machine.js';
import { summarize, type Summary } from './stats.js';

export interface Measured extends Summary {
  label: string;
  unit: string;
}

export interface Figure {
  /** Stable key, e.g. "enricher.stage-ab". */
  id: string;
  /** What was measured. */
  value: Measured;
  /** What bounds it, measured in the same run (a ceiling), if anything does. */
  limit?: Measured;
  /** value.median / limit.median. */
  ratio?: number;
  /** A fixed requirement the value must stay under (e.g. 256 MB RSS). */
  requirement?: { max: number; unit: string; met: boolean };
  note?: string;
}

export interface BenchResult {
  benchmark: string;
  title: string;
  mode: 'quick' | 'full';
  startedAt: string;
  durationSeconds: number;
  machine: Machine;
  parameters: Record<string, unknown>;
  figures: Figure[];
  notes: string[];
}

export type BenchMode = BenchResult['mode'];

export const RESULTS_DIR = fileURLToPath(new URL('./results/', import.meta.url));

export function resultsDir(mode: BenchMode): string {
  return mode === 'quick' ? join(RESULTS_DIR, 'quick') : RESULTS_DIR;
}

export function measured(label: string, unit: string, samples: readonly number[] | Summary): Measured {
  const summary = Array.isArray(samples) ? summarize(samples as number[]) : (samples as Summary);
  return { label, unit, ...summary };
}

/** A figure with its ceiling and their ratio. */
export function figure(id: string, value: Measured, limit?: Measured, note?: string): Figure {
  return {
    id,
    value,
    ...(limit ? { limit, ratio: limit.median === 0 ? 0 : value.median / limit.median } : {}),
    ...(note ? { note } : {}),
  };
}

/** A benchmark's result: its own parts plus mode, machine and timing from the run. */
export function resultOf(
  ctx: { mode: BenchMode; machine: Machine },
  startedAt: Date,
  body: Pick<BenchResult, 'benchmark' | 'title' | 'parameters' | 'figures' | 'notes'>,
): BenchResult {
  return {
    benchmark: body.benchmark,
    title: body.title,
    mode: ctx.mode,
    startedAt: startedAt.toISOString(),
    durationSeconds: (Date.now() - startedAt.getTime()) / 1000,
    machine: ctx.machine,
    parameters: body.parameters,
    figures: body.figures,
    notes: body.notes,
  };
}

export function writeResult(result: BenchResult): string {
  const dir = resultsDir(result.mode);
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${result.benchmark}.json`);
  writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
  return file;
}
