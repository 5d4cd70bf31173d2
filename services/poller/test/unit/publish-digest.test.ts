import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SessionSplitter } from '../../src/session-splitter.js';
import { publishDigest } from '../../src/site-poller.js';

function item(xml: string) {
  const splitter = new SessionSplitter({ maxSessionBytes: 1 << 20 });
  const items = [...splitter.push(Buffer.from(xml)), ...splitter.end()];
  const session = items.find((i) => i.kind === 'session');
  assert.ok(session && session.kind === 'session');
  return session;
}

const session = (duration: string, events: number, end = '') =>
  `<session_list><session lsid="a"><duration>${duration}</duration>${end}<rep_list><representative><seconds_involved>${duration.length}</seconds_involved></representative></rep_list><session_details>${'<event timestamp="1" event_type="Chat Message"/>'.repeat(events)}</session_details></session></session_list>`;

test('a running session whose ticking fields alone changed is not worth publishing again', () => {
  assert.equal(publishDigest(item(session('00:01:00', 3))), publishDigest(item(session('00:02:30', 3))));
});

test('a new event, or the end of the session, is', () => {
  const before = publishDigest(item(session('00:01:00', 3)));
  assert.notEqual(publishDigest(item(session('00:01:00', 4))), before);
  assert.notEqual(publishDigest(item(session('00:01:00', 3, '<end_time timestamp="1712239200">2024-04-04T14:00:00Z</end_time>'))), before);
});
