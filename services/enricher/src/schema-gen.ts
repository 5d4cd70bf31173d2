/**
 * From the field definitions: the JSON Schema (draft-07) of the documents on
 * the enriched topic, and the table of docs/fields.md.
 */
import { fieldTree, FIELDS, type FieldDefinition, type FieldNode } from './fields.js';

type Schema = Record<string, unknown>;

function leafSchema(def: FieldDefinition): Schema {
  switch (def.type) {
    case 'long':
      return { type: 'integer' };
    case 'boolean':
      return { type: 'boolean' };
    case 'date':
      return def.lenient ? { type: 'string' } : { type: 'string', format: 'date-time' };
    case 'geo_point':
      return {
        type: 'object',
        properties: { lat: { type: 'number' }, lon: { type: 'number' } },
        required: ['lat', 'lon'],
        additionalProperties: true,
      };
    case 'object':
      return { type: 'object', additionalProperties: true };
    default:
      return { type: 'string' };
  }
}

function nodeSchema(node: FieldNode): Schema {
  const def = node.definition;
  let schema: Schema;
  if (node.children.size > 0) {
    const properties: Record<string, Schema> = {};
    for (const [name, child] of node.children) properties[name] = nodeSchema(child);
    // Open objects: a later version may add fields (BACKWARD compatible).
    schema = { type: 'object', properties, additionalProperties: true };
  } else if (def !== undefined) {
    schema = leafSchema(def);
  } else {
    throw new Error('Field tree leaf without a definition');
  }
  if (def?.description) schema.description = def.description;
  return def?.array ? { type: 'array', items: schema, ...(def.description ? { description: def.description } : {}) } : schema;
}

/** JSON Schema (draft-07) of an ECS document, for the registry subject `<topic>-value`. */
export function documentJsonSchema(): Schema {
  const root = nodeSchema(fieldTree());
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    $id: 'https://pra-pipeline/schemas/beyondtrust_pra.access_session.json',
    title: 'beyondtrust_pra.access_session ECS document',
    ...root,
    required: ['@timestamp', 'ecs', 'event'],
  };
}

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/</g, '\\<').replace(/>/g, '\\>');
}

/** The whole of docs/fields.md. */
export function fieldsMarkdown(): string {
  const rows = FIELDS.map((d) => {
    const type = `${d.type}${d.array ? ' (list)' : ''}${d.storedOnly ? ', not indexed' : ''}${d.lenient ? ', ignore_malformed' : ''}`;
    return `| ${cell(d.name)} | ${type} | ${d.ecs ? 'ECS' : 'custom'} | ${cell(d.description)} |`;
  });
  return [
    '# Document fields',
    '',
    '<!-- Generated from services/enricher/src/fields.ts by',
    '     `npm run docs`; do not edit. -->',
    '',
    'Every field of the ECS documents the enricher produces (`beyondtrust_pra.access_session`',
    'data stream). The same definitions generate the index template mappings and the JSON',
    'Schema of the enriched topic. Fields not listed are kept in `_source` but not indexed.',
    '',
    '| Field | Type | Source | Description |',
    '|---|---|---|---|',
    ...rows,
    '',
  ].join('\n');
}
