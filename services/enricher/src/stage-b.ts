/**
 * Stage B (ecs-mapping.md): one stage-A record to one ECS document. Pure: the
 * GeoIP lookup is passed in; the record is never changed.
 */
import { categorize, eventAction } from './categorize.js';
import { describe, parseTimestamp, toIsoTimestamp, toKeyword, toLong, type LongValue } from './convert.js';
import { eventId } from './event-id.js';
import type { GeoLookup } from './geo-fields.js';
import { convertParticipant, type EcsEndpoint } from './participants.js';
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

function fetchTime(value: SiteContext['fetchedAt']): string {
  if (value instanceof Date) return value.toISOString();
  const ms = typeof value === 'number' ? value : parseTimestamp(value);
  if (ms === undefined || !Number.isFinite(ms)) throw new TypeError(`Invalid fetch time ${describe(value)}`);
  return new Date(ms).toISOString();
}

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

  const destination = convertParticipant(record.destination, 'destination', keepDuplicates, errors);
  const performedBy = convertParticipant(record.performed_by, 'performed_by', keepDuplicates, errors);
  bpa.destination = destination?.bpa;
  bpa.encoded_body = toKeyword(record.encoded_body);

  // As given; only event.action is built from the trimmed value (B.4).
  const eventType = toKeyword(record.event_type);
  bpa.event_type = eventType;
  const action = eventType === undefined ? undefined : eventAction(eventType);
  const categories = categorize(action);

  const filename = toKeyword(record.filename);
  if (keepDuplicates) bpa.filename = filename;
  bpa.files = filesFields(record.files, errors);
  let filesize: LongValue | undefined;
  if (record.filesize !== undefined && record.filesize !== null) {
    filesize = toLong(record.filesize);
    if (filesize === undefined) errors.push(`beyondtrust_pra.access_session.filesize: cannot convert ${describe(record.filesize)} to long`);
    else if (keepDuplicates) bpa.filesize = filesize;
  }
  bpa.performed_by = performedBy?.bpa;
  const session = sessionFields(record.session, errors);
  bpa.session = session;
  bpa.system_information = systemInformation(record.system_information);

  let timestamp: string | undefined;
  if (record.timestamp !== undefined && record.timestamp !== null) {
    timestamp = toIsoTimestamp(record.timestamp);
    if (timestamp === undefined) errors.push(`@timestamp: cannot parse ${describe(record.timestamp)} as a date`);
    else if (keepDuplicates) bpa.timestamp = timestamp;
  }
  if (timestamp === undefined) {
    // The reference's fallback: the start_time text, then the end_time text, parsed as
    // dates; not their timestamp attributes (B.9). Last, the fetch time.
    const start = session?.start_time as Obj | undefined;
    const end = session?.end_time as Obj | undefined;
    timestamp = toIsoTimestamp(start?.text) ?? toIsoTimestamp(end?.text) ?? created;
  }

  const dst = destination?.ecs ?? {};
  const src = performedBy?.ecs ?? {};
  geoEnrich(dst, options.geo);
  geoEnrich(src, options.geo);

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
  uniquePush(relatedUser, performedBy?.bpa.display_name as string | undefined);
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
