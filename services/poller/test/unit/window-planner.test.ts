import { test } from 'node:test';
import assert from 'node:assert/strict';
import { planWindows, remainingSeconds } from '../../src/window-planner.js';

const base = { safetyLagMs: 30_000, maxWindowMs: 3_600_000, initialIntervalMs: 86_400_000 };
const now = 1_700_000_000_000;

test('a first run covers initial_interval in windows of at most max_window, ending the lag before now', () => {
  const windows = planWindows(undefined, { ...base, nowMs: now });
  assert.equal(windows[0]?.start, now / 1000 - 86_400);
  assert.equal(windows.at(-1)?.end, now / 1000 - 30);
  assert.equal(windows.length, 24);
  for (const w of windows) assert.ok(w.end - w.start <= 3600 && w.end > w.start);
  for (let i = 1; i < windows.length; i++) assert.equal(windows[i]?.start, windows[i - 1]?.end);
});

test('continues from the cursor, and plans nothing when it is at the horizon', () => {
  const cursor = now / 1000 - 400;
  assert.deepEqual(planWindows(cursor, { ...base, nowMs: now }), [{ start: cursor, end: now / 1000 - 30 }]);
  assert.deepEqual(planWindows(now / 1000 - 30, { ...base, nowMs: now }), []);
  assert.deepEqual(planWindows(now / 1000, { ...base, nowMs: now }), []);
});

test('stops at maxWindows', () => {
  assert.equal(planWindows(undefined, { ...base, nowMs: now, maxWindows: 3 }).length, 3);
});

test('remaining seconds of a backfill', () => {
  assert.equal(remainingSeconds(now / 1000 - 1000, now, 30_000), 970);
  assert.equal(remainingSeconds(now / 1000, now, 30_000), 0);
});
