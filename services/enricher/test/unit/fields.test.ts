import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { before, describe, it } from 'node:test';
import { Ajv } from 'ajv';
import { FIELDS, FIELDS_BY_NAME, indexMappings } from '../../src/fields.js';
import { GeoIpDatabases } from '../../src/geoip.js';
import { parseRecord, parseRecordsNdjson } from '../../src/records.js';
import { documentJsonSchema, fieldsMarkdown } from '../../src/schema-gen.js';
import { xmlToRecords } from '../../src/stage-a.js';
import { recordsToDocuments, type EcsDocument } from '../../src/stage-b.js';
import { REPO_ROOT, testdata } from '../testdata.js';

const CORE_TYPES = new Set(['keyword', 'constant_keyword', 'long', 'boolean', 'ip', 'date', 'geo_point', 'text', 'object']);

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

describe('field definitions', () => {
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

  it('generates mappings with core types only', () => {
    const mappings = indexMappings();
    assert.equal(mappings.dynamic, false);
    const seen: string[] = [];
    const walk = (props: Record<string, Record<string, unknown>>, prefix: string) => {
      for (const [name, m] of Object.entries(props)) {
        assert.ok(CORE_TYPES.has(m.type as string), `${prefix}${name}: ${String(m.type)}`);
        if (m.properties) walk(m.properties as Record<string, Record<string, unknown>>, `${prefix}${name}.`);
        else seen.push(`${prefix}${name}`);
      }
    };
    walk(mappings.properties as Record<string, Record<string, unknown>>, '');
    assert.deepEqual(seen.sort(), FIELDS.filter((f) => f.type !== 'object').map((f) => f.name).sort());
    const props = mappings.properties as Record<string, { properties: Record<string, unknown> }>;
    assert.deepEqual(props.event?.properties.original, { type: 'keyword', index: false, doc_values: false });
    const source = props.source?.properties as Record<string, { properties: Record<string, unknown> }>;
    assert.deepEqual(source.geo?.properties.location, { type: 'geo_point' });
    assert.deepEqual(source.ip, { type: 'ip' });
  });

  it('generates a JSON Schema the documents satisfy and that stays open', () => {
    const schema = documentJsonSchema();
    assert.equal(schema.$schema, 'http://json-schema.org/draft-07/schema#');
    assert.equal(schema.additionalProperties, true);
    const ajv = new Ajv({ strict: false, allErrors: true });
    const validate = ajv.compile(schema);
    for (const doc of documents) assert.ok(validate(doc), JSON.stringify(validate.errors));
    assert.equal(validate({ ...documents[0], file: { name: 5 } }), false);
    assert.equal(validate({ ...documents[0], new_field: { any: 1 } }), true);
  });

  it('docs/fields.md is the generated table', () => {
    const onDisk = readFileSync(resolve(REPO_ROOT, 'docs/fields.md'), 'utf8');
    assert.equal(onDisk, fieldsMarkdown(), 'docs/fields.md is out of date: run npm run docs');
    for (const field of FIELDS) assert.ok(onDisk.includes(`| ${field.name} |`), field.name);
  });
});
