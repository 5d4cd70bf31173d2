/**
 * A site's cursor: what the poller has published for it, written with the
 * records in the same Kafka transaction (compacted topic, key = site).
 *
 * - `start`: the next `start_time` window begins here (Unix seconds).
 * - `closed`: the next `end_time` listing begins here (Unix seconds).
 * - `open`: sessions seen running, with when they were first seen and the
 *   digest of what was published, re-fetched by lsid until they end.
 * - `seenClosed`: sessions published in their closed form, with end time and
 *   digest, so neither path publishes them twice; pruned by end time.
 */
import { PipelineError } from '@pra-pipeline/shared';

export const CURSOR_VERSION = 1;

export interface OpenEntry {
  /** First seen running, Unix seconds. */
  since: number;
  digest: string;
  /** How many of its events were published (absent in cursors written before it was kept). */
  events?: number;
}

export interface ClosedEntry {
  /** The session's end time, Unix seconds. */
  end: number;
  digest: string;
  /** How many of its events were published (absent in cursors written before it was kept). */
  events?: number;
}

export interface Cursor {
  readonly version: number;
  readonly site: string;
  readonly start: number;
  readonly closed: number;
  readonly open: Readonly<Record<string, OpenEntry>>;
  readonly seenClosed: Readonly<Record<string, ClosedEntry>>;
  /** When it was written, ISO 8601. */
  readonly updatedAt: string;
}

export function newCursor(site: string, start: number): Cursor {
  return { version: CURSOR_VERSION, site, start, closed: start, open: {}, seenClosed: {}, updatedAt: new Date(0).toISOString() };
}

export function serializeCursor(cursor: Cursor): Buffer {
  return Buffer.from(JSON.stringify(cursor));
}

function isEntryMap(value: unknown, fields: readonly string[]): boolean {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  return Object.values(value).every(
    (e) => e !== null && typeof e === 'object' && fields.every((f) => f in (e as object)) && typeof (e as { digest: unknown }).digest === 'string',
  );
}

/** Parses a stored cursor; throws PIPE_RECORD_INVALID when it is not one. */
export function parseCursor(bytes: Buffer | string, site: string): Cursor {
  let value: Record<string, unknown>;
  try {
    value = JSON.parse(bytes.toString()) as Record<string, unknown>;
  } catch (err) {
    throw new PipelineError('PIPE_RECORD_INVALID', `The stored cursor of site ${site} is not JSON.`, { cause: err });
  }
  const problems: string[] = [];
  if (value.version !== CURSOR_VERSION) problems.push(`version ${String(value.version)} is not ${CURSOR_VERSION}`);
  if (value.site !== site) problems.push(`it belongs to site ${String(value.site)}`);
  if (!Number.isInteger(value.start)) problems.push('start is not an integer');
  if (!Number.isInteger(value.closed)) problems.push('closed is not an integer');
  if (!isEntryMap(value.open, ['since'])) problems.push('open is not a map of {since, digest}');
  if (!isEntryMap(value.seenClosed, ['end'])) problems.push('seenClosed is not a map of {end, digest}');
  if (problems.length > 0) {
    throw new PipelineError('PIPE_RECORD_INVALID', `The stored cursor of site ${site} is invalid: ${problems.join('; ')}.`);
  }
  return value as unknown as Cursor;
}

/** What the poller learnt about one session from a response. */
export interface Observation {
  lsid: string;
  digest: string;
  /** How many events the fetched session holds. */
  events: number;
  /** End time, Unix seconds; undefined while the session runs. */
  end: number | undefined;
}

export type Decision = 'publish' | 'unchanged';

/** A cursor being changed by one transaction; `result()` gives the new value. */
export class CursorDraft {
  #start: number;
  #closed: number;
  readonly #open: Map<string, OpenEntry>;
  readonly #seenClosed: Map<string, ClosedEntry>;
  readonly #site: string;

  constructor(base: Cursor) {
    this.#site = base.site;
    this.#start = base.start;
    this.#closed = base.closed;
    this.#open = new Map(Object.entries(base.open));
    this.#seenClosed = new Map(Object.entries(base.seenClosed));
  }

  /** Records a fetched session (published or unchanged). `now` in Unix seconds. */
  observe(obs: Observation, now: number): void {
    if (obs.end !== undefined) {
      this.#open.delete(obs.lsid);
      this.#seenClosed.set(obs.lsid, { end: obs.end, digest: obs.digest, events: obs.events });
    } else {
      const since = this.#open.get(obs.lsid)?.since ?? now;
      this.#open.set(obs.lsid, { since, digest: obs.digest, events: obs.events });
    }
  }

  /** Whether a fetched session must be published: only when it differs from what was published last. */
  decide(obs: Observation): Decision {
    if (obs.end !== undefined) {
      const seen = this.#seenClosed.get(obs.lsid);
      return seen && seen.digest === obs.digest ? 'unchanged' : 'publish';
    }
    const open = this.#open.get(obs.lsid);
    return open && open.digest === obs.digest ? 'unchanged' : 'publish';
  }

  /**
   * How many of the session's events earlier records carried: the count kept
   * with its last published version (running or closed), at most what it holds
   * now. Call before `observe`. An entry of an older cursor without a count
   * gives 0, so its events are all handed on again (the sink's ids absorb them).
   */
  publishedBefore(obs: Observation): number {
    const entry = this.#seenClosed.get(obs.lsid) ?? this.#open.get(obs.lsid);
    return Math.min(entry?.events ?? 0, obs.events);
  }

  isSeenClosed(lsid: string): boolean {
    return this.#seenClosed.has(lsid);
  }

  /** Stops tracking a running session (too old). */
  forget(lsid: string): void {
    this.#open.delete(lsid);
  }

  setStart(start: number): void {
    this.#start = Math.max(this.#start, start);
  }

  setClosed(closed: number): void {
    this.#closed = Math.max(this.#closed, closed);
  }

  get start(): number {
    return this.#start;
  }

  isOpen(lsid: string): boolean {
    return this.#open.has(lsid);
  }

  /**
   * The new cursor. Closed entries that ended before both cursors minus
   * `keepSeconds` can no longer come back from either query and are pruned;
   * past `maxSeenClosed` entries the earliest-ended go first.
   */
  result(options: { keepSeconds: number; maxSeenClosed: number; now: Date }): Cursor {
    const floor = Math.min(this.#start, this.#closed) - options.keepSeconds;
    let closedEntries = [...this.#seenClosed].filter(([, e]) => e.end >= floor);
    if (closedEntries.length > options.maxSeenClosed) {
      closedEntries = closedEntries.sort((a, b) => b[1].end - a[1].end).slice(0, options.maxSeenClosed);
    }
    return {
      version: CURSOR_VERSION,
      site: this.#site,
      start: this.#start,
      closed: this.#closed,
      open: Object.fromEntries(this.#open),
      seenClosed: Object.fromEntries(closedEntries),
      updatedAt: options.now.toISOString(),
    };
  }
}

/** Running sessions first seen more than `maxAgeSeconds` before `now`. */
export function expiredOpen(cursor: Cursor, now: number, maxAgeSeconds: number): string[] {
  return Object.entries(cursor.open)
    .filter(([, e]) => now - e.since > maxAgeSeconds)
    .map(([lsid]) => lsid);
}
