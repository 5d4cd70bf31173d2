/**
 * A raw record (one session's XML plus the poller's headers) to the ECS
 * documents of its events. Pure apart from the GeoIP lookup it is handed.
 * Input errors throw PipelineError (PIPE_XML_MALFORMED, PIPE_XML_LIMIT,
 * PIPE_SESSION_EMPTY, PIPE_RECORD_INVALID) for the caller to dead-letter.
 */
import { namespaceProblem, PipelineError, RECORD_HEADERS, headerString, parseRawRecordKey, type IHeaders } from '@pra-pipeline/shared';
import type { GeoLookup } from './geo-fields.js';
import { DEFAULT_TAGS, type SiteContext } from './site-context.js';
import { sessionsToRecords } from './stage-a.js';
import { recordToDocument, type EcsDocument } from './stage-b.js';
import type { XmlLimits } from './xml.js';

export interface RawRecord {
  key: Buffer | null;
  value: Buffer | null;
  headers?: IHeaders | undefined;
}

export interface EnrichedSession {
  /** `<site>/<lsid>`: the output records' key, so one session stays on one partition. */
  key: string;
  documents: EcsDocument[];
}

export interface ParsedSession {
  /** `<site>/<lsid>`: the output records' key, so one session stays on one partition. */
  key: string;
  /** How many events, hence documents. */
  count: number;
  /** The document of the event at `position`, built only when asked: a large session never exists as documents all at once. */
  document(position: number): EcsDocument;
}

/**
 * Where a site's documents go. With `siteNamespaces` (ENRICHER_SITE_NAMESPACES)
 * only the sites it names are mapped, each to its configured namespace, whatever
 * the record's headers say; without it the record's namespace header is taken,
 * if Elasticsearch would accept it.
 */
export interface Tenancy {
  siteNamespaces?: ReadonlyMap<string, string> | undefined;
}

/** Stage A of a raw record, with stage B per event on demand. Throws the record's input errors. */
export function parseRawRecord(record: RawRecord, geo: GeoLookup | undefined, limits: Partial<XmlLimits>, tenancy: Tenancy = {}): ParsedSession[] {
  if (record.value === null || record.value.length === 0) {
    throw new PipelineError('PIPE_RECORD_INVALID', 'The record has no value (a tombstone or an empty message)');
  }
  const context = siteContextOf(record, tenancy);
  const sessions = sessionsToRecords(record.value, limits);
  // A raw record is one session; a report holding none would otherwise vanish, neither mapped nor dead-lettered.
  if (sessions.length === 0) {
    throw new PipelineError('PIPE_SESSION_EMPTY', 'The record holds no <session> (an empty <session_list>)');
  }
  return sessions.map((session) => ({
    key: `${context.site}/${session.lsid ?? session.lseq ?? 'unknown'}`,
    count: session.records.length,
    document: (position: number) => recordToDocument(session.records[position]!, context, { position, geo }),
  }));
}

function flag(headers: IHeaders, name: string): boolean {
  return headerString(headers[name])?.trim().toLowerCase() === 'true';
}

/** The site options the poller attached to the record (ecs-mapping.md B.14, B.15). */
export function siteContextOf(record: RawRecord, tenancy: Tenancy = {}): SiteContext {
  const headers = record.headers ?? {};
  const key = record.key?.toString();
  const site = headerString(headers[RECORD_HEADERS.site]) ?? (key ? parseRawRecordKey(key)?.site : undefined);
  if (!site) {
    throw new PipelineError('PIPE_RECORD_INVALID', `The record has no ${RECORD_HEADERS.site} header and no <site>/<lsid> key`);
  }
  const fetchedAt = headerString(headers[RECORD_HEADERS.fetchedAt]);
  if (!fetchedAt || Number.isNaN(Date.parse(fetchedAt))) {
    throw new PipelineError('PIPE_RECORD_INVALID', `The record's ${RECORD_HEADERS.fetchedAt} header is missing or not a date`);
  }
  const tags = headerString(headers[RECORD_HEADERS.tags]);
  const host = headerString(headers[RECORD_HEADERS.siteHost]);
  const namespace = namespaceOf(site, headerString(headers[RECORD_HEADERS.namespace]), tenancy);
  return {
    site,
    ...(host ? { host } : {}),
    ...(namespace ? { namespace } : {}),
    tags: tags === undefined ? DEFAULT_TAGS : tags.split(',').map((t) => t.trim()).filter((t) => t.length > 0),
    preserveOriginalEvent: flag(headers, RECORD_HEADERS.preserveOriginalEvent),
    preserveDuplicateCustomFields: flag(headers, RECORD_HEADERS.preserveDuplicateCustomFields),
    fetchedAt,
  };
}

function namespaceOf(site: string, claimed: string | undefined, tenancy: Tenancy): string | undefined {
  if (tenancy.siteNamespaces) {
    const configured = tenancy.siteNamespaces.get(site);
    if (configured === undefined) {
      throw new PipelineError('PIPE_RECORD_UNTRUSTED', `Site ${JSON.stringify(site)} is not in ENRICHER_SITE_NAMESPACES; its records are not mapped`);
    }
    return configured;
  }
  if (claimed === undefined) return undefined;
  const problem = namespaceProblem(claimed);
  if (problem) throw new PipelineError('PIPE_RECORD_INVALID', `The record's ${RECORD_HEADERS.namespace} header: ${problem}`);
  return claimed;
}

/** Every document of a raw record at once (the map command, tests); the service streams them with parseRawRecord. */
export function enrichRawRecord(record: RawRecord, geo: GeoLookup | undefined, limits: Partial<XmlLimits>): EnrichedSession[] {
  return parseRawRecord(record, geo, limits).map((session) => ({
    key: session.key,
    documents: Array.from({ length: session.count }, (_, position) => session.document(position)),
  }));
}
