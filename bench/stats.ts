/**
 * Timing and summary statistics shared by the benchmarks: warm-up, several
 * iterations, median and spread. A figure is kept with its samples so the
 * report shows how much a run varied.
 */
import { performance } from 'node:perf_hooks';

export interface Summary {
  /** Median of the samples. */
  median: number;
  min: number;
  max: number;
  /** (max - min) / median, as a fraction. */
  spread: number;
  samples: number[];
}

export function summarize(samples: readonly number[]): Summary {
  if (samples.length === 0) throw new Error('No samples to summarize');
  const sorted = [...samples].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  const min = sorted[0]!;
  const max = sorted[sorted.length - 1]!;
  return { median, min, max, spread: median === 0 ? 0 : (max - min) / median, samples: [...samples] };
}

/** Nearest-rank percentile (0..100) of unsorted values. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1]!;
}

export interface Contender {
  name: string;
  /** One pass over the input; returns the number of units (events, documents) it handled. */
  run: () => number | Promise<number>;
}

/**
 * Runs every contender `warmup` times, then `iterations` rounds in which each
 * contender runs once, in turn, so a change of machine load hits all of them
 * alike. Returns units per second per contender.
 */
export async function interleaved(contenders: readonly Contender[], options: { warmup: number; iterations: number }): Promise<Record<string, Summary>> {
  for (let i = 0; i < options.warmup; i++) for (const c of contenders) await c.run();
  const rates: Record<string, number[]> = Object.fromEntries(contenders.map((c) => [c.name, []]));
  for (let i = 0; i < options.iterations; i++) {
    for (const c of contenders) {
      const t0 = performance.now();
      const units = await c.run();
      const seconds = (performance.now() - t0) / 1000;
      rates[c.name]!.push(units / seconds);
    }
  }
  return Object.fromEntries(contenders.map((c) => [c.name, summarize(rates[c.name]!)]));
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `read` every `everyMs` until `done` holds or `timeoutMs` passes; throws on timeout with `what`. */
export async function waitFor<T>(what: string, read: () => Promise<T> | T, done: (value: T) => boolean, timeoutMs: number, everyMs = 250): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > until) throw new Error(`Timed out after ${timeoutMs / 1000} s waiting for ${what}`);
    await sleep(everyMs);
  }
}
