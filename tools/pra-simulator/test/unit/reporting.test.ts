import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startSimulator, type Simulator } from '@pra-pipeline/pra-simulator';
import { START, START_SEC, errorOf, parse, report, sessionsOf, token, wellFormed } from './helpers.js';

describe('reporting parameters', () => {
  let sim: Simulator;
  let bearer: string;
  before(async () => {
    sim = await startSimulator({ seed: 7, clock: { start: START } });
    bearer = await token(sim.url);
  });
  after(() => sim.stop());

  it('start_time + duration=0 returns sessions that began at or after, running ones included', async () => {
    const from = START_SEC - 3 * 3600;
    const { status, text } = await report(sim.url, bearer, { generate_report: 'AccessSession', start_time: from, duration: 0 });
    assert.equal(status, 200);
    assert.ok(wellFormed(text));
    const sessions = sessionsOf(text);
    assert.ok(sessions.length > 10);
    for (const s of sessions) assert.ok(Number(s.start_time['@timestamp']) >= from);
    const running = sessions.filter((s) => s.end_time === undefined);
    assert.ok(running.length > 0, 'some sessions are still running');
    assert.ok(sessions.some((s) => s.end_time !== undefined));
    // Every session that started in the window is there: compare with ground truth.
    const expected = new Set(sim.groundTruth().filter((e) => e.position === 0 && e.timestamp >= from).map((e) => e.lsid));
    assert.deepEqual(new Set(sessions.map((s) => s['@lsid'])), expected);
  });

  it('start_time + duration bounds the window to [start, start + duration)', async () => {
    const from = START_SEC - 6 * 3600;
    const { text } = await report(sim.url, bearer, { generate_report: 'AccessSession', start_time: from, duration: 3600 });
    const starts = sessionsOf(text).map((s) => Number(s.start_time['@timestamp']));
    assert.ok(starts.length > 0);
    for (const t of starts) assert.ok(t >= from && t < from + 3600, `${t} is in the window`);
  });

  it('end_time returns only closed sessions that ended at or after, whenever they started', async () => {
    const from = START_SEC - 1800;
    const { text } = await report(sim.url, bearer, { generate_report: 'AccessSession', end_time: from, duration: 0 });
    const sessions = sessionsOf(text);
    assert.ok(sessions.length > 0);
    for (const s of sessions) {
      assert.ok(s.end_time, 'closed');
      assert.ok(Number(s.end_time['@timestamp']) >= from);
      assert.ok(s.session_chat_view_url, 'chat URL once ended');
    }
    assert.ok(sessions.some((s) => Number(s.start_time['@timestamp']) < from), 'a session that started before end_time is included');
  });

  it('start_date and end_date count duration in days', async () => {
    const day = new Date((START_SEC - 86_400) * 1000).toISOString().slice(0, 10);
    const { text } = await report(sim.url, bearer, { generate_report: 'AccessSession', start_date: day, duration: 1 });
    const dayStart = Date.parse(`${day}T00:00:00Z`) / 1000;
    const sessions = sessionsOf(text);
    assert.ok(sessions.length > 0);
    for (const s of sessions) {
      const t = Number(s.start_time['@timestamp']);
      assert.ok(t >= dayStart && t < dayStart + 86_400);
    }
  });

  it('lsid and lsids select sessions by id, in the order asked', async () => {
    const lsids = [...new Set(sim.groundTruth().map((e) => e.lsid))];
    const one = sessionsOf((await report(sim.url, bearer, { generate_report: 'AccessSession', lsid: lsids[5]! })).text);
    assert.deepEqual(one.map((s) => s['@lsid']), [lsids[5]]);
    const wanted = [lsids[9]!, lsids[2]!, lsids[40]!];
    const many = sessionsOf((await report(sim.url, bearer, { generate_report: 'AccessSession', lsids: wanted.join(',') })).text);
    assert.deepEqual(many.map((s) => s['@lsid']), wanted);
  });

  it('answers "no data" with HTTP 200 and a root <error>, localised', async () => {
    const future = START_SEC + 3600;
    let res = await report(sim.url, bearer, { generate_report: 'AccessSession', start_time: future, duration: 0 });
    assert.equal(res.status, 200);
    assert.equal(errorOf(res.text), 'No Support report information matching your chosen criteria is available.');
    sim.settings.language = 'fr';
    try {
      res = await report(sim.url, bearer, { generate_report: 'AccessSession', lsid: '0123456789abcdef0123456789abcdef' });
      assert.match(errorOf(res.text)!, /correspondant à vos critères n'est disponible\.$/);
    } finally {
      sim.settings.language = 'en';
    }
  });

  it('refuses undocumented parameter combinations with an <error>', async () => {
    const bad: Record<string, string | number>[] = [
      { generate_report: 'AccessSession', start_time: START_SEC },
      { generate_report: 'AccessSession', start_time: START_SEC, start_date: '2024-06-01', duration: 0 },
      { generate_report: 'AccessSession', lsid: 'abc', duration: 0 },
      { generate_report: 'AccessSession', start_time: 'yesterday', duration: 0 },
      { generate_report: 'AccessSession', start_date: '2024-02-30', duration: 1 },
      { generate_report: 'AccessSessionListing', lsid: 'abc' },
      { generate_report: 'AccessSession' },
      { generate_report: 'Bogus', start_time: START_SEC, duration: 0 },
    ];
    for (const params of bad) {
      const res = await report(sim.url, bearer, params);
      assert.equal(res.status, 200);
      const text = errorOf(res.text);
      assert.ok(text, `error for ${JSON.stringify(params)}`);
      assert.doesNotMatch(text, /No Support report information/);
    }
  });

  it('AccessSessionListing lists sessions with has_recording', async () => {
    const from = START_SEC - 3600;
    const res = await report(sim.url, bearer, { generate_report: 'AccessSessionListing', end_time: from, duration: 0 });
    const doc = parse(res.text) as { session_summary_list: { session_summary: { '@lsid': string; '@has_recording': string }[] } };
    const listed = doc.session_summary_list.session_summary;
    const full = sessionsOf((await report(sim.url, bearer, { generate_report: 'AccessSession', end_time: from, duration: 0 })).text);
    assert.deepEqual(listed.map((s) => s['@lsid']), full.map((s) => s['@lsid']));
    assert.ok(listed.some((s) => s['@has_recording'] === '1') && listed.some((s) => s['@has_recording'] === '0'));
    const empty = await report(sim.url, bearer, { generate_report: 'AccessSessionListing', end_time: START_SEC + 10, duration: 0 });
    assert.match(empty.text, /<session_summary_list[^>]*>\s*<\/session_summary_list>/);
  });

  it('accepts a form POST like a GET', async () => {
    const params = new URLSearchParams({ generate_report: 'AccessSession', start_time: String(START_SEC - 600), duration: '0' });
    const res = await fetch(`${sim.url}/api/reporting`, {
      method: 'POST',
      headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: params.toString(),
    });
    const viaGet = await report(sim.url, bearer, Object.fromEntries(params));
    assert.equal(await res.text(), viaGet.text);
  });

  it('running sessions grow as the clock advances: later events and the end appear, earlier ones stay', async () => {
    const first = sessionsOf((await report(sim.url, bearer, { generate_report: 'AccessSession', start_time: START_SEC - 1200, duration: 0 })).text);
    const running = first.filter((s) => s.end_time === undefined);
    assert.ok(running.length > 0);
    sim.clock.advance(6 * 3600 * 1000);
    const lsids = running.map((s) => s['@lsid']).join(',');
    const stale = await report(sim.url, bearer, { generate_report: 'AccessSession', lsids });
    assert.equal(stale.status, 401, 'six hours outlive the one-hour token');
    bearer = await token(sim.url);
    const now = sessionsOf((await report(sim.url, bearer, { generate_report: 'AccessSession', lsids })).text);
    assert.equal(now.length, running.length);
    let grown = 0;
    for (const [i, s] of now.entries()) {
      const before = running[i]!.session_details.event;
      const after = s.session_details.event;
      assert.deepEqual(after.slice(0, before.length), before, 'earlier events unchanged at the same positions');
      if (after.length > before.length) grown++;
      if (s.end_time) {
        assert.equal(after.at(-1)!['@event_type'], 'Session End');
        assert.ok(s.session_chat_view_url);
      }
    }
    assert.ok(grown > 0);
    assert.ok(now.some((s) => s.end_time !== undefined), 'some have ended');
  });
});
