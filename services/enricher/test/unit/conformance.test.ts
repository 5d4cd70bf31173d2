import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { GeoIpDatabases } from '../../src/geoip.js';
import { parseRecord, parseRecordsNdjson } from '../../src/records.js';
import { recordsToDocuments, recordToDocument } from '../../src/stage-b.js';
import { withoutOurs } from '../conformance.js';
import { testdata } from '../testdata.js';

type Doc = Record<string, Record<string, unknown>>;

describe('conformance with the reference', () => {
  let geo: GeoIpDatabases;
  before(async () => {
    geo = await GeoIpDatabases.open({ dir: testdata('geoip'), pollIntervalMs: 0 });
  });
  after(() => geo.close());

  it('maps pipeline-input.ndjson to pipeline-expected.json', () => {
    const records = parseRecordsNdjson(readFileSync(testdata('elastic-conformance/pipeline-input.ndjson'), 'utf8'));
    const { expected } = JSON.parse(readFileSync(testdata('elastic-conformance/pipeline-expected.json'), 'utf8')) as { expected: Doc[] };
    const docs = recordsToDocuments(records, {
      site: 'pra.example.com', host: 'pra.example.com', fetchedAt: '2024-01-01T14:00:00Z',
      preserveDuplicateCustomFields: true, preserveOriginalEvent: true,
    }, geo);
    assert.equal(docs.length, expected.length);
    docs.forEach((doc, i) => {
      const reference = expected[i] as Doc;
      const { rest, ours } = withoutOurs(doc, reference.tags as unknown as string[]);
      assert.deepEqual(rest, reference);
      assert.deepEqual(ours.data_stream, { dataset: 'beyondtrust_pra.access_session', namespace: 'default', type: 'logs' });
      assert.equal(ours.hostname, 'pra.example.com');
      assert.equal(ours.created, '2024-01-01T14:00:00.000Z');
      assert.deepEqual(ours.extraTags, ['preserve_original_event', 'forwarded', 'beyondtrust_pra-access_session']);
    });
  });

  it('reproduces the reference sample from its own event.original', () => {
    const sample = JSON.parse(readFileSync(testdata('elastic-conformance/seed-sample-event.json'), 'utf8')) as Doc;
    const record = parseRecord(sample.event?.original as string);
    const doc = recordToDocument(record, {
      site: 's', fetchedAt: 0, namespace: 'ns', preserveDuplicateCustomFields: true, preserveOriginalEvent: true,
    }, { position: 0, geo });
    // Added by the Elastic Agent, not ours to copy.
    for (const key of ['agent', 'elastic_agent', 'input']) delete sample[key];
    delete sample.data_stream?.namespace;
    delete sample.event?.agent_id_status;
    delete sample.event?.ingested;
    const { rest } = withoutOurs(doc, sample.tags as unknown as string[]);
    const reference = structuredClone(sample);
    delete reference.data_stream;
    delete reference.event?.dataset;
    assert.deepEqual(rest, reference);
  });
});
