import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { PipelineError, RECORD_HEADERS } from '@pra-pipeline/shared';
import { enrichRawRecord, siteContextOf } from '../../src/raw-record.js';
import { chunk } from '../../src/kafka-runner.js';
import { testdata } from '../testdata.js';

const headers = {
  [RECORD_HEADERS.site]: 'east',
  [RECORD_HEADERS.siteHost]: 'pra-east.example.com',
  [RECORD_HEADERS.namespace]: 'prod',
  [RECORD_HEADERS.tags]: 'forwarded,custom',
  [RECORD_HEADERS.preserveOriginalEvent]: 'true',
  [RECORD_HEADERS.preserveDuplicateCustomFields]: 'false',
  [RECORD_HEADERS.fetchedAt]: '2024-04-04T15:00:00.000Z',
};

test('the site options travel from the record headers into the documents', () => {
  const xml = readFileSync(testdata('pra/report-single-session.xml'));
  const sessions = enrichRawRecord({ key: Buffer.from('east/x'), value: xml, headers }, undefined, {});
  assert.equal(sessions.length, 1);
  const doc = sessions[0]!.documents[0] as Record<string, Record<string, unknown>>;
  assert.equal(doc.observer?.hostname, 'pra-east.example.com');
  assert.equal(doc.data_stream?.namespace, 'prod');
  assert.ok((doc.tags as unknown as string[]).includes('custom'));
  assert.ok((doc.tags as unknown as string[]).includes('preserve_original_event'));
  assert.equal(typeof doc.event?.original, 'string');
  assert.equal(doc.event?.created, '2024-04-04T15:00:00.000Z');
});

test('the site comes from the key when the header is absent; a missing fetch time is an input error', () => {
  const { [RECORD_HEADERS.site]: _site, ...rest } = headers;
  assert.equal(siteContextOf({ key: Buffer.from('west/abc'), value: null, headers: rest }).site, 'west');
  const { [RECORD_HEADERS.fetchedAt]: _f, ...noTime } = headers;
  assert.throws(
    () => siteContextOf({ key: Buffer.from('west/abc'), value: null, headers: noTime }),
    (err: unknown) => err instanceof PipelineError && err.code === 'PIPE_RECORD_INVALID' && /pra\.fetched_at/.test(err.message),
  );
});

test('an empty value and broken XML are input errors with their codes', () => {
  assert.throws(() => enrichRawRecord({ key: null, value: Buffer.alloc(0), headers }, undefined, {}), (e: unknown) => e instanceof PipelineError && e.code === 'PIPE_RECORD_INVALID');
  assert.throws(
    () => enrichRawRecord({ key: null, value: Buffer.from('<session><lseq>1</lseq><session_details><event'), headers }, undefined, {}),
    (e: unknown) => e instanceof PipelineError && e.code === 'PIPE_XML_MALFORMED',
  );
});

test('chunks are bounded by records and by bytes, and keep order', () => {
  const items = [10, 10, 10, 50, 10].map((n, i) => ({ i, value: Buffer.alloc(n) }));
  assert.deepEqual(chunk(items, 2, 1000).map((c) => c.map((x) => x.i)), [[0, 1], [2, 3], [4]]);
  assert.deepEqual(chunk(items, 10, 30).map((c) => c.map((x) => x.i)), [[0, 1, 2], [3], [4]]);
  assert.deepEqual(chunk([], 10, 30), []);
});

test('event.id is the simulator\'s ground-truth id, whichever notation the timestamp has', async () => {
  const { eventIdOf } = await import('@pra-pipeline/pra-simulator');
  const { eventId } = await import('../../src/event-id.js');
  const truth = { site: 'east', lsid: 'abc', position: 3, timestamp: 1712235600, event_type: 'File Upload' };
  const record = (timestamp: string) => ({ timestamp, event_type: 'File Upload', session: { lsid: 'abc' } });
  assert.equal(eventId('east', record('1712235600'), 3), eventIdOf(truth));
  assert.equal(eventId('east', record('2024-04-04T13:00:00Z'), 3), eventIdOf(truth));
  assert.notEqual(eventId('east', record('1712235601'), 3), eventIdOf(truth));
});

test('bug: a record whose report holds no session vanished, neither mapped nor dead-lettered', () => {
  for (const xml of ['<session_list/>', '<session_list></session_list>', '<session_list>\n  <!-- none -->\n</session_list>']) {
    assert.throws(
      () => enrichRawRecord({ key: Buffer.from('east/x'), value: Buffer.from(xml), headers }, undefined, {}),
      (e: unknown) => e instanceof PipelineError && e.code === 'PIPE_SESSION_EMPTY' && /no <session>/.test(e.message),
      xml,
    );
  }
});
