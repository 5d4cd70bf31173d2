import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SessionSplitter, type SessionItem, type SplitItem } from '../../src/session-splitter.js';

const NS = 'http://www.beyondtrust.com/sra/namespaces/API/reporting';

function split(doc: string | Buffer, chunkSizes: number[] | number = 1 << 20, max = 1 << 20): SplitItem[] {
  const bytes = Buffer.isBuffer(doc) ? doc : Buffer.from(doc);
  const s = new SessionSplitter({ maxSessionBytes: max, headBytes: 16 });
  const out: SplitItem[] = [];
  let pos = 0;
  let k = 0;
  while (pos < bytes.length) {
    const size = Array.isArray(chunkSizes) ? (chunkSizes[k++ % chunkSizes.length] as number) : chunkSizes;
    out.push(...s.push(bytes.subarray(pos, pos + size)));
    pos += size;
  }
  out.push(...s.end());
  return out;
}

const session1 = `<session lsid="aaa"><session_type>support</session_type><start_time timestamp="100">x</start_time><session_details><event timestamp="101" event_type="Session Start"><body><![CDATA[</session> <b>]]></body></event><!-- </session> --><event timestamp="102" event_type="Chat Message" note='a>b'/></session_details></session>`;
const session2 = `<session lsid="bbb"><end_time timestamp="200">y</end_time></session>`;
const doc = `<?xml version="1.0" encoding="UTF-8"?>\n<session_list xmlns="${NS}">\n${session1}\n${session2}\n</session_list>\n`;

test('splits sessions, re-declaring the root namespace on each', () => {
  const items = split(doc) as SessionItem[];
  assert.equal(items.length, 2);
  assert.equal(items[0]?.lsid, 'aaa');
  assert.equal(items[0]?.bytes?.toString(), session1.replace('<session lsid', `<session xmlns="${NS}" lsid`));
  assert.equal(items[0]?.events, 2);
  assert.equal(items[1]?.bytes?.toString(), session2.replace('<session lsid', `<session xmlns="${NS}" lsid`));
  assert.equal(items[1]?.size, Buffer.byteLength(session2));
  assert.equal(items[0]?.endTime, undefined, 'no end_time: running');
  assert.equal(items[1]?.endTime, 200);
});

test('gives the same result for every way of cutting the body into chunks', () => {
  const whole = split(doc);
  for (const sizes of [[1], [2], [3], [7], [1, 5, 2, 13], [64]]) {
    assert.deepEqual(split(doc, sizes), whole, `chunks ${sizes.join(',')}`);
  }
});

test('matches elements at any namespace prefix and keeps declarations the session already has', () => {
  const body = `<r:session_list xmlns:r="${NS}" xmlns="urn:other"><r:session lsid="p1" xmlns="urn:other"><r:lseq>1</r:lseq></r:session></r:session_list>`;
  const [item] = split(body, 5) as SessionItem[];
  assert.equal(item?.lsid, 'p1');
  assert.equal(item?.bytes?.toString(), `<r:session xmlns:r="${NS}" lsid="p1" xmlns="urn:other"><r:lseq>1</r:lseq></r:session>`);
});

test('the digest changes with the content and not with the chunking', () => {
  const a = split(doc, 3) as SessionItem[];
  const b = split(doc.replace('Session Start', 'Session End'), 11) as SessionItem[];
  assert.equal(a[1]?.digest, b[1]?.digest);
  assert.notEqual(a[0]?.digest, b[0]?.digest);
});

test('an empty end_time means the session still runs', () => {
  const items = split('<session_list><session lsid="r"><end_time timestamp=""/></session><session lsid="s"><end_time></end_time></session></session_list>', 4) as SessionItem[];
  assert.deepEqual(items.map((i) => i.endTime), [undefined, undefined]);
});

test('reports a root <error> with its text', () => {
  const items = split(`<?xml version="1.0"?><error>No Support report information matching your chosen criteria is available.</error>`, 4);
  assert.deepEqual(items, [{ kind: 'error', where: 'root', text: 'No Support report information matching your chosen criteria is available.' }]);
});

test('reports an <error> under session_list, entities decoded', () => {
  const items = split(`<session_list xmlns="${NS}"><error>Aucune information n&apos;est disponible.</error></session_list>`, 6);
  assert.deepEqual(items, [{ kind: 'error', where: 'child', text: "Aucune information n'est disponible." }]);
});

test('reads the listing summaries', () => {
  const items = split(`<session_summary_list xmlns="${NS}"><session_summary lsid="x1" has_recording="0"/><session_summary lsid="x2" has_recording="1"></session_summary></session_summary_list>`, 9);
  assert.deepEqual(items, [
    { kind: 'summary', lsid: 'x1' },
    { kind: 'summary', lsid: 'x2' },
  ]);
});

test('a truncated body is malformed', () => {
  const cut = doc.slice(0, doc.indexOf('<session lsid="bbb"') + 30);
  assert.throws(() => split(cut, 7), (err: Error & { code?: string }) => err.code === 'PIPE_XML_MALFORMED');
});

test('mismatched tags are malformed', () => {
  assert.throws(() => split('<session_list><session lsid="a"><x></session></session_list>'), (err: Error & { code?: string }) => err.code === 'PIPE_XML_MALFORMED');
});

test('an empty body or text outside the root is malformed', () => {
  assert.throws(() => split(''), (err: Error & { code?: string }) => err.code === 'PIPE_XML_MALFORMED');
  assert.throws(() => split('<html>oops</html> trailing'), (err: Error & { code?: string }) => err.code === 'PIPE_XML_MALFORMED');
});

test('a session over the limit is reported oversize with its head and a digest, not its bytes', () => {
  const big = `<session_list><session lsid="big"><body>${'z'.repeat(5000)}</body></session><session lsid="small"/></session_list>`;
  const items = split(big, 100, 1000) as SessionItem[];
  assert.equal(items.length, 2);
  assert.equal(items[0]?.oversize, true);
  assert.equal(items[0]?.bytes, undefined);
  assert.equal(items[0]?.head?.toString(), '<session lsid="b');
  assert.equal(items[0]?.size, Buffer.byteLength('<session lsid="big"><body></body></session>') + 5000);
  assert.equal(typeof items[0]?.digest, 'string');
  assert.equal(items[1]?.oversize, false);
  assert.equal(items[1]?.bytes?.toString(), '<session lsid="small"/>');
});

test('keeps multi-byte characters split across chunks intact', () => {
  const body = `<session_list><session lsid="u"><body>Grüße — 你好</body></session></session_list>`;
  const [item] = split(Buffer.from(body), 1) as SessionItem[];
  assert.equal(item?.bytes?.toString(), '<session lsid="u"><body>Grüße — 你好</body></session>');
});

test('stops at the nesting limit with PIPE_XML_LIMIT, having kept only that many open elements', () => {
  const s = new SessionSplitter({ maxSessionBytes: 1 << 20, maxDepth: 10 });
  s.push(Buffer.from(`<session_list xmlns="${NS}"><session lsid="deep">`));
  // Depth 2 so far; eight more fit, the ninth does not. Fed one element per chunk, as a trickle would.
  for (let i = 0; i < 8; i++) s.push(Buffer.from('<n>'));
  assert.throws(
    () => s.push(Buffer.from('<n>')),
    (err: Error & { code?: string; context?: Record<string, unknown> }) =>
      err.code === 'PIPE_XML_LIMIT' && /deeper than 10/.test(err.message) && /POLLER_MAX_XML_DEPTH/.test(err.message) && err.context?.maxDepth === 10,
  );
});

test('a session 150 million elements deep fails within the first chunk: the limit comes before memory', () => {
  const s = new SessionSplitter({ maxSessionBytes: 15 << 20 });
  const chunk = Buffer.from('<n>'.repeat(20_000));
  s.push(Buffer.from('<session_list><session lsid="deep">'));
  let pushed = 0;
  assert.throws(() => {
    // 150 million elements would be 7 500 such chunks; the first one passes the default limit of 64.
    for (; pushed < 7_500; pushed++) s.push(chunk);
  }, /deeper than 64/);
  assert.equal(pushed, 0);
});

test('nesting up to the limit is accepted, the limit counting the root as depth 1', () => {
  const inner = (n: number) => '<n>'.repeat(n) + '</n>'.repeat(n);
  const ok = new SessionSplitter({ maxSessionBytes: 1 << 20, maxDepth: 6 });
  const items = ok.push(Buffer.from(`<session_list><session lsid="a">${inner(4)}</session></session_list>`));
  ok.end();
  assert.equal(items.length, 1);
  const over = new SessionSplitter({ maxSessionBytes: 1 << 20, maxDepth: 6 });
  assert.throws(() => over.push(Buffer.from(`<session_list><session lsid="a">${inner(5)}</session></session_list>`)), /deeper than 6/);
});
