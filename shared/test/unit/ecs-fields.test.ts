/**
 * The field definitions and what is generated from them: the index mappings,
 * the JSON Schema of the enriched topic and docs/fields.md. That they cover
 * every field of the enricher's documents is the enricher's own test.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { Ajv } from 'ajv';
import { documentJsonSchema, FIELDS, FIELDS_BY_NAME, fieldsMarkdown, fieldTree, indexMappings, LONG_COMMENT } from '@pra-pipeline/shared';

const CORE_TYPES = new Set(['keyword', 'constant_keyword', 'long', 'boolean', 'ip', 'date', 'geo_point', 'text', 'object']);
const FIELDS_MD = new URL('../../../docs/fields.md', import.meta.url);

describe('field definitions', () => {
  it('names each field once, sorted, and indexes them by name', () => {
    const names = FIELDS.map((f) => f.name);
    assert.deepEqual(names, [...names].sort((a, b) => a.localeCompare(b)));
    assert.equal(new Set(names).size, names.length);
    assert.equal(FIELDS_BY_NAME.size, FIELDS.length);
    assert.equal(FIELDS_BY_NAME.get('source.ip')?.type, 'ip');
    assert.equal(fieldTree().children.get('source')?.children.get('ip')?.definition, FIELDS_BY_NAME.get('source.ip'));
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

  it('maps constant_keyword as keyword for a cluster without that mapper', () => {
    const constant = FIELDS.filter((f) => f.type === 'constant_keyword').map((f) => f.name);
    assert.ok(constant.length > 0);
    const at = (m: ReturnType<typeof indexMappings>, name: string) =>
      name.split('.').reduce<Record<string, unknown> | undefined>(
        (node, part) => (node?.properties as Record<string, Record<string, unknown>> | undefined)?.[part], m as unknown as Record<string, unknown>);
    for (const name of constant) {
      assert.deepEqual(at(indexMappings(), name), { type: 'constant_keyword' }, name);
      assert.deepEqual(at(indexMappings({ constantKeyword: false }), name), { type: 'keyword', ignore_above: 1024 }, name);
    }
  });

  it('generates a JSON Schema that types the fields and stays open', () => {
    const schema = documentJsonSchema();
    assert.equal(schema.$schema, 'http://json-schema.org/draft-07/schema#');
    assert.equal(schema.additionalProperties, true);
    const validate = new Ajv({ strict: false, allErrors: true }).compile(schema);
    const doc = { '@timestamp': '2024-05-01T00:00:00Z', ecs: { version: '8.11.0' }, event: { kind: 'event' } };
    assert.ok(validate(doc), JSON.stringify(validate.errors));
    assert.equal(validate({ ...doc, file: { name: 5 } }), false);
    assert.equal(validate({ ...doc, file: { size: '9007199254740993' } }), true);
    assert.equal(validate({ ...doc, new_field: { any: 1 } }), true);
    const file = (schema.properties as Record<string, { properties: Record<string, Record<string, unknown>> }>).file?.properties;
    assert.equal(file?.size?.$comment, LONG_COMMENT);
  });

  it('docs/fields.md is the generated table', () => {
    const onDisk = readFileSync(FIELDS_MD, 'utf8');
    assert.equal(onDisk, fieldsMarkdown(), 'docs/fields.md is out of date: run npm run docs');
    for (const field of FIELDS) assert.ok(onDisk.includes(`| ${field.name} |`), field.name);
  });
});
