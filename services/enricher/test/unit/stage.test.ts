import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createLogger, DLQ_HEADERS, headerString, Metrics, PipelineError, RECORD_HEADERS } from '@pra-pipeline/shared';
import { EnricherStage, type EnricherOutput, type OutMessage, type SourcedRecord } from '../../src/stage.js';
import { enricherMetrics } from '../../src/telemetry.js';
import { testdata } from '../testdata.js';

const headers = { [RECORD_HEADERS.site]: 'east', [RECORD_HEADERS.fetchedAt]: '2024-04-04T15:00:00.000Z' };

function sessionWithEvents(lsid: string, events: number): Buffer {
  const report = readFileSync(testdata('pra/report-single-session.xml'), 'utf8');
  const session = report.slice(report.indexOf('<session>'), report.lastIndexOf('</session>') + '</session>'.length);
  const event = session.match(/<event [\s\S]*?<\/event>/)![0];
  const many = Array.from({ length: events }, (_, i) => event.replace('event_type="Session Start"', `event_type="${i === 7 ? 'Poison' : 'File Upload'}"`)).join('');
  return Buffer.from(session.replace('<session>', `<session lsid="${lsid}">`).replace(event, many));
}

type Sends = { documents: OutMessage[]; deadLetters: OutMessage[] }[];

const collect = (sends: Sends): EnricherOutput => ({ send: async (documents, deadLetters) => void sends.push({ documents, deadLetters }) });

function stage(maxBufferedBytes: number) {
  return new EnricherStage({
    geo: () => undefined,
    limits: {},
    // The registry's part: a document it rejects throws PIPE_SCHEMA_REJECTED.
    encode: (document) => {
      if ((document.event as { action?: string }).action === 'poison') throw new PipelineError('PIPE_SCHEMA_REJECTED', 'The schema rejects event.action poison');
      return Buffer.from(JSON.stringify(document));
    },
    metrics: enricherMetrics(new Metrics({ defaultMetrics: false })),
    logger: createLogger({ service: 'test', level: 'silent' }),
    maxBufferedBytes,
  });
}

const record = (value: Buffer, offset: string, extra: Record<string, string> = {}): SourcedRecord => ({
  key: Buffer.from('east/x'),
  value,
  headers: { ...headers, ...extra },
  topic: 'raw',
  partition: 0,
  offset,
});

test('a session of many events is produced in slices no larger than the buffer (plus one document)', async () => {
  const sends: Sends = [];
  const result = await stage(20_000).process([record(sessionWithEvents('big', 300), '0')], collect(sends));
  assert.ok(sends.length > 5, `only ${sends.length} slices`);
  const sizes = sends.map((s) => s.documents.reduce((n, d) => n + (d.value as Buffer).length, 0));
  const largest = Math.max(...sends.flatMap((s) => s.documents.map((d) => (d.value as Buffer).length)));
  for (const size of sizes) assert.ok(size < 20_000 + largest, `a slice of ${size} bytes`);
  assert.equal(result.documents, 299);
  assert.equal(sends.flatMap((s) => s.documents).length, 299);
});

test('a document the schema rejects dead-letters its raw record; the valid documents are produced', async () => {
  const sends: Sends = [];
  const value = sessionWithEvents('mixed', 10);
  const result = await stage(10_000_000).process([record(value, '41'), record(Buffer.from('<session'), '42')], collect(sends));
  assert.deepEqual(result, { documents: 9, deadLetters: 2, skippedEvents: 0 });
  const letters = sends.flatMap((s) => s.deadLetters);
  assert.equal(headerString(letters[0]!.headers![DLQ_HEADERS.errorCode]), 'PIPE_SCHEMA_REJECTED');
  assert.equal(headerString(letters[0]!.headers![DLQ_HEADERS.sourceOffset]), '41');
  assert.deepEqual(letters[0]!.value, value, 'the raw record is dead-lettered whole, for a replay');
  assert.equal(headerString(letters[1]!.headers![DLQ_HEADERS.errorCode]), 'PIPE_XML_MALFORMED');
});

const eventIds = (sends: Sends) => sends.flatMap((s) => s.documents.map((d) => (JSON.parse(String(d.value)) as { event: { id: string } }).event.id));

test('only the events at or after the published-before count are mapped, with the ids they have in the whole session', async () => {
  const value = sessionWithEvents('grow', 12);
  const whole: Sends = [];
  await stage(10_000_000).process([record(value, '1')], collect(whole));
  const later: Sends = [];
  const result = await stage(10_000_000).process([record(value, '2', { [RECORD_HEADERS.publishedBefore]: '9' })], collect(later));
  assert.deepEqual(result, { documents: 3, deadLetters: 0, skippedEvents: 9 });
  assert.deepEqual(eventIds(later), eventIds(whole).slice(-3));
  assert.equal(later[0]!.documents[0]!.headers![RECORD_HEADERS.publishedBefore], undefined, 'the count describes the raw record, not a document');
});

test('a count at or past the session length maps nothing; a count that is not a number dead-letters the record', async () => {
  const value = sessionWithEvents('done', 4);
  const none: Sends = [];
  assert.deepEqual(await stage(10_000_000).process([record(value, '1', { [RECORD_HEADERS.publishedBefore]: '4' })], collect(none)), {
    documents: 0,
    deadLetters: 0,
    skippedEvents: 4,
  });
  assert.equal(none.length, 0);
  const bad: Sends = [];
  const result = await stage(10_000_000).process([record(value, '2', { [RECORD_HEADERS.publishedBefore]: '-1' })], collect(bad));
  assert.equal(result.deadLetters, 1);
  const letter = bad[0]!.deadLetters[0]!;
  assert.equal(headerString(letter.headers![DLQ_HEADERS.errorCode]), 'PIPE_RECORD_INVALID');
  assert.match(headerString(letter.headers![DLQ_HEADERS.reason]) ?? '', /pra\.events\.published-before/);
});
