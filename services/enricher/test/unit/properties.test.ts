import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { sessionsToRecords } from '../../src/stage-a.js';
import { recordsToDocuments } from '../../src/stage-b.js';

const escape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const text = fc.string({ maxLength: 12 }).map(escape);
// With the edge cases of issue 13: padded, empty, no-break space.
const eventTypes = ['Session Start', 'Session End', 'File Upload', 'Chat Message', 'Registry Key Added', 'Some New Type', ' Session  Start\t', '', 'Session\u00a0End'];

const event = fc.record({
  timestamp: fc.oneof(fc.integer({ min: 0, max: 2_000_000_000 }).map(String), fc.constantFrom('2024-01-01T00:00:00Z', '2024-01-01 00:00:00', '1712235600.5'), text),
  type: fc.constantFrom(...eventTypes),
  performer: fc.option(fc.record({ gs: fc.constantFrom('C1', 'R1', 'X'), type: fc.constantFrom('customer', 'representative', 'system') })),
  body: fc.option(fc.oneof(text, text.map((t) => `<![CDATA[ ${t.replace(/]]>/g, '')} ]]>`))),
  filesize: fc.option(fc.oneof(fc.nat().map(String), fc.constantFrom('', '9007199254740993', '9223372036854775808'), text)),
  ip: fc.option(fc.constantFrom('81.2.69.142:61606', '[2001:db8::1]:56722', 'Unknown', '1.2.3.4', 'garbage')),
});

const session = fc.record({
  lsid: fc.stringMatching(/^[0-9a-f]{1,32}$/),
  namespaced: fc.boolean(),
  events: fc.array(event, { minLength: 1, maxLength: 8 }),
});

type Session = typeof session extends fc.Arbitrary<infer T> ? T : never;

function toXml(s: Session): string {
  const events = s.events.map((e) => [
    `<event timestamp="${e.timestamp}" event_type="${e.type}">`,
    e.performer ? `<performed_by gsnumber="${e.performer.gs}" type="${e.performer.type}"/>` : '',
    e.body !== null ? `<body>${e.body}</body>` : '',
    e.filesize !== null ? `<filesize>${e.filesize}</filesize>` : '',
    '</event>',
  ].join('')).join('');
  const customers = `<customer_list><customer gsnumber="C1"><public_ip>${'81.2.69.142'}</public_ip></customer></customer_list>`;
  const reps = `<rep_list><representative gsnumber="R1" id="1"><public_ip>${s.events[0]?.ip ?? ''}</public_ip></representative></rep_list>`;
  const body = `<lseq>1</lseq><start_time timestamp="1704110400">x</start_time>${customers}${reps}<session_details>${events}</session_details>`;
  return s.namespaced
    ? `<p:session xmlns:p="http://www.beyondtrust.com/sra/namespaces/API/reporting" lsid="${s.lsid}">${body.replace(/<(\/?)([a-z_]+)/g, '<$1p:$2')}</p:session>`
    : `<session lsid="${s.lsid}">${body}</session>`;
}

const context = { site: 'site', fetchedAt: 0 };

describe('properties over generated sessions', () => {
  it('stage A never throws on well-formed sessions and gives one record per event', () => {
    fc.assert(fc.property(session, (s) => {
      const [parsed] = sessionsToRecords(toXml(s));
      assert.equal(parsed?.records.length, s.events.length);
      assert.equal(parsed?.lsid, s.lsid);
    }), { numRuns: 200 });
  });

  it('every event becomes exactly one document, ids stable and distinct', () => {
    fc.assert(fc.property(session, (s) => {
      const xml = toXml(s);
      const docs = recordsToDocuments(sessionsToRecords(xml)[0]?.records ?? [], context);
      assert.equal(docs.length, s.events.length);
      const ids = docs.map((d) => (d.event as { id: string }).id);
      assert.equal(new Set(ids).size, ids.length);
      // Another poll (another fetch time, other options) gives the same ids.
      const again = recordsToDocuments(sessionsToRecords(Buffer.from(xml))[0]?.records ?? [], { ...context, fetchedAt: 1e12, preserveOriginalEvent: true });
      assert.deepEqual(again.map((d) => (d.event as { id: string }).id), ids);
      for (const doc of docs) assert.ok(typeof doc['@timestamp'] === 'string');
    }), { numRuns: 200 });
  });

  it('ids differ between sites and sessions', () => {
    fc.assert(fc.property(session, fc.stringMatching(/^[0-9a-f]{1,8}$/), (s, other) => {
      fc.pre(other !== s.lsid);
      const records = sessionsToRecords(toXml(s))[0]?.records ?? [];
      const a = recordsToDocuments(records, context).map((d) => (d.event as { id: string }).id);
      const b = recordsToDocuments(records, { ...context, site: 'other' }).map((d) => (d.event as { id: string }).id);
      const c = recordsToDocuments(sessionsToRecords(toXml({ ...s, lsid: other }))[0]?.records ?? [], context).map((d) => (d.event as { id: string }).id);
      for (const id of a) {
        assert.equal(b.includes(id), false);
        assert.equal(c.includes(id), false);
      }
    }), { numRuns: 100 });
  });
});
