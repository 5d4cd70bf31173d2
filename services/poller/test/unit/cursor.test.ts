import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CursorDraft, expiredOpen, newCursor, parseCursor, serializeCursor, type Cursor, type Observation } from '../../src/cursor.js';

const decide = (cursor: Cursor, obs: Observation) => new CursorDraft(cursor).decide(obs);

const opts = { keepSeconds: 60, maxSeenClosed: 100, now: new Date(0) };

test('a running session is published when new or changed, not when unchanged', () => {
  const draft = new CursorDraft(newCursor('s', 1000));
  const obs = { lsid: 'a', digest: 'd1', events: 2, end: undefined };
  assert.equal(decide(newCursor('s', 1000), obs), 'publish');
  draft.observe(obs, 1100);
  const c1 = draft.result(opts);
  assert.deepEqual(c1.open, { a: { since: 1100, digest: 'd1', events: 2 } });
  assert.equal(decide(c1, obs), 'unchanged');
  assert.equal(decide(c1, { ...obs, digest: 'd2' }), 'publish');
  const d2 = new CursorDraft(c1);
  d2.observe({ ...obs, digest: 'd2' }, 1200);
  assert.deepEqual(d2.result(opts).open, { a: { since: 1100, digest: 'd2', events: 2 } }, 'first-seen time is kept');
});

test('a session that ends moves from open to seen-closed and is not published twice', () => {
  const draft = new CursorDraft(newCursor('s', 1000));
  draft.observe({ lsid: 'a', digest: 'd1', events: 2, end: undefined }, 1100);
  draft.observe({ lsid: 'a', digest: 'd2', events: 3, end: 1150 }, 1200);
  const c = draft.result(opts);
  assert.deepEqual(c.open, {});
  assert.deepEqual(c.seenClosed, { a: { end: 1150, digest: 'd2', events: 3 } });
  assert.equal(decide(c, { lsid: 'a', digest: 'd2', events: 3, end: 1150 }), 'unchanged');
  assert.equal(decide(c, { lsid: 'a', digest: 'd3', events: 3, end: 1150 }), 'publish');
});

test('seen-closed entries are pruned by end time below both cursors, and capped', () => {
  const draft = new CursorDraft(newCursor('s', 1000));
  draft.observe({ lsid: 'old', digest: 'x', events: 1, end: 900 }, 1000);
  draft.observe({ lsid: 'edge', digest: 'x', events: 1, end: 1940 }, 1000);
  draft.observe({ lsid: 'new', digest: 'x', events: 1, end: 2500 }, 1000);
  draft.setStart(3000);
  draft.setClosed(2000);
  assert.deepEqual(Object.keys(draft.result(opts).seenClosed).sort(), ['edge', 'new']);
  assert.deepEqual(Object.keys(draft.result({ ...opts, maxSeenClosed: 1 }).seenClosed), ['new']);
});

test('cursors only move forward', () => {
  const draft = new CursorDraft(newCursor('s', 1000));
  draft.setStart(900);
  draft.setClosed(800);
  const c = draft.result(opts);
  assert.equal(c.start, 1000);
  assert.equal(c.closed, 1000);
});

test('round-trips through its serialised form and rejects what is not a cursor', () => {
  const draft = new CursorDraft(newCursor('s', 1000));
  draft.observe({ lsid: 'a', digest: 'd', events: 1, end: undefined }, 1000);
  draft.observe({ lsid: 'b', digest: 'e', events: 1, end: 1001 }, 1000);
  const c = draft.result(opts);
  assert.deepEqual(parseCursor(serializeCursor(c), 's'), c);
  assert.throws(() => parseCursor(serializeCursor(c), 'other'), /belongs to site s/);
  assert.throws(() => parseCursor('{"version":1}', 's'), (e: Error & { code?: string }) => e.code === 'PIPE_RECORD_INVALID');
  assert.throws(() => parseCursor('not json', 's'), (e: Error & { code?: string }) => e.code === 'PIPE_RECORD_INVALID');
});

test('lists running sessions past the maximum age', () => {
  const draft = new CursorDraft(newCursor('s', 0));
  draft.observe({ lsid: 'young', digest: 'd', events: 1, end: undefined }, 900);
  draft.observe({ lsid: 'old', digest: 'd', events: 1, end: undefined }, 100);
  assert.deepEqual(expiredOpen(draft.result(opts), 1000, 500), ['old']);
});

test('published-before counts what earlier versions of the session carried, running or closed', () => {
  const empty = new CursorDraft(newCursor('s', 1000));
  assert.equal(empty.publishedBefore({ lsid: 'a', digest: '3/running', events: 3, end: undefined }), 0, 'a new session: all events new');
  empty.observe({ lsid: 'a', digest: '3/running', events: 3, end: undefined }, 1100);
  const c1 = empty.result(opts);
  const d1 = new CursorDraft(c1);
  assert.equal(d1.publishedBefore({ lsid: 'a', digest: '5/running', events: 5, end: undefined }), 3);
  d1.observe({ lsid: 'a', digest: '5/running', events: 5, end: undefined }, 1200);
  const d2 = new CursorDraft(d1.result(opts));
  assert.equal(d2.publishedBefore({ lsid: 'a', digest: '7/1250', events: 7, end: 1250 }), 5, 'the end counts from its running version');
  d2.observe({ lsid: 'a', digest: '7/1250', events: 7, end: 1250 }, 1300);
  const d3 = new CursorDraft(d2.result(opts));
  assert.equal(d3.publishedBefore({ lsid: 'a', digest: '8/1250', events: 8, end: 1250 }), 7, 'a closed session that changed again');
  assert.equal(d3.publishedBefore({ lsid: 'a', digest: '2/1250', events: 2, end: 1250 }), 2, 'never more than the session holds');
});

test('an entry of an older cursor without a count gives 0: every event is handed on again', () => {
  const old = parseCursor(JSON.stringify({ ...newCursor('s', 1000), open: { a: { since: 1000, digest: '4/running' } } }), 's');
  assert.equal(new CursorDraft(old).publishedBefore({ lsid: 'a', digest: '6/running', events: 6, end: undefined }), 0);
});
