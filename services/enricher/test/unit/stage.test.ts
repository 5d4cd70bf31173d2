import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createLogger, DLQ_HEADERS, headerString, Metrics, PipelineError, RECORD_HEADERS } from '@pra-pipeline/shared';
import { EnricherStage, type OutMessage, type SourcedRecord } from '../../src/stage.js';
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

function stage(maxBufferedBytes: number, sends: { documents: OutMessage[]; deadLetters: OutMessage[] }[]) {
  return new EnricherStage({
    geo: () => undefined,
    limits: {},
    // The registry's part: a document it rejects throws PIPE_SCHEMA_REJECTED.
    encode: (document) => {
      if ((document.event as { action?: string }).action === 'poison') throw new PipelineError('PIPE_SCHEMA_REJECTED', 'The schema rejects event.action poison');
      return Buffer.from(JSON.stringify(document));
    },
    output: { send: async (documents, deadLetters) => void sends.push({ documents, deadLetters }) },
    metrics: enricherMetrics(new Metrics({ defaultMetrics: false })),
    logger: createLogger({ service: 'test', level: 'silent' }),
    maxBufferedBytes,
  });
}

const record = (value: Buffer, offset: string): SourcedRecord => ({ key: Buffer.from('east/x'), value, headers, topic: 'raw', partition: 0, offset });

test('a session of many events is produced in slices no larger than the buffer (plus one document)', async () => {
  const sends: { documents: OutMessage[]; deadLetters: OutMessage[] }[] = [];
  const result = await stage(20_000, sends).process([record(sessionWithEvents('big', 300), '0')]);
  assert.ok(sends.length > 5, `only ${sends.length} slices`);
  const sizes = sends.map((s) => s.documents.reduce((n, d) => n + (d.value as Buffer).length, 0));
  const largest = Math.max(...sends.flatMap((s) => s.documents.map((d) => (d.value as Buffer).length)));
  for (const size of sizes) assert.ok(size < 20_000 + largest, `a slice of ${size} bytes`);
  assert.equal(result.documents, 299);
  assert.equal(sends.flatMap((s) => s.documents).length, 299);
});

test('a document the schema rejects dead-letters its raw record; the valid documents are produced', async () => {
  const sends: { documents: OutMessage[]; deadLetters: OutMessage[] }[] = [];
  const value = sessionWithEvents('mixed', 10);
  const result = await stage(10_000_000, sends).process([record(value, '41'), record(Buffer.from('<session'), '42')]);
  assert.deepEqual(result, { documents: 9, deadLetters: 2 });
  const letters = sends.flatMap((s) => s.deadLetters);
  assert.equal(headerString(letters[0]!.headers![DLQ_HEADERS.errorCode]), 'PIPE_SCHEMA_REJECTED');
  assert.equal(headerString(letters[0]!.headers![DLQ_HEADERS.sourceOffset]), '41');
  assert.deepEqual(letters[0]!.value, value, 'the raw record is dead-lettered whole, for a replay');
  assert.equal(headerString(letters[1]!.headers![DLQ_HEADERS.errorCode]), 'PIPE_XML_MALFORMED');
});
