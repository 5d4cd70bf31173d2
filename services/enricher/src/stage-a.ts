/**
 * Stage A (ecs-mapping.md): one `<session>` (or a whole `<session_list>`
 * report) becomes one record per `<event>`. Pure: bytes in, plain objects out.
 */
import { PipelineError } from '@pra-pipeline/shared';
import { parseXml, type XmlLimits, type XmlObject, type XmlValue } from './xml.js';

/** A stage-A record: plain JSON; its serialisation is `event.original`. */
export type StageARecord = Record<string, unknown>;

/** The events of one session, in document order (the order gives event ids). */
export interface SessionRecords {
  lsid: string | undefined;
  lseq: string | undefined;
  records: StageARecord[];
}

/** Session children that become numbers when they parse as integers. */
const SESSION_NUMBERS = ['file_transfer_count', 'file_move_count', 'file_delete_count'] as const;
const PARTICIPANT_NUMBERS = ['session_owner', 'seconds_involved', 'invited'] as const;
const EXCLUDED_FROM_SESSION = new Set(['rep_list', 'customer_list', 'session_details']);
const INTEGER = /^[+-]?\d+$/;

function isObject(value: unknown): value is XmlObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function asArray(value: XmlValue | undefined): XmlValue[] {
  if (value === undefined || value === '') return [];
  return Array.isArray(value) ? value : [value];
}

/** In place: integer text becomes a number (the reference's XSD types). */
function numberize(element: XmlObject, keys: readonly string[]): void {
  for (const key of keys) {
    const value = element[key];
    if (typeof value === 'string' && INTEGER.test(value)) {
      const n = Number(value);
      if (Number.isSafeInteger(n)) (element as Record<string, unknown>)[key] = n;
    }
  }
}

function participantsByGsnumber(list: XmlValue | undefined, name: string): Map<string, XmlObject> {
  const byGs = new Map<string, XmlObject>();
  const container = isObject(list) ? list[name] : undefined;
  for (const item of asArray(container)) {
    if (!isObject(item)) continue;
    numberize(item, PARTICIPANT_NUMBERS);
    const gs = item.gsnumber;
    if (typeof gs === 'string' && !byGs.has(gs)) byGs.set(gs, item);
  }
  return byGs;
}

interface Participants {
  customers: Map<string, XmlObject>;
  reps: Map<string, XmlObject>;
  firstCustomer: XmlObject | undefined;
  /**
   * Merges already made, by participant and then by the reference's content:
   * the events of a session name the same few people over and over, and one
   * merged object serves them all (records are never changed).
   */
  merged: Map<XmlObject, Map<string, XmlObject>>;
}

/** A key for a reference's content when it is text or has text values only, else undefined. */
function contentKey(reference: XmlValue): string | undefined {
  if (typeof reference === 'string') return `${reference.length}:${reference}`;
  if (!isObject(reference)) return undefined;
  let key = '';
  for (const name in reference) {
    const value = reference[name];
    if (typeof value !== 'string') return undefined;
    key += `${name.length}:${name}${value.length}:${value}`;
  }
  return key;
}

function merge(reference: XmlValue, details: XmlObject, people: Participants): XmlObject {
  const key = contentKey(reference);
  let byContent = people.merged.get(details);
  const known = key === undefined ? undefined : byContent?.get(key);
  if (known !== undefined) return known;
  const own = isObject(reference) ? reference : typeof reference === 'string' && reference !== '' ? { '#text': reference } : {};
  const merged = { ...own, ...details };
  if (key !== undefined) {
    if (byContent === undefined) {
      byContent = new Map();
      people.merged.set(details, byContent);
    }
    byContent.set(key, merged);
  }
  return merged;
}

function resolve(reference: XmlValue, people: Participants, fallbackToFirstCustomer: boolean): XmlValue {
  if (isObject(reference)) {
    const gs = reference.gsnumber;
    const match = typeof gs === 'string'
      ? (reference.type === 'representative' ? people.reps : people.customers).get(gs)
      : undefined;
    if (match !== undefined) return merge(reference, match, people);
  }
  if (fallbackToFirstCustomer && people.firstCustomer !== undefined) return merge(reference, people.firstCustomer, people);
  return reference;
}

function sessionRecords(session: XmlValue, index: number): SessionRecords {
  if (!isObject(session)) {
    throw new PipelineError('PIPE_SESSION_EMPTY', `Session ${index + 1} has no events`, { context: { session: index } });
  }
  const shared: XmlObject = {};
  for (const key of Object.keys(session)) {
    if (!EXCLUDED_FROM_SESSION.has(key)) shared[key] = session[key] as XmlValue;
  }
  numberize(shared, SESSION_NUMBERS);
  const lsid = typeof session.lsid === 'string' ? session.lsid : undefined;
  const lseq = typeof session.lseq === 'string' ? session.lseq : undefined;
  const details = session.session_details;
  const events = asArray(isObject(details) ? details.event : undefined);
  if (events.length === 0) {
    throw new PipelineError('PIPE_SESSION_EMPTY', `Session ${lsid ?? lseq ?? index + 1} has no events`, {
      context: { lsid, lseq },
    });
  }
  const customers = participantsByGsnumber(session.customer_list, 'customer');
  const first = asArray(isObject(session.customer_list) ? session.customer_list.customer : undefined)[0];
  const people: Participants = {
    customers,
    reps: participantsByGsnumber(session.rep_list, 'representative'),
    firstCustomer: isObject(first) ? first : undefined,
    merged: new Map(),
  };
  const records: StageARecord[] = [];
  for (const event of events) {
    const record: StageARecord = isObject(event) ? { ...event } : { '#text': event };
    if (typeof record.filesize === 'string' && INTEGER.test(record.filesize)) {
      const n = Number(record.filesize);
      if (Number.isSafeInteger(n)) record.filesize = n;
    }
    if (record.performed_by !== undefined) record.performed_by = resolve(record.performed_by as XmlValue, people, false);
    if (record.destination !== undefined) record.destination = resolve(record.destination as XmlValue, people, true);
    record.session = shared;
    records.push(record);
  }
  return { lsid, lseq, records };
}

/** The sessions of a parsed document whose root is `<session>` or `<session_list>`. */
function sessionsOf(root: XmlObject): XmlValue[] {
  const names = Object.keys(root);
  if (names.length !== 1) {
    throw new PipelineError('PIPE_XML_MALFORMED', `Expected one root element <session> or <session_list>, found ${names.length === 0 ? 'none' : names.map((n) => `<${n}>`).join(', ')}`);
  }
  const name = names[0] as string;
  const value = root[name] as XmlValue;
  if (name === 'session') {
    const sessions = asArray(value);
    if (sessions.length !== 1) throw new PipelineError('PIPE_XML_MALFORMED', 'Expected one root element <session>');
    return sessions;
  }
  if (name === 'session_list') return isObject(value) ? asArray(value.session) : [];
  throw new PipelineError('PIPE_XML_MALFORMED', `Expected root element <session> or <session_list>, found <${name}>`);
}

/**
 * Stage A: the bytes of one `<session>` element or of a whole AccessSession
 * report, to the records of each session. Throws PipelineError:
 * PIPE_XML_MALFORMED, PIPE_XML_LIMIT, PIPE_SESSION_EMPTY.
 */
export function sessionsToRecords(input: string | Uint8Array, limits: Partial<XmlLimits> = {}): SessionRecords[] {
  return sessionsOf(parseXml(input, limits)).map(sessionRecords);
}

/** A session of a report that gives no records, and why. */
export interface SessionFailure {
  /** Its position in the report, from 0. */
  position: number;
  lsid: string | undefined;
  lseq: string | undefined;
  error: PipelineError;
}

/**
 * Stage A session by session: a session without events is a failure of that
 * session alone, and the others still give their records (as the service
 * dead-letters one raw record, not the whole poll). Throws only for the input
 * as a whole: PIPE_XML_MALFORMED, PIPE_XML_LIMIT.
 */
export function sessionsToRecordsEach(input: string | Uint8Array, limits: Partial<XmlLimits> = {}): (SessionRecords | SessionFailure)[] {
  return sessionsOf(parseXml(input, limits)).map((session, position) => {
    try {
      return sessionRecords(session, position);
    } catch (err) {
      if (!(err instanceof PipelineError)) throw err;
      const attributes = isObject(session) ? session : {};
      return {
        position,
        lsid: typeof attributes.lsid === 'string' ? attributes.lsid : undefined,
        lseq: typeof attributes.lseq === 'string' ? attributes.lseq : undefined,
        error: err,
      };
    }
  });
}

/** Stage A flattened: every record of every session, in document order. */
export function xmlToRecords(input: string | Uint8Array, limits: Partial<XmlLimits> = {}): StageARecord[] {
  return sessionsToRecords(input, limits).flatMap((s) => s.records);
}
