/**
 * The one list of document fields, the contract between the enricher (which
 * produces the documents) and the sink (which indexes them). From it come the
 * Elasticsearch mappings (here), the JSON Schema of the enriched topic and the
 * table in docs/fields.md (ecs-schema.ts). A test of the enricher walks
 * generated documents and fails on any field missing here.
 */

/**
 * Core Elasticsearch types, plus constant_keyword (x-pack's mapper): the index
 * setup maps it as keyword on a cluster without that mapper (the bare test
 * distribution), see indexMappings.
 */
export type FieldType = 'keyword' | 'constant_keyword' | 'long' | 'boolean' | 'ip' | 'date' | 'geo_point' | 'text' | 'object';

export interface FieldDefinition {
  /** Dotted path in the document. */
  name: string;
  type: FieldType;
  /** True for ECS fields, false for ours and the integration's custom ones. */
  ecs: boolean;
  description: string;
  /** The value is a list (of `type` values, or of objects for type object). */
  array?: boolean;
  /** Stored only: not searchable, no doc values (event.original). */
  storedOnly?: boolean;
  /** Kept as given by the appliance: a malformed value must not reject the document. */
  lenient?: boolean;
  /**
   * Added after the JSON Schema was first registered: not declared in it (open
   * objects allow it), since the registry's BACKWARD rule refuses any property
   * added to an open object, typed or not ("property schemas narrowed").
   */
  laterThanSchema?: boolean;
}

const BPA = 'beyondtrust_pra.access_session';

function f(name: string, type: FieldType, description: string, extra: Partial<FieldDefinition> = {}): FieldDefinition {
  return { name, type, ecs: false, description, ...extra };
}
function ecs(name: string, type: FieldType, description: string, extra: Partial<FieldDefinition> = {}): FieldDefinition {
  return { name, type, ecs: true, description, ...extra };
}

function participant(role: 'destination' | 'performed_by'): FieldDefinition[] {
  const p = `${BPA}.${role}`;
  const who = role === 'destination' ? 'Indicates whether this action was directed to the system, a customer, or a user.' : 'Indicates whether this action was performed by the system, an endpoint, or a representative.';
  return [
    f(`${p}.display_name`, 'keyword', 'The display name assigned to the user.'),
    f(`${p}.gsnumber`, 'keyword', "Uniquely identifies the user in regards to their current connection to the appliance."),
    f(`${p}.hostname`, 'keyword', "The hostname of the user's computer."),
    f(`${p}.id`, 'keyword', 'Unique ID assigned to the user.'),
    f(`${p}.invited`, 'boolean', 'Integer value (1) present only if the user is an invited user.'),
    f(`${p}.os`, 'keyword', "The operating system of the user's computer."),
    f(`${p}.private_ip`, 'ip', "The user's private IP address."),
    f(`${p}.public_ip`, 'ip', "The user's public IP address (without the port)."),
    f(`${p}.seconds_involved`, 'long', 'Number of seconds the user was involved in this session.'),
    f(`${p}.session_owner`, 'keyword', 'Whether the user was the owner of the session (1) or a conference member (0).'),
    f(`${p}.type`, 'keyword', who),
    f(`${p}.username`, 'keyword', 'The username assigned to the user.'),
  ];
}

function geo(prefix: string): FieldDefinition[] {
  return [
    ecs(`${prefix}.geo.city_name`, 'keyword', 'City name.'),
    ecs(`${prefix}.geo.continent_name`, 'keyword', 'Name of the continent.'),
    ecs(`${prefix}.geo.country_iso_code`, 'keyword', 'Country ISO code.'),
    ecs(`${prefix}.geo.country_name`, 'keyword', 'Country name.'),
    ecs(`${prefix}.geo.location`, 'geo_point', 'Longitude and latitude.'),
    ecs(`${prefix}.geo.region_iso_code`, 'keyword', 'Region ISO code.'),
    ecs(`${prefix}.geo.region_name`, 'keyword', 'Region name.'),
  ];
}

function endpoint(prefix: 'source' | 'destination', role: string): FieldDefinition[] {
  return [
    ecs(`${prefix}.as.number`, 'long', 'Autonomous system number.'),
    ecs(`${prefix}.as.organization.name`, 'keyword', 'Organization name of the autonomous system.'),
    ecs(`${prefix}.domain`, 'keyword', `Host name of the ${role}.`),
    ...geo(prefix),
    ecs(`${prefix}.ip`, 'ip', `Public IP address of the ${role}.`),
    ecs(`${prefix}.nat.ip`, 'ip', `Private IP address of the ${role}.`),
    ecs(`${prefix}.nat.port`, 'long', `Port of the ${role}'s private address, when reported.`),
    ecs(`${prefix}.port`, 'long', `Client port of the ${role}'s public address, when reported.`),
    ecs(`${prefix}.user.id`, 'keyword', `User ID of the ${role}.`),
    ecs(`${prefix}.user.name`, 'keyword', `User name of the ${role}.`),
  ];
}

function textElement(path: string, text: string, attributes: Record<string, string>): FieldDefinition[] {
  return [
    ...Object.entries(attributes).map(([name, description]) => f(`${path}.${name}`, 'keyword', description)),
    f(`${path}.text`, 'keyword', text),
  ];
}

const S = `${BPA}.session`;

export const FIELDS: readonly FieldDefinition[] = Object.freeze([
  ecs('@timestamp', 'date', 'When the event happened (the event timestamp, else session start or end, else the fetch time).'),
  f(`${BPA}.body`, 'keyword', 'The text of the message as displayed in the chat log area.'),
  f(`${BPA}.data.name`, 'keyword', 'The name attribute of data, when the appliance gives one.', { laterThanSchema: true }),
  f(`${BPA}.data.value`, 'object', 'Name/value pairs whose names depend on event_type.', { array: true }),
  f(`${BPA}.data.value.name`, 'keyword', 'The name of the pair; varies with event_type.'),
  f(`${BPA}.data.value.value`, 'keyword', 'The value of the pair; varies with event_type.'),
  ...participant('destination'),
  f(`${BPA}.encoded_body`, 'keyword', 'Base64 (RFC 2045 section 6.8) of the body, only when it holds characters invalid in XML.'),
  f(`${BPA}.event_type`, 'keyword', 'The type of event which occurred.'),
  f(`${BPA}.filename`, 'keyword', 'The name of the transferred file.'),
  f(`${BPA}.files.file`, 'object', 'Files of the event.', { array: true }),
  f(`${BPA}.files.file.filename`, 'keyword', 'The name of the transferred file.'),
  f(`${BPA}.files.file.filesize`, 'long', 'The size of the transferred file.'),
  f(`${BPA}.filesize`, 'long', 'The size of the transferred file.'),
  ...participant('performed_by'),
  f(`${S}.command_shell_recordings.command_shell_recording`, 'object', 'Command shell recordings.', { array: true }),
  f(`${S}.command_shell_recordings.command_shell_recording.download_url`, 'keyword', 'URL to download the video of the command shell session.'),
  f(`${S}.command_shell_recordings.command_shell_recording.instance`, 'keyword', 'Instance of the command shell session, from 0.'),
  f(`${S}.command_shell_recordings.command_shell_recording.view_url`, 'keyword', 'URL to view the video of the command shell session.'),
  f(`${S}.custom_attributes.custom_attribute`, 'object', 'Custom attributes of the session.', { array: true }),
  f(`${S}.custom_attributes.custom_attribute.code_name`, 'keyword', 'The code name of the custom attribute.'),
  f(`${S}.custom_attributes.custom_attribute.display_name`, 'keyword', 'The display name of the custom attribute.'),
  f(`${S}.custom_attributes.custom_attribute.text`, 'keyword', 'The value of the custom attribute.'),
  f(`${S}.duration`, 'keyword', 'Session length in HH:MM:SS format.'),
  f(`${S}.end_time.text`, 'date', 'The date and time the session ended, as given.', { lenient: true }),
  f(`${S}.end_time.timestamp`, 'date', 'The end time (from the Unix timestamp).'),
  f(`${S}.file_move_count`, 'long', 'Files renamed through the File Transfer interface during the session.'),
  f(`${S}.file_transfer_count`, 'long', 'File transfers during the session.'),
  ...textElement(`${S}.jump_group`, 'The name of the Jump Group.', {
    id: "The Jump Group's ID, unique within its type.", type: 'The Jump Group type: shared or personal.',
  }),
  ...textElement(`${S}.jumpoint`, 'The name of the Jumpoint that started the session, if any.', { id: 'The ID of the Jumpoint.' }),
  f(`${S}.lseq`, 'keyword', 'An incrementing number that represents the session in a non-string format.'),
  f(`${S}.lsid`, 'keyword', 'A string which uniquely identifies the session.'),
  ...textElement(`${S}.primary_customer`, 'The name of the endpoint accessed.', { gsnumber: 'Connection identifier of the endpoint.' }),
  ...textElement(`${S}.primary_rep`, 'The name of the user who owned the session.', {
    gsnumber: 'Connection identifier of the user who owned the session.', id: 'ID of the user who owned the session.',
  }),
  f(`${S}.session_chat_download_url`, 'keyword', "URL to download the session's chat transcript (ended sessions)."),
  f(`${S}.session_chat_view_url`, 'keyword', "URL to view the session's chat transcript (ended sessions)."),
  f(`${S}.session_recording_download_url`, 'keyword', 'URL to download the video of the session.'),
  f(`${S}.session_recording_view_url`, 'keyword', 'URL to view the video of the session.'),
  f(`${S}.session_type`, 'keyword', 'The type of session.'),
  f(`${S}.start_time.text`, 'date', 'The date and time the session began, as given.', { lenient: true }),
  f(`${S}.start_time.timestamp`, 'date', 'The start time (from the Unix timestamp).'),
  f(`${BPA}.system_information.category`, 'object', 'System information categories.', { array: true }),
  f(`${BPA}.system_information.category.data.row`, 'object', 'Rows of a category.', { array: true }),
  f(`${BPA}.system_information.category.data.row.field`, 'object', 'Values of a row.', { array: true }),
  f(`${BPA}.system_information.category.data.row.field.name`, 'keyword', 'Column name of the value.'),
  f(`${BPA}.system_information.category.data.row.field.text`, 'keyword', 'The value.'),
  f(`${BPA}.system_information.category.description.field`, 'object', 'Column labels of a category.', { array: true }),
  f(`${BPA}.system_information.category.description.field.name`, 'keyword', 'Column name.'),
  f(`${BPA}.system_information.category.description.field.text`, 'keyword', 'Column label.'),
  f(`${BPA}.system_information.category.name`, 'keyword', 'Category name.'),
  f(`${BPA}.timestamp`, 'date', 'The time at which the event occurred.'),
  ecs('data_stream.dataset', 'constant_keyword', 'Data stream dataset.'),
  ecs('data_stream.namespace', 'constant_keyword', 'Data stream namespace.'),
  ecs('data_stream.type', 'constant_keyword', 'Data stream type.'),
  ...endpoint('destination', 'endpoint or user the action was directed to'),
  ecs('ecs.version', 'keyword', 'ECS version the document conforms to.'),
  ecs('error.message', 'text', 'Conversion errors; the event is indexed anyway (event.kind pipeline_error).', { array: true }),
  ecs('event.action', 'keyword', 'event_type lowercased, whitespace runs replaced by "-".'),
  ecs('event.category', 'keyword', 'ECS categories from event.action.', { array: true }),
  ecs('event.created', 'date', 'When the poller fetched the report.'),
  ecs('event.dataset', 'keyword', 'Event dataset.'),
  ecs('event.id', 'keyword', 'Deterministic id from site, session, position, timestamp and type; the document _id.'),
  ecs('event.ingested', 'date', 'When Elasticsearch received the document: set by the final ingest pipeline the sink installs (else by the sink when it sends the bulk request); never on the topic.', {
    laterThanSchema: true,
  }),
  ecs('event.kind', 'keyword', 'event, or pipeline_error when a conversion failed.'),
  ecs('event.module', 'keyword', 'Event module.'),
  ecs('event.original', 'keyword', 'The stage-A record as JSON (only with preserve_original_event).', { storedOnly: true }),
  ecs('event.type', 'keyword', 'ECS types from event.action.', { array: true }),
  ecs('file.name', 'keyword', 'Name of the file.'),
  ecs('file.size', 'long', 'Size of the file in bytes.'),
  ...geo('host'),
  ecs('host.ip', 'ip', 'Public IP address of the user who performed the action.', { array: true }),
  ecs('message', 'text', 'The event body.'),
  ecs('observer.hostname', 'keyword', 'Host name of the PRA site.'),
  ecs('observer.product', 'keyword', 'Product name.'),
  ecs('observer.type', 'keyword', 'Observer type.'),
  ecs('observer.vendor', 'keyword', 'Vendor name.'),
  ecs('related.hosts', 'keyword', 'All host names seen in the event.', { array: true }),
  ecs('related.ip', 'ip', 'All IP addresses seen in the event.', { array: true }),
  ecs('related.user', 'keyword', 'All user names and ids seen in the event.', { array: true }),
  ...endpoint('source', 'user who performed the action'),
  ecs('tags', 'keyword', 'Tags: options in effect and the configured tags.', { array: true }),
].sort((a, b) => a.name.localeCompare(b.name)));

export const FIELDS_BY_NAME: ReadonlyMap<string, FieldDefinition> = new Map(FIELDS.map((d) => [d.name, d]));

export interface FieldNode {
  definition?: FieldDefinition;
  children: Map<string, FieldNode>;
}

/** The definitions as a tree of path segments. */
export function fieldTree(fields: readonly FieldDefinition[] = FIELDS): FieldNode {
  const root: FieldNode = { children: new Map() };
  for (const def of fields) {
    let node = root;
    for (const part of def.name.split('.')) {
      let child = node.children.get(part);
      if (child === undefined) {
        child = { children: new Map() };
        node.children.set(part, child);
      }
      node = child;
    }
    node.definition = def;
  }
  return root;
}

type Mapping = Record<string, unknown>;

export interface MappingOptions {
  /** The cluster has the constant_keyword mapper; without it those fields map as keyword. Default true. */
  constantKeyword?: boolean;
}

function mapping(node: FieldNode, options: MappingOptions): Mapping {
  const def = node.definition;
  if (node.children.size > 0 || def?.type === 'object') {
    const properties: Record<string, Mapping> = {};
    for (const [name, child] of node.children) properties[name] = mapping(child, options);
    return { type: 'object', properties };
  }
  if (def === undefined) throw new Error('Field tree leaf without a definition');
  // The value is set by the first document of each backing index (data_stream.*).
  if (def.type === 'constant_keyword') return options.constantKeyword === false ? { type: 'keyword', ignore_above: 1024 } : { type: 'constant_keyword' };
  const m: Mapping = { type: def.type };
  if (def.storedOnly) Object.assign(m, { index: false, doc_values: false });
  if (def.lenient) m.ignore_malformed = true;
  if (def.type === 'keyword' && !def.storedOnly) m.ignore_above = 1024;
  // A long beyond 2^53 travels as a string of digits (the enricher's convert.ts, LongValue); say
  // that the field parses it (exactly), though it is Elasticsearch's default.
  if (def.type === 'long') m.coerce = true;
  return m;
}

/**
 * The `mappings` of the data stream's index template: every defined field
 * typed, anything else stored in _source but not indexed (`dynamic: false`),
 * so one unexpected value never makes a bulk item fail.
 */
export function indexMappings(options: MappingOptions = {}): { dynamic: false; properties: Record<string, Mapping> } {
  const properties: Record<string, Mapping> = {};
  for (const [name, child] of fieldTree().children) properties[name] = mapping(child, options);
  return { dynamic: false, properties };
}
