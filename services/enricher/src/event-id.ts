/**
 * event.id (ARCHITECTURE.md): the same event gets the same id whichever poll
 * carried it, so Elasticsearch `create` with this `_id` indexes it once.
 */
import { stableId } from '@pra-pipeline/shared';
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

/** From site, session, position of the event in its session, its timestamp and type, as given. */
export function eventId(site: string, record: StageARecord, position: number): string {
  return stableId(site, sessionKey(record), position, text(record.timestamp), text(record.event_type));
}
