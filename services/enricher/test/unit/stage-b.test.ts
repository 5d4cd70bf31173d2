import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { GeoLookup } from '../../src/geo-fields.js';
import { recordToDocument } from '../../src/stage-b.js';
import type { SiteContext } from '../../src/site-context.js';
import type { StageARecord } from '../../src/stage-a.js';

type Doc = Record<string, Record<string, unknown>> & { tags: string[] };
const context: SiteContext = { site: 'site-a', host: 'pra.example.com', fetchedAt: '2024-05-01T00:00:00Z' };
const map = (record: StageARecord, ctx: Partial<SiteContext> = {}, geo?: GeoLookup) =>
  recordToDocument(record, { ...context, ...ctx }, { position: 0, geo }) as Doc;
const bpa = (doc: Doc) => (doc.beyondtrust_pra?.access_session ?? {}) as Record<string, Record<string, unknown>>;

const session = {
  lsid: 'L1',
  start_time: { '#text': '2024-01-01T12:00:00Z', timestamp: '1704110400' },
  end_time: { '#text': '2024-01-01T13:00:00Z', timestamp: '1704114000' },
};

describe('stage B', () => {
  it('reads Unix-second and ISO timestamps', () => {
    assert.equal(map({ timestamp: '1712235600', session })['@timestamp'], '2024-04-04T13:00:00.000Z');
    assert.equal(map({ timestamp: 1712235600.5, session })['@timestamp'], '2024-04-04T13:00:00.500Z');
    assert.equal(map({ timestamp: '2024-04-04T15:00:00+02:00', session })['@timestamp'], '2024-04-04T13:00:00.000Z');
    assert.equal(map({ timestamp: '2024-04-04T13:00:00', session })['@timestamp'], '2024-04-04T13:00:00.000Z');
    const kept = map({ timestamp: '1712235600', session }, { preserveDuplicateCustomFields: true });
    assert.equal(bpa(kept).timestamp, '2024-04-04T13:00:00.000Z');
    assert.equal(bpa(map({ timestamp: '1712235600', session })).timestamp, undefined);
  });

  it('falls back to session start, then end, then the fetch time', () => {
    assert.equal(map({ session })['@timestamp'], '2024-01-01T12:00:00.000Z');
    assert.equal(map({ session: { end_time: session.end_time } })['@timestamp'], '2024-01-01T13:00:00.000Z');
    assert.equal(map({ session: { start_time: { '#text': '2024-02-02T00:00:00Z' } } })['@timestamp'], '2024-02-02T00:00:00.000Z');
    const none = map({ session: { lsid: 'x' } });
    assert.equal(none['@timestamp'], '2024-05-01T00:00:00.000Z');
    assert.equal(none.event?.created, '2024-05-01T00:00:00.000Z');
    assert.equal(none.event?.kind, 'event');
    // An unusable event timestamp is an error, and the fallback still applies.
    const bad = map({ timestamp: 'yesterday', session });
    assert.equal(bad['@timestamp'], '2024-01-01T12:00:00.000Z');
    assert.equal(bad.event?.kind, 'pipeline_error');
    assert.match((bad.error?.message as string[])[0] ?? '', /yesterday/);
    assert.deepEqual(bpa(map({ session })).session?.start_time, { text: '2024-01-01T12:00:00Z', timestamp: '2024-01-01T12:00:00.000Z' });
  });

  it('splits ip:port and [v6]:port, and treats Unknown as absent', () => {
    const doc = map({
      session,
      performed_by: { type: 'customer', public_ip: '81.2.69.142:61606', private_ip: 'Unknown', hostname: 'h' },
      destination: { type: 'representative', public_ip: '[2001:db8::1]:56722', private_ip: 'UNKNOWN', username: 'u' },
    }, { preserveDuplicateCustomFields: true });
    assert.deepEqual(doc.source, { domain: 'h', ip: '81.2.69.142', port: 61606 });
    assert.deepEqual(doc.destination, { ip: '2001:db8::1', port: 56722, user: { name: 'u' } });
    assert.equal(bpa(doc).performed_by?.public_ip, '81.2.69.142');
    assert.equal(bpa(doc).performed_by?.private_ip, undefined);
    assert.equal(doc.event?.kind, 'event');
    assert.equal(doc.error, undefined);
    assert.deepEqual(doc.related?.ip, ['2001:db8::1', '81.2.69.142']);
    assert.deepEqual(doc.host?.ip, ['81.2.69.142']);
    const plainV6 = map({ session, performed_by: { public_ip: '2001:db8::2', private_ip: '10.0.0.1:3389' } });
    assert.deepEqual(plainV6.source, { ip: '2001:db8::2', nat: { ip: '10.0.0.1', port: 3389 } });
  });

  it('keeps conversion errors in the document (B.13)', () => {
    const doc = map({
      session: { ...session, file_move_count: 'many' },
      performed_by: { public_ip: 'not-an-ip', invited: 'maybe', seconds_involved: '1.5', username: 'u' },
      filesize: 'big',
      files: { file: [{ filename: 'a', filesize: 'x' }, { filename: 'b', filesize: '7' }] },
    });
    assert.equal(doc.event?.kind, 'pipeline_error');
    const messages = doc.error?.message as string[];
    // invited "maybe" is left out without an error (B.3).
    assert.equal(messages.length, 5);
    assert.equal(messages.some((m) => m.includes('invited')), false);
    for (const part of ['public_ip', 'seconds_involved', 'filesize', 'files.file.filesize', 'file_move_count']) {
      assert.ok(messages.some((m) => m.includes(part)), part);
    }
    assert.deepEqual(bpa(doc).files, { file: [{ filename: 'a' }, { filename: 'b', filesize: 7 }] });
    assert.deepEqual(doc.source, { user: { name: 'u' } });
  });

  it('removes the custom copies unless preserve_duplicate_custom_fields, and tags the options', () => {
    const record = { session, body: 'hi', filename: 'f', filesize: 3, performed_by: { hostname: 'h', id: '1', username: 'u', display_name: 'D', os: 'os' } };
    const plain = map(record);
    assert.deepEqual(bpa(plain).performed_by, { display_name: 'D', os: 'os' });
    assert.equal(bpa(plain).body, undefined);
    assert.equal(plain.message, 'hi');
    assert.deepEqual(plain.file, { name: 'f', size: 3 });
    assert.equal(plain.event?.original, undefined);
    assert.deepEqual(plain.tags, ['forwarded', 'beyondtrust_pra-access_session']);
    const kept = map(record, { preserveDuplicateCustomFields: true, preserveOriginalEvent: true, tags: ['x'] });
    assert.deepEqual(bpa(kept).performed_by, { display_name: 'D', hostname: 'h', id: '1', os: 'os', username: 'u' });
    assert.equal(bpa(kept).body, 'hi');
    assert.equal(kept.event?.original, JSON.stringify(record));
    assert.deepEqual(kept.tags, ['preserve_original_event', 'preserve_duplicate_custom_fields', 'x']);
    assert.deepEqual(kept.related?.user, ['D', '1', 'u']);
  });

  it('sets categories from the action and the site fields', () => {
    const doc = map({ session, event_type: 'Credential  Injection Attempt Failed' }, { namespace: 'prod' });
    assert.equal(doc.event?.action, 'credential-injection-attempt-failed');
    assert.deepEqual(doc.event?.category, ['session', 'authentication', 'intrusion_detection']);
    assert.deepEqual(doc.event?.type, ['info', 'denied']);
    assert.equal(doc.observer?.hostname, 'pra.example.com');
    assert.equal(doc.data_stream?.namespace, 'prod');
    const unknown = map({ session, event_type: 'Session Mouse Left Clicked' });
    assert.deepEqual([unknown.event?.category, unknown.event?.type], [['session'], ['info']]);
    const none = map({ session });
    assert.deepEqual([none.event?.action, none.event?.category, none.event?.type], [undefined, undefined, undefined]);
  });

  it('keeps encoded_body and drops empty values', () => {
    const doc = map({ session, encoded_body: 'AAEC', body: '', data: { value: [{ name: 'a', value: '' }, {}] }, destination: {} });
    assert.equal(bpa(doc).encoded_body, 'AAEC');
    assert.equal(doc.message, undefined);
    assert.deepEqual(bpa(doc).data, { value: [{ name: 'a' }] });
    assert.equal(doc.destination, undefined);
  });

  it('adds geo and AS from the lookup, and host.geo from the source', () => {
    const geo: GeoLookup = {
      lookup: (ip) => (ip === '1.2.3.4' ? { geo: { city_name: 'C', location: { lat: 1, lon: 2 } }, as: { number: 5 } } : undefined),
    };
    const doc = map({ session, performed_by: { public_ip: '1.2.3.4:5' }, destination: { public_ip: '5.6.7.8' } }, {}, geo);
    assert.deepEqual(doc.source, { ip: '1.2.3.4', port: 5, geo: { city_name: 'C', location: { lat: 1, lon: 2 } }, as: { number: 5 } });
    assert.deepEqual(doc.host, { geo: { city_name: 'C', location: { lat: 1, lon: 2 } }, ip: ['1.2.3.4'] });
    assert.deepEqual(doc.destination, { ip: '5.6.7.8' });
  });

  it('does not change the record', () => {
    const record = { session: structuredClone(session), performed_by: { public_ip: '1.2.3.4:5', invited: 1 }, body: '', files: { file: [{ filesize: '1' }] } };
    const before = structuredClone(record);
    map(record, { preserveDuplicateCustomFields: true });
    assert.deepEqual(record, before);
  });
});
