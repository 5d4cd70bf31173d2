/**
 * event.id (ARCHITECTURE.md): the same event gets the same id whichever poll
 * carried it, so Elasticsearch `create` with this `_id` indexes it once.
 */
import { stableId } from '@pra-pipeline/shared';
import { parseTimestamp } from './convert.js';
import type { StageARecord } from './stage-a.js';

function text(value: unknown): string {
  return typeof value === 'string' || typeof value === 'number' ? String(value) : '';
}

/** The session key: lsid, else lseq (as the poller keys its records). */
export function sessionKey(record: StageARecord): string {
  const session = record.session as Record<string, unknown> | undefined;
  const lsid = text(session?.lsid);
  return lsid !== '' ? lsid : `lseq:${text(session?.lseq)}`;
}

/**
 * The timestamp part: the event's instant in Unix seconds, whether the appliance
 * wrote Unix seconds or ISO 8601, so the id does not depend on the notation; the
 * text as given only when it is not a time at all. Surrounding spaces and a space
 * between date and time are read here although @timestamp refuses them (B.9):
 * earlier versions read them, and an event keeps the id it was indexed under.
 */
function instant(value: unknown): number | string {
  const lenient = typeof value === 'string' ? value.trim().replace(/^(\d{4}-\d{2}-\d{2}) (?=\d)/, '$1T') : value;
  const ms = parseTimestamp(lenient);
  return ms === undefined ? text(value) : Math.floor(ms / 1000);
}

/**
 * From site, session, position of the event in its session, its instant and type.
 * The type is trimmed: the parser used to trim attribute values, and ids must not
 * change now that `event_type` is kept as given.
 */
export function eventId(site: string, record: StageARecord, position: number): string {
  return stableId(site, sessionKey(record), position, instant(record.timestamp), text(record.event_type).trim());
}
