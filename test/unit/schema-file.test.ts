/**
 * The document schema checked in at schemas/pra.ecs.access-session.v1.json is
 * the one the enricher registers, generated from the field definitions: it
 * fails when a field is added, removed or retyped without `npm run schema`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { FIELDS, documentJsonSchema } from '@pra-pipeline/shared';
import { schemaFilePath, schemaFileText } from '../../scripts/schema-file.js';

interface Node {
  type?: string | string[];
  properties?: Record<string, Node>;
  items?: Node;
  additionalProperties?: unknown;
}
const file = readFileSync(schemaFilePath, 'utf8');
const checkedIn = JSON.parse(file) as Node & { required: string[] };

/** The schema node at a dotted field path (through arrays of objects). */
function at(root: Node, path: string): Node | undefined {
  let node: Node | undefined = root;
  for (const part of path.split('.')) {
    const object: Node | undefined = node?.items?.properties ? node.items : node;
    node = object?.properties?.[part];
    if (!node) return undefined;
  }
  return node;
}

/** Every leaf property path of the schema (objects with properties are not leaves). */
function leafPaths(node: Node, prefix = ''): string[] {
  const object = node.items?.properties ? node.items : node;
  if (!object.properties) return [prefix];
  return Object.entries(object.properties).flatMap(([k, child]) => leafPaths(child, prefix ? `${prefix}.${k}` : k));
}

test('schemas/pra.ecs.access-session.v1.json is the generated document schema (npm run schema)', () => {
  assert.equal(file, schemaFileText(), 'the checked-in schema drifted from the field definitions: run npm run schema and review the change against docs/consuming.md, "Schema policy"');
  assert.deepEqual(checkedIn, documentJsonSchema(), 'and it is what the enricher registers');
});

test('the schema file has a property for every field definition and no property without one', () => {
  for (const field of FIELDS) {
    // laterThanSchema: set after the topic (event.ingested) or left out of the registered schema on purpose.
    if (field.laterThanSchema) assert.equal(at(checkedIn, field.name), undefined, `${field.name} is marked as not in the schema`);
    else assert.ok(at(checkedIn, field.name), `${field.name} is not in the schema file`);
  }
  const defined = new Set(FIELDS.map((f) => f.name));
  // A geo_point is an object of lat and lon in the document.
  const geoPoints = new Set(FIELDS.filter((f) => f.type === 'geo_point').map((f) => f.name));
  const orphans = leafPaths(checkedIn).filter((p) => !defined.has(p) && !geoPoints.has(p.replace(/\.(lat|lon)$/, '')));
  assert.deepEqual(orphans, [], 'properties in the schema file that no field defines');
  assert.deepEqual(checkedIn.required, ['@timestamp', 'ecs', 'event']);
  assert.notEqual(checkedIn.additionalProperties, false, 'the document schema stays open, so adding an optional field is FORWARD compatible');
});
