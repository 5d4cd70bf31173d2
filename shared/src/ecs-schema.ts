/**
 * From the field definitions: the JSON Schema (draft-07) of the documents on
 * the enriched topic, and the table of docs/fields.md.
 */
import { fieldTree, FIELDS, type FieldDefinition, type FieldNode } from './ecs-fields.js';

type Schema = Record<string, unknown>;

/** The JSON Schema's word on a long field, which it does not constrain. */
export const LONG_COMMENT = 'long: an integer; beyond 2^53 in magnitude, a string of its decimal digits';

function leafSchema(def: FieldDefinition): Schema {
  switch (def.type) {
    case 'long':
      // A number, or beyond 2^53 the decimal digits as a string (the enricher's convert.ts, LongValue).
      // Unconstrained on purpose: the registry's BACKWARD rule refuses every other widening
      // of `integer` (a type list, anyOf, oneOf: "Subschema type changed"), and the enricher
      // must register this schema over the subject earlier versions registered. The index
      // mapping (long, coerce) is the type check.
      return { $comment: LONG_COMMENT };
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
    for (const [name, child] of node.children) {
      if (child.definition?.laterThanSchema !== true) properties[name] = nodeSchema(child);
    }
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

const LONGS = [
  '## Long values',
  '',
  'A `long` field holds every integer of the signed 64-bit range exactly, as in Elasticsearch.',
  'Up to 2^53 - 1 in magnitude it is a JSON number. Beyond that, up to 2^63 - 1, it is a JSON',
  'string of its decimal digits (a file size of 9007199254740993 bytes is `"9007199254740993"`):',
  'a JavaScript reader (the sink, the schema registry client, most consumers) turns a JSON number',
  'that large into the nearest double without a word, while digits in a string reach every reader',
  'unchanged. The index mapping is `long` with `coerce: true`, which parses such a string exactly,',
  'so term and range queries and aggregations see the exact value. The JSON Schema does not',
  'constrain long fields (a `$comment` says what they hold): the registry\'s BACKWARD rule refuses',
  'every other widening of an `integer` field, and the schema must register over the one earlier',
  'versions registered. A value outside the signed 64-bit range is a conversion error',
  '(`error.message`, `event.kind: pipeline_error`).',
];

const DIFFERENCES = [
  '## Deliberate differences from the reference',
  '',
  'The documents are those that the Elastic integration `beyondtrust_pra` (data stream',
  '`access_session`) indexes for the same session, except in these cases, where the reference',
  'loses data and we keep it:',
  '',
  '- **Addresses with a port.** Appliances report `public_ip` (and sometimes `private_ip`) with',
  '  the client port: `81.2.69.142:61606`, `[2001:db8::1]:56722`. The reference fails to convert',
  '  the value to an IP (an `error.message`, `pipeline_error`) and has no `source.ip`, no geo and',
  '  no AS fields. We take the address as the IP and put the port in `source.port` or',
  '  `destination.port` (`nat.port` for a private address).',
  '- **`Unknown` addresses.** Appliances write `Unknown` when they do not know the private',
  '  address. The reference reports it as an invalid IP (`pipeline_error`). We treat `Unknown`,',
  '  in any case, as no address, without an error.',
  '- **Unix-second timestamps.** Appliances send the event `timestamp` as Unix seconds. The',
  '  reference parses ISO 8601 only, records an error and falls back to the session\'s start time.',
  '  We read Unix seconds (a fraction allowed) as well as ISO 8601, so `@timestamp` is the time of',
  '  the event. Other notations (a space between date and time, for example) are errors in both.',
  '- **`event.action` from a trimmed `event_type`.** The reference makes `-session-start` of',
  '  `" Session Start"`. We trim the value first (spaces, tabs, line breaks, form feeds, vertical',
  '  tabs; not a no-break space) and give `session-start`, with its categories; an `event_type`',
  '  of spaces only gives no `event.action`. `beyondtrust_pra.access_session.event_type` stays as',
  '  given in both.',
  '- **Text-only `jump_group`, `jumpoint`, `primary_customer`.** Without attributes, such an',
  '  element is a string in the record, where the reference expects an object with `#text`: it',
  '  renames nothing, and the string meets the object its mapping declares for that field, which',
  '  Elasticsearch refuses. We index the text as `session.jump_group.text` (likewise',
  '  `session.jumpoint.text`, `session.primary_customer.text`).',
  '- **`#text` of compact XML.** On compact XML (no line breaks or indentation between elements)',
  '  the reference\'s decoder can leave stray `#text` keys in its record beside an element\'s',
  '  children, which reach its documents under names no mapping declares. Our record is the same',
  '  for compact and indented XML, without such keys.',
  '',
  'Two more differences are of form, not content: `event.original` is kept only with',
  '`preserve_original_event` (the reference keeps it always), and a long beyond 2^53 is a string',
  'of digits in `_source` where the reference\'s is a number (see Long values).',
];

/** The whole of docs/fields.md. */
export function fieldsMarkdown(): string {
  const rows = FIELDS.map((d) => {
    const type = `${d.type}${d.array ? ' (list)' : ''}${d.storedOnly ? ', not indexed' : ''}${d.lenient ? ', ignore_malformed' : ''}${d.laterThanSchema ? ', not in the JSON Schema' : ''}`;
    return `| ${cell(d.name)} | ${type} | ${d.ecs ? 'ECS' : 'custom'} | ${cell(d.description)} |`;
  });
  return [
    '# Document fields',
    '',
    '<!-- Generated from shared/src/ecs-fields.ts by',
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
    ...LONGS,
    '',
    ...DIFFERENCES,
    '',
  ].join('\n');
}
