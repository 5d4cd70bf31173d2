import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { stableId } from '@pra-pipeline/shared';
import { startSimulator, type GroundTruthEntry, type Simulator } from '@pra-pipeline/pra-simulator';
import { START, START_SEC, report, sessionsOf, token } from './helpers.js';

const everything = { generate_report: 'AccessSession', start_time: START_SEC - 2 * 86_400, duration: 0 };

describe('ground truth', () => {
  let sim: Simulator;
  before(async () => {
    sim = await startSimulator({ seed: 7, clock: { start: START } });
  });
  after(() => sim.stop());

  it('lists exactly the events a full report shows, position by position', async () => {
    const { text } = await report(sim.url, await token(sim.url), everything);
    const fromReport: GroundTruthEntry[] = [];
    for (const s of sessionsOf(text)) {
      s.session_details.event.forEach((e, position) => {
        fromReport.push({ site: 'default', lsid: s['@lsid'], position, timestamp: Number(e['@timestamp']), event_type: e['@event_type'] });
      });
    }
    assert.ok(fromReport.length > 5000);
    assert.deepEqual(fromReport, sim.groundTruth());
  });

  it('has events sharing a second, and positions counting from 0 in each session', () => {
    const truth = sim.groundTruth();
    const key = (e: GroundTruthEntry) => `${e.lsid}/${e.timestamp}`;
    const perSecond = new Map<string, number>();
    for (const e of truth) perSecond.set(key(e), (perSecond.get(key(e)) ?? 0) + 1);
    assert.ok([...perSecond.values()].some((n) => n > 1));
    const next = new Map<string, number>();
    for (const e of truth) {
      assert.equal(e.position, next.get(e.lsid) ?? 0);
      next.set(e.lsid, e.position + 1);
    }
    assert.ok(truth.every((e) => e.timestamp <= START_SEC));
  });

  it('gives the enricher ids: stableId(site, lsid, position, timestamp, event_type)', () => {
    const truth = sim.groundTruth();
    const ids = sim.expectedEventIds();
    assert.equal(ids.length, truth.length);
    assert.equal(ids[10], stableId(truth[10]!.site, truth[10]!.lsid, truth[10]!.position, truth[10]!.timestamp, truth[10]!.event_type));
    assert.equal(new Set(ids).size, ids.length, 'ids are unique');
  });

  it('serves NDJSON on /_sim/ground-truth and /_sim/event-ids, and writes it to a file', async () => {
    const lines = (await (await fetch(`${sim.url}/_sim/ground-truth`)).text()).trim().split('\n').map((l) => JSON.parse(l) as GroundTruthEntry);
    assert.deepEqual(lines, sim.groundTruth());
    const ids = (await (await fetch(`${sim.url}/_sim/event-ids`)).text()).trim().split('\n').map((l) => JSON.parse(l) as string);
    assert.deepEqual(ids, sim.expectedEventIds());
    const dir = mkdtempSync(join(tmpdir(), 'pra-sim-'));
    try {
      const file = join(dir, 'truth.ndjson');
      const count = await sim.writeGroundTruth(file);
      assert.equal(count, lines.length);
      assert.deepEqual(readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l)), lines);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('grows with the clock, keeping every earlier entry', async () => {
    const before = sim.groundTruth();
    const res = await fetch(`${sim.url}/_sim/clock/advance`, { method: 'POST', body: JSON.stringify({ seconds: 900 }) });
    assert.equal(((await res.json()) as { unix: number }).unix, START_SEC + 900);
    const later = sim.groundTruth();
    assert.ok(later.length > before.length);
    const laterKeys = new Set(later.map((e) => JSON.stringify(e)));
    for (const e of before) assert.ok(laterKeys.has(JSON.stringify(e)));
  });
});

describe('determinism', () => {
  it('the same seed and start give the same data, however the clock was moved and polled', async () => {
    const a = await startSimulator({ seed: 11, clock: { start: START } });
    const b = await startSimulator({ seed: 11, clock: { start: START } });
    const c = await startSimulator({ seed: 12, clock: { start: START } });
    try {
      const ta = await token(a.url);
      // a is polled while its clock moves in steps; b jumps at once.
      for (let i = 0; i < 6; i++) {
        await report(a.url, ta, { generate_report: 'AccessSession', start_time: START_SEC - 600, duration: 0 });
        a.clock.advance(10 * 60_000);
      }
      b.clock.advance(60 * 60_000);
      assert.deepEqual(a.groundTruth(), b.groundTruth());
      const ra = await report(a.url, await token(a.url), everything);
      const rb = await report(b.url, await token(b.url), everything);
      assert.equal(ra.text, rb.text);
      c.clock.advance(60 * 60_000);
      assert.notDeepEqual(c.groundTruth(), a.groundTruth());
    } finally {
      await Promise.all([a.stop(), b.stop(), c.stop()]);
    }
  });
});
