/**
 * Stage B (ecs-mapping.md): one stage-A record to one ECS document. Pure: the
 * GeoIP lookup is passed in; the record is never changed.
 */
import { categorize, eventAction } from './categorize.js';
import { describe, parseTimestamp, toIsoTimestamp, toKeyword, toLong, type LongValue } from './convert.js';
import { eventId } from './event-id.js';
import type { GeoLookup } from './geo-fields.js';
import { convertParticipant, type ConvertedParticipant, type EcsEndpoint } from './participants.js';
import { prunedCopy, pruneInPlace } from './prune.js';
import { renameTextAll, sessionFields } from './session-fields.js';
import { DEFAULT_NAMESPACE, DEFAULT_TAGS, type SiteContext } from './site-context.js';
import type { StageARecord } from './stage-a.js';

export const ECS_VERSION = '8.17.0';
export const DATASET = 'beyondtrust_pra.access_session';
export const MODULE = 'beyondtrust_pra';

/** An ECS document as produced to the enriched topic and indexed. */
export type EcsDocument = Record<string, unknown>;

export interface DocumentOptions {
  /** The event's position in its session (0-based): part of event.id. */
  position: number;
  /** GeoIP; without it there are no geo and AS fields. */
  geo?: GeoLookup | undefined;
}

type Obj = Record<string, unknown>;

function isObject(value: unknown): value is Obj {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

let lastFetchedAt: string | number | undefined;
let lastCreated = '';

function fetchTime(value: SiteContext['fetchedAt']): string {
  if (value instanceof Date) return value.toISOString();
  // Every event of a raw record has the same fetch time: parse it once.
  if (value === lastFetchedAt) return lastCreated;
  const ms = typeof value === 'number' ? value : parseTimestamp(value);
  if (ms === undefined || !Number.isFinite(ms)) throw new TypeError(`Invalid fetch time ${describe(value)}`);
  lastCreated = new Date(ms).toISOString();
  lastFetchedAt = value;
  return lastCreated;
}

/*
 * Work that depends only on an object every event of a session shares (the
 * session's fields, a participant that stage A merged once for all its events)
 * is done once per object. The results are pruned already and shared by the
 * documents, as GeoIP results are: documents are encoded, never changed.
 */

interface SessionPart {
  /** beyondtrust_pra.access_session.session, pruned; undefined when nothing is left. */
  fields: Obj | undefined;
  errors: readonly string[];
  /** The @timestamp fallback before the fetch time: the start_time text, then the end_time text (B.9). */
  fallback: string | undefined;
}

const sessionParts = new WeakMap<object, SessionPart>();

function sessionPart(session: unknown): SessionPart | undefined {
  if (!isObject(session)) return undefined;
  let part = sessionParts.get(session);
  if (part === undefined) {
    const errors: string[] = [];
    const fields = sessionFields(session, errors);
    const start = fields?.start_time as Obj | undefined;
    const end = fields?.end_time as Obj | undefined;
    const fallback = toIsoTimestamp(start?.text) ?? toIsoTimestamp(end?.text);
    part = { fields: fields !== undefined && pruneInPlace(fields) ? fields : undefined, errors, fallback };
    sessionParts.set(session, part);
  }
  return part;
}

interface ParticipantPart {
  /** The custom fields, pruned; undefined when nothing is left. */
  bpa: Obj | undefined;
  displayName: string | undefined;
  /** The ECS endpoint fields before GeoIP (copied per document, which adds geo and as). */
  ecs: EcsEndpoint;
  errors: readonly string[];
}

/** Per participant object: [destination, performed_by] x [without, with duplicates]. */
const participantParts = new WeakMap<object, (ParticipantPart | undefined)[]>();

function participantPart(value: unknown, name: 'destination' | 'performed_by', keepDuplicates: boolean): ParticipantPart | undefined {
  if (!isObject(value)) return undefined;
  let slots = participantParts.get(value);
  if (slots === undefined) {
    slots = [undefined, undefined, undefined, undefined];
    participantParts.set(value, slots);
  }
  const slot = (name === 'destination' ? 0 : 2) + (keepDuplicates ? 1 : 0);
  let part = slots[slot];
  if (part === undefined) {
    const errors: string[] = [];
    const converted = convertParticipant(value, name, keepDuplicates, errors) as ConvertedParticipant;
    const bpa = converted.bpa;
    part = {
      bpa: pruneInPlace(bpa) ? bpa : undefined,
      displayName: bpa.display_name as string | undefined,
      ecs: converted.ecs,
      errors,
    };
    slots[slot] = part;
  }
  return part;
}

function endpoint(part: ParticipantPart | undefined, geo: GeoLookup | undefined): EcsEndpoint {
  const ecs: EcsEndpoint = part === undefined ? {} : { ...part.ecs };
  geoEnrich(ecs, geo);
  return ecs;
}

interface Action {
  action: string | undefined;
  categories: ReturnType<typeof categorize>;
}

/** event_type to action and categories: a handful of types recur in every report. */
const actions = new Map<string, Action>();
const MAX_ACTIONS = 1024;

function actionOf(eventType: string): Action {
  let found = actions.get(eventType);
  if (found === undefined) {
    const action = eventAction(eventType);
    found = { action, categories: categorize(action) };
    if (actions.size >= MAX_ACTIONS) actions.clear();
    actions.set(eventType, found);
  }
  return found;
}

/** Stands for a part that is already pruned until pruneInPlace has run, so that it keeps its key's place. */
const PRUNED_LATER = true;

function geoEnrich(endpoint: EcsEndpoint, geo: GeoLookup | undefined): void {
  if (geo === undefined || endpoint.ip === undefined) return;
  const found = geo.lookup(endpoint.ip);
  if (found?.geo !== undefined) endpoint.geo = found.geo;
  if (found?.as !== undefined) endpoint.as = found.as;
}

function uniquePush(list: string[], value: string | undefined): void {
  if (value !== undefined && value !== '' && !list.includes(value)) list.push(value);
}

function filesFields(files: unknown, errors: string[]): Obj | undefined {
  if (!isObject(files)) return undefined;
  const list = files.file === undefined ? [] : Array.isArray(files.file) ? files.file : [files.file];
  const out: Obj[] = [];
  for (const item of list) {
    if (!isObject(item)) continue;
    // Converted before pruning: an empty filesize is a failed conversion, as in the reference.
    let size: LongValue | undefined;
    if (item.filesize !== undefined && item.filesize !== null) {
      size = toLong(item.filesize);
      if (size === undefined) errors.push(`beyondtrust_pra.access_session.files.file.filesize: cannot convert ${describe(item.filesize)} to long`);
    }
    const copy = (prunedCopy(item) ?? {}) as Obj;
    if (size === undefined) delete copy.filesize;
    else copy.filesize = size;
    if (Object.keys(copy).length > 0) out.push(copy);
  }
  return { file: out };
}

function systemInformation(info: unknown): Obj | undefined {
  if (!isObject(info)) return undefined;
  const categories = info.category === undefined ? [] : Array.isArray(info.category) ? info.category : [info.category];
  const out: Obj[] = [];
  for (const category of categories) {
    if (!isObject(category)) continue;
    const description = isObject(category.description) ? { field: renameTextAll(category.description.field) } : undefined;
    let data: Obj | undefined;
    if (isObject(category.data)) {
      const rows = category.data.row === undefined ? [] : Array.isArray(category.data.row) ? category.data.row : [category.data.row];
      data = { row: rows.map((row) => (isObject(row) ? { field: renameTextAll(row.field) } : undefined)) };
    }
    out.push({ name: toKeyword(category.name), description, data });
  }
  return { category: out };
}

/** Stage B: the ECS document of one record. */
export function recordToDocument(record: StageARecord, context: SiteContext, options: DocumentOptions): EcsDocument {
  const errors: string[] = [];
  const keepDuplicates = context.preserveDuplicateCustomFields === true;
  const created = fetchTime(context.fetchedAt);
  const bpa: Obj = {};

  const body = toKeyword(record.body);
  if (keepDuplicates) bpa.body = body;
  bpa.data = isObject(record.data) ? { name: toKeyword(record.data.name), value: prunedCopy(record.data.value) } : undefined;

  const destination = participantPart(record.destination, 'destination', keepDuplicates);
  const performedBy = participantPart(record.performed_by, 'performed_by', keepDuplicates);
  if (destination !== undefined) errors.push(...destination.errors);
  if (performedBy !== undefined) errors.push(...performedBy.errors);
  bpa.destination = destination?.bpa === undefined ? undefined : PRUNED_LATER;
  bpa.encoded_body = toKeyword(record.encoded_body);

  // As given; only event.action is built from the trimmed value (B.4).
  const eventType = toKeyword(record.event_type);
  bpa.event_type = eventType;
  const { action, categories } = eventType === undefined ? { action: undefined, categories: undefined } : actionOf(eventType);

  const filename = toKeyword(record.filename);
  if (keepDuplicates) bpa.filename = filename;
  bpa.files = filesFields(record.files, errors);
  let filesize: LongValue | undefined;
  if (record.filesize !== undefined && record.filesize !== null) {
    filesize = toLong(record.filesize);
    if (filesize === undefined) errors.push(`beyondtrust_pra.access_session.filesize: cannot convert ${describe(record.filesize)} to long`);
    else if (keepDuplicates) bpa.filesize = filesize;
  }
  bpa.performed_by = performedBy?.bpa === undefined ? undefined : PRUNED_LATER;
  const session = sessionPart(record.session);
  if (session !== undefined) errors.push(...session.errors);
  bpa.session = session?.fields === undefined ? undefined : PRUNED_LATER;
  bpa.system_information = systemInformation(record.system_information);

  let timestamp: string | undefined;
  if (record.timestamp !== undefined && record.timestamp !== null) {
    timestamp = toIsoTimestamp(record.timestamp);
    if (timestamp === undefined) errors.push(`@timestamp: cannot parse ${describe(record.timestamp)} as a date`);
    else if (keepDuplicates) bpa.timestamp = timestamp;
  }
  // The reference's fallback: the start_time text, then the end_time text, parsed as
  // dates; not their timestamp attributes (B.9). Last, the fetch time.
  timestamp ??= session?.fallback ?? created;

  const dst = endpoint(destination, options.geo);
  const src = endpoint(performedBy, options.geo);

  const relatedIp: string[] = [];
  uniquePush(relatedIp, dst.ip);
  uniquePush(relatedIp, dst.nat?.ip);
  uniquePush(relatedIp, src.nat?.ip);
  uniquePush(relatedIp, src.ip);
  const relatedHosts: string[] = [];
  uniquePush(relatedHosts, dst.domain);
  uniquePush(relatedHosts, src.domain);
  const relatedUser: string[] = [];
  uniquePush(relatedUser, dst.user?.id);
  uniquePush(relatedUser, dst.user?.name);
  uniquePush(relatedUser, performedBy?.displayName);
  uniquePush(relatedUser, src.user?.id);
  uniquePush(relatedUser, src.user?.name);

  const tags: string[] = [];
  if (context.preserveOriginalEvent === true) tags.push('preserve_original_event');
  if (keepDuplicates) tags.push('preserve_duplicate_custom_fields');
  tags.push(...(context.tags ?? DEFAULT_TAGS));

  const doc: EcsDocument = {
    '@timestamp': timestamp,
    beyondtrust_pra: { access_session: bpa },
    data_stream: { dataset: DATASET, namespace: context.namespace ?? DEFAULT_NAMESPACE, type: 'logs' },
    destination: dst,
    ecs: { version: ECS_VERSION },
    error: errors.length > 0 ? { message: errors } : undefined,
    event: {
      action,
      category: categories?.category,
      created,
      dataset: DATASET,
      id: eventId(context.site, record, options.position),
      kind: errors.length > 0 ? 'pipeline_error' : 'event',
      module: MODULE,
      original: context.preserveOriginalEvent === true ? JSON.stringify(record) : undefined,
      type: categories?.type,
    },
    file: { name: filename, size: filesize },
    host: { geo: src.geo, ip: src.ip === undefined ? undefined : [src.ip] },
    message: body,
    observer: {
      hostname: context.host,
      product: 'Privileged Remote Access',
      type: 'Proxy',
      vendor: 'BeyondTrust',
    },
    related: { hosts: relatedHosts, ip: relatedIp, user: relatedUser },
    source: src,
    tags,
  };
  pruneInPlace(doc);
  if (bpa.destination === PRUNED_LATER) bpa.destination = destination?.bpa;
  if (bpa.performed_by === PRUNED_LATER) bpa.performed_by = performedBy?.bpa;
  if (bpa.session === PRUNED_LATER) bpa.session = session?.fields;
  return doc;
}

/**
 * Stage B for records in order; positions count per session, as in their
 * sessions. With `publishedBefore` N, only the events at positions N and
 * later give documents (the raw record header `pra.events.published-before`):
 * positions, hence event ids, are those of the whole session all the same.
 */
export function recordsToDocuments(
  records: readonly StageARecord[],
  context: SiteContext,
  geo?: GeoLookup,
  publishedBefore = 0,
): EcsDocument[] {
  const positions = new Map<string, number>();
  const documents: EcsDocument[] = [];
  for (const record of records) {
    const session = isObject(record.session) ? record.session : {};
    const key = `${toKeyword(session.lsid) ?? ''}\u0000${toKeyword(session.lseq) ?? ''}`;
    const position = positions.get(key) ?? 0;
    positions.set(key, position + 1);
    if (position >= publishedBefore) documents.push(recordToDocument(record, context, { position, geo }));
  }
  return documents;
}
