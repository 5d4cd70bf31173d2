/**
 * Headers of the records on the raw topic (`pra.raw.access-session.v1`). The
 * poller writes them; the enricher reads them to apply each site's options.
 * Values are UTF-8 strings.
 *
 * The record value is the exact bytes of one `<session>...</session>` element
 * as the appliance sent it, except that the namespace declarations of the
 * response's root element (`xmlns`, `xmlns:p`) are repeated on the session's
 * start tag when it does not declare them itself, so each value is a
 * standalone, well-formed XML document in the same namespace as the report.
 */
export const RECORD_HEADERS = {
  /** The site's configured name (also the first part of the record key `<site>/<lsid>`). */
  site: 'pra.site',
  /** The site's host name, for `observer.hostname`. */
  siteHost: 'pra.site_host',
  /** Data stream namespace (`logs-beyondtrust_pra.access_session-<namespace>`). */
  namespace: 'pra.namespace',
  /** Tags to append, comma-separated. */
  tags: 'pra.tags',
  /** `true` or `false`. */
  preserveOriginalEvent: 'pra.preserve_original_event',
  /** `true` or `false`. */
  preserveDuplicateCustomFields: 'pra.preserve_duplicate_custom_fields',
  /** Start of the query window that returned the session, Unix seconds. */
  windowStart: 'pra.window_start',
  /** End of that window, Unix seconds. */
  windowEnd: 'pra.window_end',
  /** Which query returned the session: `start_time`, `lsids` or `listing`. */
  query: 'pra.query',
  /** When the poller received the report, ISO 8601 UTC (for `event.created`). */
  fetchedAt: 'pra.fetched_at',
  /**
   * How many of the session's events earlier raw records already carried: the
   * enricher maps only positions at or after it. Written in the same
   * transaction as the record and the poller's cursor. Absent (older records,
   * other producers, a dead letter replayed) means every event is new.
   */
  publishedBefore: 'pra.events.published-before',
  /** `application/xml`. */
  contentType: 'content-type',
} as const;

export type RecordHeaderName = (typeof RECORD_HEADERS)[keyof typeof RECORD_HEADERS];

export const RAW_CONTENT_TYPE = 'application/xml';

/** The raw topic's record key: `<site>/<lsid>`. */
export function rawRecordKey(site: string, lsid: string): string {
  return `${site}/${lsid}`;
}

/** Splits a raw record key into site and lsid (the site name never contains a slash). */
export function parseRawRecordKey(key: string): { site: string; lsid: string } | undefined {
  const slash = key.indexOf('/');
  if (slash <= 0 || slash === key.length - 1) return undefined;
  return { site: key.slice(0, slash), lsid: key.slice(slash + 1) };
}

/**
 * The `pra.events.published-before` value: a non-negative integer, or 0 (all
 * events new) when the header is absent. A value that is present but not such
 * an integer is refused rather than guessed.
 */
export function parsePublishedBefore(value: string | undefined): number {
  if (value === undefined) return 0;
  if (!/^(0|[1-9][0-9]{0,8})$/.test(value)) {
    throw new RangeError(`${RECORD_HEADERS.publishedBefore} is ${JSON.stringify(value.slice(0, 40))}, not a non-negative integer`);
  }
  return Number(value);
}
