/**
 * Query windows over time, in Unix seconds: from the cursor up to now minus a
 * safety lag, cut into pieces of at most `maxWindow` so that no single report
 * is unbounded (pitfall 4). A first run starts `initialInterval` before now.
 */
export interface Window {
  /** Inclusive start, Unix seconds. */
  start: number;
  /** End (start + duration), Unix seconds. */
  end: number;
}

export interface PlanOptions {
  /** Now, in ms since the epoch. */
  nowMs: number;
  safetyLagMs: number;
  maxWindowMs: number;
  initialIntervalMs: number;
  /** At most this many windows (the rest waits for the next plan). */
  maxWindows?: number;
}

/** Where a site with no cursor starts. */
export function initialCursor(nowMs: number, initialIntervalMs: number): number {
  return Math.floor((nowMs - initialIntervalMs) / 1000);
}

/** The latest second a window may end at. */
export function horizon(nowMs: number, safetyLagMs: number): number {
  return Math.floor((nowMs - safetyLagMs) / 1000);
}

export function planWindows(cursor: number | undefined, options: PlanOptions): Window[] {
  const start = cursor ?? initialCursor(options.nowMs, options.initialIntervalMs);
  const until = horizon(options.nowMs, options.safetyLagMs);
  const step = Math.max(1, Math.floor(options.maxWindowMs / 1000));
  const max = options.maxWindows ?? Number.POSITIVE_INFINITY;
  const windows: Window[] = [];
  for (let s = start; s < until && windows.length < max; s += step) {
    windows.push({ start: s, end: Math.min(s + step, until) });
  }
  return windows;
}

/** Seconds from the cursor to the horizon: how far a backfill still has to go. */
export function remainingSeconds(cursor: number, nowMs: number, safetyLagMs: number): number {
  return Math.max(0, horizon(nowMs, safetyLagMs) - cursor);
}
