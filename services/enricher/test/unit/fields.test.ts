/**
 * The shared field definitions cover the enricher's documents: every field of
 * a generated document is defined, and every document satisfies the JSON
 * Schema generated from them.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { before, describe, it } from 'node:test';
import { Ajv } from 'ajv';
import { documentJsonSchema, FIELDS_BY_NAME } from '@pra-pipeline/shared';
import { GeoIpDatabases } from '../../src/geoip.js';
import { parseRecord, parseRecordsNdjson } from '../../src/records.js';
import { xmlToRecords } from '../../src/stage-a.js';
import { recordsToDocuments, type EcsDocument } from '../../src/stage-b.js';
import { testdata } from '../testdata.js';

/** Every leaf path of a document; arrays of objects keep their path. */
function leafPaths(value: unknown, path: string, out: Set<string>): Set<string> {
  if (Array.isArray(value)) {
    for (const item of value) leafPaths(item, path, out);
  } else if (typeof value === 'object' && value !== null && FIELDS_BY_NAME.get(path)?.type !== 'geo_point') {
    for (const [key, item] of Object.entries(value)) leafPaths(item, path === '' ? key : `${path}.${key}`, out);
  } else {
    out.add(path);
  }
  return out;
}

describe('field definitions of the enricher documents', () => {
  let documents: EcsDocument[] = [];
  before(async () => {
    const geo = await GeoIpDatabases.open({ dir: testdata('geoip'), pollIntervalMs: 0 });
    const context = { site: 's', host: 'h', fetchedAt: 0, preserveOriginalEvent: true, preserveDuplicateCustomFields: true };
    const sample = JSON.parse(readFileSync(testdata('elastic-conformance/seed-sample-event.json'), 'utf8')) as { event: { original: string } };
    const records = [
      ...parseRecordsNdjson(readFileSync(testdata('elastic-conformance/pipeline-input.ndjson'), 'utf8')),
      parseRecord(sample.event.original),
      ...xmlToRecords(readFileSync(testdata('pra/report-single-session.xml'))),
      { timestamp: 'bad', performed_by: { public_ip: '81.2.69.142:1', private_ip: '10.0.0.1:2' }, session: { lsid: 'x' } },
    ];
    documents = recordsToDocuments(records, context, geo);
    geo.close();
  });

  it('defines every field of generated documents, conformance ones included', () => {
    const paths = new Set<string>();
    for (const doc of documents) leafPaths(doc, '', paths);
    assert.ok(paths.size > 100);
    const missing = [...paths].filter((p) => !FIELDS_BY_NAME.has(p));
    assert.deepEqual(missing, []);
  });

  it('generates documents that satisfy the JSON Schema', () => {
    const validate = new Ajv({ strict: false, allErrors: true }).compile(documentJsonSchema());
    assert.ok(documents.length > 2, `${documents.length} documents`);
    for (const doc of documents) assert.ok(validate(doc), JSON.stringify(validate.errors));
    assert.equal(validate({ ...documents[0], file: { name: 5 } }), false);
  });
});
