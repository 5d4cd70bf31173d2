/**
 * Issue 13: the edge cases where our documents differed from what the
 * reference indexes (ecs-mapping.md stage A, B.3 to B.9).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Ajv } from 'ajv';
import { documentJsonSchema, fieldsMarkdown, indexMappings, LONG_COMMENT } from '@pra-pipeline/shared';
import { toLong } from '../../src/convert.js';
import { eventId } from '../../src/event-id.js';
import { GeoIpDatabases } from '../../src/geoip.js';
import { parseRecord } from '../../src/records.js';
import { sessionsToRecordsEach, xmlToRecords, type StageARecord } from '../../src/stage-a.js';
import { recordToDocument, recordsToDocuments } from '../../src/stage-b.js';
import type { SiteContext } from '../../src/site-context.js';
import { testdata } from '../testdata.js';

type Doc = Record<string, Record<string, unknown>>;
const context: SiteContext = { site: 'site-a', fetchedAt: '2024-05-01T00:00:00Z' };
const map = (record: StageARecord, ctx: Partial<SiteContext> = {}) => recordToDocument(record, { ...context, ...ctx }, { position: 0 }) as Doc;
const bpa = (doc: Doc) => (doc.beyondtrust_pra?.access_session ?? {}) as Record<string, Record<string, unknown>>;
const errors = (doc: Doc) => (doc.error?.message ?? []) as string[];

/** One session of one event whose inside is `event`; `extra` goes into the session. */
function xml(event: string, extra = '', attributes = 'timestamp="1712235600" event_type="Session Start"'): string {
  return `<session lsid="L1"><lseq>1</lseq>${extra}<session_details><event ${attributes}>${event}</event></session_details></session>`;
}
const mapXml = (text: string, ctx: Partial<SiteContext> = {}) => {
  const [record] = xmlToRecords(text);
  assert.ok(record);
  return map(record, ctx);
};

describe('issue 13: fidelity with the reference', () => {
  it('takes the region from the most specific subdivision (2.125.160.216: West Berkshire, in England)', async (t) => {
    const geo = await GeoIpDatabases.open({ dir: testdata('geoip'), pollIntervalMs: 0 });
    t.after(() => geo.close());
    const record = xmlToRecords(xml('<performed_by gsnumber="C1" type="customer"/>',
      '<customer_list><customer gsnumber="C1"><public_ip>2.125.160.216:50123</public_ip></customer></customer_list>'))[0];
    assert.ok(record);
    const doc = recordToDocument(record, context, { position: 0, geo }) as Doc;
    const sourceGeo = doc.source?.geo as Record<string, unknown>;
    assert.equal(sourceGeo.country_iso_code, 'GB');
    assert.equal(sourceGeo.region_iso_code, 'GB-WBK');
    assert.equal(sourceGeo.region_name, 'West Berkshire');
    assert.deepEqual(doc.host?.geo, sourceGeo);
    assert.equal(doc.source?.port, 50123);
  });

  it('falls back to the start_time text, then the end_time text, never their timestamp attributes', () => {
    const start = { '#text': '2024-03-03T10:00:00Z', timestamp: '1704110400' };
    const end = { '#text': '2024-03-03T11:30:00+01:00', timestamp: '1704114000' };
    assert.equal(map({ session: { start_time: start, end_time: end } })['@timestamp'], '2024-03-03T10:00:00.000Z');
    // Start text unusable or missing: the end text, even with a start attribute.
    assert.equal(map({ session: { start_time: { '#text': 'soon', timestamp: '1704110400' }, end_time: end } })['@timestamp'], '2024-03-03T10:30:00.000Z');
    assert.equal(map({ session: { start_time: { timestamp: '1704110400' }, end_time: end } })['@timestamp'], '2024-03-03T10:30:00.000Z');
    // Only attributes: the fetch time.
    const attributesOnly = map({ session: { start_time: { timestamp: '1704110400' }, end_time: { timestamp: '1704114000' } } });
    assert.equal(attributesOnly['@timestamp'], '2024-05-01T00:00:00.000Z');
    assert.equal(attributesOnly.event?.kind, 'event');
    // The text of a text-only element counts the same, from XML as well.
    const fromXml = mapXml(xml('', '<start_time timestamp="1704110400">2024-03-03T09:00:00Z</start_time>', 'event_type="Session Start"'));
    assert.equal(fromXml['@timestamp'], '2024-03-03T09:00:00.000Z');
    assert.deepEqual(bpa(fromXml).session?.start_time, { text: '2024-03-03T09:00:00Z', timestamp: '2024-01-01T12:00:00.000Z' });
  });

  it('gives no event.category and no event.type without an event_type', () => {
    for (const record of [{ session: { lsid: 'x' } }, { event_type: '', session: { lsid: 'x' } }, { event_type: ' \t ', session: { lsid: 'x' } }]) {
      const doc = map(record);
      assert.equal(doc.event?.action, undefined, JSON.stringify(record));
      assert.equal(doc.event?.category, undefined, JSON.stringify(record));
      assert.equal(doc.event?.type, undefined, JSON.stringify(record));
      assert.equal(doc.event?.kind, 'event');
    }
    const unknown = map({ event_type: 'Something New', session: { lsid: 'x' } });
    assert.deepEqual([unknown.event?.category, unknown.event?.type], [['session'], ['info']]);
  });

  it('makes each empty numeric element a conversion error, and drops an empty session_owner', () => {
    const doc = mapXml(xml(
      '<performed_by gsnumber="R1" type="representative"/><filesize/><files><file><filename>a</filename><filesize></filesize></file><file><filename>b</filename><filesize>7</filesize></file></files>',
      '<file_move_count/><file_transfer_count></file_transfer_count><file_delete_count/>'
        + '<rep_list><representative gsnumber="R1"><username>u</username><seconds_involved/><session_owner/></representative></rep_list>',
    ), { preserveDuplicateCustomFields: true });
    assert.equal(doc.event?.kind, 'pipeline_error');
    const messages = errors(doc);
    assert.deepEqual(messages.map((m) => m.slice(0, m.indexOf(':'))).sort(), [
      'beyondtrust_pra.access_session.files.file.filesize',
      'beyondtrust_pra.access_session.filesize',
      'beyondtrust_pra.access_session.performed_by.seconds_involved',
      'beyondtrust_pra.access_session.session.file_move_count',
      'beyondtrust_pra.access_session.session.file_transfer_count',
    ]);
    for (const m of messages) assert.match(m, /cannot convert "" to long/);
    assert.equal(doc.file?.size, undefined);
    assert.deepEqual(bpa(doc).files, { file: [{ filename: 'a' }, { filename: 'b', filesize: 7 }] });
    assert.deepEqual(bpa(doc).performed_by, { gsnumber: 'R1', type: 'representative', username: 'u' });
    // An empty filesize alone in its file is still an error, though the file leaves nothing.
    const alone = map({ session: { lsid: 'x' }, files: { file: [{ filesize: '' }] } });
    assert.equal(errors(alone).length, 1);
    assert.equal(bpa(alone).files, undefined);
  });

  it('sets invited for 1 and 0 only, leaving any other value out without an error', () => {
    const invited = (value: unknown) => {
      const doc = map({ session: { lsid: 'x' }, performed_by: { username: 'u', invited: value } });
      assert.equal(doc.error, undefined, JSON.stringify(value));
      return bpa(doc).performed_by?.invited;
    };
    assert.equal(invited(1), true);
    assert.equal(invited(0), false);
    for (const other of [2, -1, 'yes', 'true', true, '', 'maybe']) assert.equal(invited(other), undefined, JSON.stringify(other));
    const rep = (value: string) => `<rep_list><representative gsnumber="R1"><invited>${value}</invited></representative></rep_list>`;
    const performer = '<performed_by gsnumber="R1" type="representative"/>';
    assert.equal(bpa(mapXml(xml(performer, rep(' 1 ')))).performed_by?.invited, true);
    assert.equal(bpa(mapXml(xml(performer, rep('0')))).performed_by?.invited, false);
    const yes = mapXml(xml(performer, rep('yes')));
    assert.equal(bpa(yes).performed_by?.invited, undefined);
    assert.equal(yes.event?.kind, 'event');
  });

  it('trims every text node, CDATA and decoded references included, and no attribute', () => {
    const [record] = xmlToRecords(xml(
      '<body>  <![CDATA[ a < b ]]>\n  </body><filename>&#32;f.txt&#9;</filename><performed_by gsnumber="C1" type="customer"> Who </performed_by>',
      '<custom_attributes><custom_attribute code_name=" c " display_name="C">\n  v  \n</custom_attribute></custom_attributes>'
        + '<customer_list><customer gsnumber="C1"><username>\n  user\n</username></customer></customer_list>',
      'timestamp="1712235600" event_type=" Session Start "',
    ));
    assert.ok(record);
    assert.equal(record.body, 'a < b');
    assert.equal(record.filename, 'f.txt');
    assert.equal(record.event_type, ' Session Start ');
    assert.deepEqual(record.performed_by, { '#text': 'Who', gsnumber: 'C1', type: 'customer', username: 'user' });
    assert.deepEqual((record.session as Record<string, Record<string, unknown>>).custom_attributes?.custom_attribute,
      [{ '#text': 'v', code_name: ' c ', display_name: 'C' }]);
  });

  it('keeps longs exact over the signed 64-bit range and refuses what lies outside', () => {
    const size = (value: string) => {
      const doc = mapXml(xml(`<filesize>${value}</filesize><files><file><filesize>${value}</filesize></file></files>`), { preserveDuplicateCustomFields: true });
      return { doc, size: doc.file?.size, bpa: bpa(doc).filesize, file: (bpa(doc).files?.file as Record<string, unknown>[] | undefined)?.[0]?.filesize };
    };
    const beyondDouble = size('9007199254740993'); // 2^53 + 1
    assert.deepEqual([beyondDouble.size, beyondDouble.bpa, beyondDouble.file], ['9007199254740993', '9007199254740993', '9007199254740993']);
    assert.equal(beyondDouble.doc.event?.kind, 'event');
    // It survives a JSON round trip, as on the enriched topic.
    assert.equal((JSON.parse(JSON.stringify(beyondDouble.doc)) as Doc).file?.size, '9007199254740993');
    assert.equal(size('9223372036854775807').size, '9223372036854775807');
    assert.equal(size('-9223372036854775808').size, '-9223372036854775808');
    assert.equal(size('9007199254740991').size, 9007199254740991);
    for (const outside of ['9223372036854775808', '-9223372036854775809', '99999999999999999999']) {
      const { doc, size: s } = size(outside);
      assert.equal(s, undefined, outside);
      assert.equal(errors(doc).length, 2, outside);
      assert.equal(doc.event?.kind, 'pipeline_error');
    }
    // The convert processor's rules: Long.parseLong, or Long.decode for 0x.
    assert.equal(toLong('+12'), 12);
    assert.equal(toLong('0x10'), 16);
    assert.equal(toLong('-0x10'), -16);
    assert.equal(toLong('0x7fffffffffffffff'), '9223372036854775807');
    assert.equal(toLong('0x8000000000000000'), undefined);
    for (const bad of [' 12', '1.0', '1e3', '', '0X10', '+0x10', 'twelve']) assert.equal(toLong(bad), undefined, bad);
    assert.equal(toLong(2 ** 60), '1152921504606846976');
    assert.equal(toLong(1.5), undefined);
    assert.equal(toLong(2 ** 63), undefined);
    // A record read as JSON keeps a large integer literal exact too.
    const record = parseRecord('{"session":{"lsid":"x","file_transfer_count":9007199254740993},"filesize":-9007199254740993,"body":"9007199254740993"}');
    const fromJson = map(record);
    assert.equal(fromJson.file?.size, '-9007199254740993');
    assert.equal(bpa(fromJson).session?.file_transfer_count, '9007199254740993');
    assert.equal(fromJson.message, '9007199254740993');
  });

  it('lets the string form of a long through the JSON Schema and declares coerce in the index mapping', () => {
    const schema = documentJsonSchema();
    const validate = new Ajv({ strict: false, logger: false }).compile(schema);
    const doc = mapXml(xml('<filesize>9007199254740993</filesize>'));
    assert.ok(validate(doc), JSON.stringify(validate.errors));
    assert.equal(validate({ ...doc, file: { size: 12 } }), true);
    assert.equal(validate({ ...doc, file: { name: 12 } }), false); // other fields keep their types
    // No type on a long: the only widening of `integer` the registry's BACKWARD rule accepts.
    const file = (schema.properties as Record<string, { properties: Record<string, Record<string, unknown>> }>).file?.properties;
    assert.deepEqual(file?.size, { $comment: LONG_COMMENT, description: 'Size of the file in bytes.' });
    const mapping = (indexMappings().properties.file as { properties: Record<string, unknown> }).properties;
    assert.deepEqual(mapping.size, { type: 'long', coerce: true });
  });

  it('reads bpa.data.name from the name attribute of data', () => {
    const doc = mapXml(xml('<data name="settings"><value name="k" value="v"/></data>'));
    assert.deepEqual(bpa(doc).data, { name: 'settings', value: [{ name: 'k', value: 'v' }] });
    // Indexed as a keyword; left out of the JSON Schema, whose registered versions must stay compatible.
    const mapping = indexMappings().properties.beyondtrust_pra as { properties: Record<string, { properties: Record<string, { properties: Record<string, unknown> }> }> };
    assert.deepEqual(mapping.properties.access_session?.properties.data?.properties.name, { type: 'keyword', ignore_above: 1024 });
    const schema = documentJsonSchema() as { properties: Record<string, { properties: Record<string, { properties: Record<string, { properties: Record<string, unknown> }> }> }> };
    const dataSchema = schema.properties.beyondtrust_pra?.properties.access_session?.properties.data?.properties;
    assert.deepEqual(Object.keys(dataSchema ?? {}), ['value']);
    assert.deepEqual(bpa(mapXml(xml('<data><value name="k" value="v"/></data>'))).data, { value: [{ name: 'k', value: 'v' }] });
  });

  it('keeps event_type as given and builds event.action from it trimmed, split on the reference whitespace', () => {
    const padded = map({ event_type: ' \tSession \r\n Start\f\v', session: { lsid: 'x' } });
    assert.equal(bpa(padded).event_type, ' \tSession \r\n Start\f\v');
    assert.equal(padded.event?.action, 'session-start');
    assert.deepEqual(padded.event?.type, ['start']);
    // A no-break space is not whitespace to the reference: no split, no trim.
    const nbsp = map({ event_type: '\u00a0Session\u00a0Start', session: { lsid: 'x' } });
    assert.equal(nbsp.event?.action, '\u00a0session\u00a0start');
    assert.deepEqual([nbsp.event?.category, nbsp.event?.type], [['session'], ['info']]);
  });

  it('reads event timestamps as ISO 8601 with T or Unix seconds, anything else an error before the fallback', () => {
    const session = { lsid: 'x', start_time: { '#text': '2024-01-01T12:00:00Z' } };
    const at = (timestamp: unknown) => map({ timestamp, session });
    for (const [given, expected] of [
      ['1712235600', '2024-04-04T13:00:00.000Z'],
      ['1712235600.25', '2024-04-04T13:00:00.250Z'],
      ['2024-04-04T13:00:00Z', '2024-04-04T13:00:00.000Z'],
      ['2024-04-04T15:00:00,5+0200', '2024-04-04T13:00:00.500Z'],
      ['2024-04-04T13', '2024-04-04T13:00:00.000Z'],
      ['2024-04-04', '2024-04-04T00:00:00.000Z'],
    ] as const) {
      const doc = at(given);
      assert.equal(doc['@timestamp'], expected, given);
      assert.equal(doc.event?.kind, 'event', given);
    }
    for (const bad of ['2024-04-04 13:00:00', ' 1712235600', '2024-04-04T13:00:00Z ', '2024-02-30T00:00:00Z', '2024-04-04T24:00:00Z', '2024-04-04t13:00:00z', '-5', '']) {
      const doc = at(bad);
      assert.equal(doc['@timestamp'], '2024-01-01T12:00:00.000Z', bad);
      assert.equal(doc.event?.kind, 'pipeline_error', bad);
      assert.match(errors(doc)[0] ?? '', /^@timestamp: cannot parse/, bad);
    }
  });

  it('keeps the event.id of events indexed before: the type trimmed, the instant read leniently', () => {
    const base = { timestamp: '1712235600', event_type: 'Session Start', session: { lsid: 'L' } };
    const id = eventId('s', base, 3);
    assert.equal(eventId('s', { ...base, event_type: ' Session Start ' }, 3), id);
    assert.equal(eventId('s', { ...base, timestamp: '2024-04-04 13:00:00' }, 3), id);
    assert.equal(eventId('s', { ...base, timestamp: ' 2024-04-04T13:00:00Z ' }, 3), id);
    assert.notEqual(eventId('s', { ...base, event_type: 'Session End' }, 3), id);
  });

  it('reads the other sessions of a report when one has no events', () => {
    const session = (lsid: string, events: string) => `<session lsid="${lsid}"><lseq>1</lseq><session_details>${events}</session_details></session>`;
    const event = '<event timestamp="1712235600" event_type="Session Start"/>';
    const results = sessionsToRecordsEach(`<session_list>${session('a', event)}${session('empty', '')}${session('c', event + event)}</session_list>`);
    assert.equal(results.length, 3);
    const [first, failed, third] = results;
    assert.ok(first && !('error' in first) && first.records.length === 1);
    assert.ok(failed && 'error' in failed);
    assert.deepEqual([failed.position, failed.lsid, failed.error.code], [1, 'empty', 'PIPE_SESSION_EMPTY']);
    assert.ok(third && !('error' in third) && third.records.length === 2);
  });

  it('maps only positions from publishedBefore on, with the ids of the whole session', () => {
    const records = xmlToRecords(`<session lsid="p"><session_details>${['A', 'B', 'C'].map((t, i) => `<event timestamp="${1712235600 + i}" event_type="${t}"/>`).join('')}</session_details></session>`);
    const all = recordsToDocuments(records, context);
    assert.deepEqual(recordsToDocuments(records, context, undefined, 2), all.slice(2));
    assert.deepEqual(recordsToDocuments(records, context, undefined, 0), all);
    assert.deepEqual(recordsToDocuments(records, context, undefined, 5), []);
  });

  it('keeps what the listed differences say we keep: text-only elements, compact XML alike', () => {
    const doc = mapXml(xml('', '<jump_group>Team</jump_group><jumpoint>JP</jumpoint><primary_customer>PC</primary_customer>'));
    const session = bpa(doc).session as Record<string, unknown>;
    assert.deepEqual([session.jump_group, session.jumpoint, session.primary_customer], [{ text: 'Team' }, { text: 'JP' }, { text: 'PC' }]);
    const indented = `<session lsid="L1">
  <lseq>1</lseq>
  <primary_customer gsnumber="C1">PC</primary_customer>
  <customer_list>
    <customer gsnumber="C1">
      <username>u</username>
    </customer>
  </customer_list>
  <session_details>
    <event timestamp="1712235600" event_type="Session Start">
      <performed_by gsnumber="C1" type="customer">Who</performed_by>
      <files>
        <file><filename>a</filename></file>
      </files>
    </event>
  </session_details>
</session>`;
    const compact = indented.replace(/>\s+</g, '><');
    assert.notEqual(compact, indented);
    assert.deepEqual(xmlToRecords(compact), xmlToRecords(indented));
    assert.equal(JSON.stringify(xmlToRecords(compact)).includes('#text":""'), false);
  });

  it('lists every deliberate difference from the reference in docs/fields.md', () => {
    const markdown = fieldsMarkdown();
    const section = markdown.slice(markdown.indexOf('## Deliberate differences from the reference'));
    assert.ok(section.length > 100);
    for (const point of ['Addresses with a port', '`Unknown` addresses', 'Unix-second timestamps', '`event.action` from a trimmed `event_type`',
      'Text-only `jump_group`, `jumpoint`, `primary_customer`', '`#text` of compact XML']) {
      assert.ok(section.includes(`- **${point}.**`), point);
    }
    assert.match(markdown, /## Long values/);
  });
});
