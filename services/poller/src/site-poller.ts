/**
 * One site's poll cycle. Nothing a session does is lost:
 *
 * 1. New sessions: AccessSession by start_time over bounded windows from the
 *    cursor up to now minus the safety lag.
 * 2. Running sessions (no end_time): their lsids stay in the cursor and are
 *    fetched again (lsids=, batched) every cycle until they end or reach the
 *    maximum age.
 * 3. Safety net: AccessSessionListing by end_time from the closed cursor;
 *    every closed session not yet seen closed is fetched by lsid (sessions that
 *    began before the first window, late registrations, clock skew).
 *
 * A session is published only when its content differs from what was
 * published last. Each request is one unit of work (a Kafka transaction with
 * the new cursor); a failed request is retried with backoff, and the cursor
 * does not move past it.
 */
import {
  deadLetterHeaders,
  ERROR_CODES,
  inSpan,
  PipelineError,
  RAW_CONTENT_TYPE,
  RECORD_HEADERS,
  rawRecordKey,
  retry,
  sleep,
  traceHeaders,
  type Logger,
} from '@pra-pipeline/shared';
import { CursorDraft, expiredOpen, newCursor, type Cursor } from './cursor.js';
import { isNoDataError } from './no-data.js';
import type { ReportQuery } from './pra-client.js';
import type { OutRecord, Publisher, PublishUnit } from './publisher.js';
import { isRetryable, retryAfterMs, type RetryPolicyOptions } from './retry-policy.js';
import { SessionSplitter, type ErrorItem, type SessionItem } from './session-splitter.js';
import type { SiteConfig } from './sites.js';
import type { PollerMetrics } from './telemetry.js';
import { initialCursor, planWindows, remainingSeconds, type Window } from './window-planner.js';

/** What the site poller needs from the HTTP side (PraClient). */
export interface ReportSource {
  report(query: ReportQuery, onChunk: (chunk: Buffer) => Promise<void> | void, signal?: AbortSignal): Promise<number>;
}

export interface SitePollerOptions {
  batchMaxBytes: number;
  maxSessionBytes: number;
  /** Deepest element nesting accepted in a report (default: the splitter's). */
  maxXmlDepth?: number;
  seenClosedMax: number;
  retry: RetryPolicyOptions;
}

export interface SitePollerDeps {
  site: SiteConfig;
  source: ReportSource;
  publisher: Publisher;
  metrics: PollerMetrics;
  logger: Logger;
  options: SitePollerOptions;
  /** ms since the epoch; the site's clock is assumed to agree within the safety lag. */
  now?: () => number;
}

interface FetchResult {
  sessions: number;
  published: number;
  lsids: string[];
  noData: boolean;
}

type QueryLabel = 'start_time' | 'lsids' | 'listing';

/** A site whose cycles keep ending with a unit given up: not ready, and why. */
export interface Stuck {
  /** ms since the epoch: the end of the first such cycle. */
  since: number;
  cycles: number;
  reason: string;
}

/**
 * What makes a fetched session worth publishing again: new events, or its end.
 * Events are only ever appended, and documents already indexed are never
 * rewritten (the sink creates each event.id once), so a session whose ticking
 * fields alone changed (duration, seconds involved) would only be re-sent and
 * re-rejected by every stage. The end, with its recording and chat URLs, comes
 * with the Session End event; the end time is part of the digest all the same.
 */
export function publishDigest(item: Pick<SessionItem, 'events' | 'endTime'>): string {
  return `${item.events}/${item.endTime ?? 'running'}`;
}

export class SitePoller {
  readonly site: SiteConfig;
  #cursor: Cursor;
  readonly #d: SitePollerDeps;
  readonly #now: () => number;
  readonly #log: Logger;
  #lastCycleOk = false;
  #lastFailure: { request: string; err: unknown } | undefined;
  #stuck: Stuck | undefined;
  /** A commit failed and may have reached the broker all the same: the committed cursor must be read again. */
  #uncertain = false;

  constructor(deps: SitePollerDeps, cursor: Cursor | undefined) {
    this.#d = deps;
    this.site = deps.site;
    this.#now = deps.now ?? Date.now;
    this.#log = deps.logger.child({ site: deps.site.name });
    this.#cursor = cursor ?? newCursor(deps.site.name, initialCursor(this.#now(), deps.site.initialIntervalMs));
    this.#updateGauges();
    // Lag is now minus the last committed cursor at each scrape, so time without progress shows as growing lag.
    deps.metrics.gaugeRefreshers.add(() => this.#updateGauges());
  }

  get cursor(): Cursor {
    return this.#cursor;
  }

  get lastCycleOk(): boolean {
    return this.#lastCycleOk;
  }

  /** Set while consecutive cycles end with a request given up (the cursor stays); undefined once one completes. */
  get stuck(): Stuck | undefined {
    return this.#stuck;
  }

  /** Polls until the signal aborts; throws only when the site cannot go on (fenced). */
  async run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      const started = this.#now();
      await this.cycle(signal);
      const wait = Math.max(0, this.site.intervalMs - (this.#now() - started));
      try {
        await sleep(wait, signal);
      } catch {
        return;
      }
    }
  }

  /** One cycle: new sessions, running sessions, then the closed-session safety net. */
  async cycle(signal?: AbortSignal): Promise<boolean> {
    const seen = new Set<string>();
    let ok = true;
    try {
      ok = (await this.#newSessions(seen, signal)) && ok;
      ok = (await this.#runningSessions(seen, signal)) && ok;
      ok = (await this.#closedSessions(seen, signal)) && ok;
    } catch (err) {
      if (signal?.aborted) return false;
      throw err;
    }
    this.#lastCycleOk = ok;
    this.#noteStuck(ok);
    this.#d.metrics.cycles.inc({ site: this.site.name, outcome: ok ? 'ok' : 'partial' });
    return ok;
  }

  #noteStuck(ok: boolean): void {
    if (ok) {
      if (this.#stuck) this.#log.info({ cycles: this.#stuck.cycles }, 'The site makes progress again.');
      this.#stuck = undefined;
      return;
    }
    const failure = this.#lastFailure;
    const err = failure?.err;
    const message = err instanceof Error ? err.message : String(err ?? 'unknown');
    const cursor = new Date(this.#cursor.start * 1000).toISOString();
    const reason = `${failure?.request ?? 'a'} request keeps failing (start_time cursor ${cursor}): ${message.slice(0, 300)}`;
    this.#stuck = { since: this.#stuck?.since ?? this.#now(), cycles: (this.#stuck?.cycles ?? 0) + 1, reason };
  }

  async #newSessions(seen: Set<string>, signal?: AbortSignal): Promise<boolean> {
    const windows = planWindows(this.#cursor.start, {
      nowMs: this.#now(),
      safetyLagMs: this.site.safetyLagMs,
      maxWindowMs: this.site.maxWindowMs,
      initialIntervalMs: this.site.initialIntervalMs,
    });
    const backfill = windows.length > 1;
    for (const w of windows) {
      const result = await this.#unit('start_time', { kind: 'start_time', start: w.start, duration: w.end - w.start }, w, signal, (draft) =>
        draft.setStart(w.end),
      );
      if (!result) return false;
      for (const lsid of result.lsids) seen.add(lsid);
      if (backfill) {
        const remaining = remainingSeconds(this.#cursor.start, this.#now(), this.site.safetyLagMs);
        this.#log.info(
          { cursor: new Date(this.#cursor.start * 1000).toISOString(), remainingSeconds: remaining, sessions: result.sessions },
          'Backfill progress.',
        );
      }
    }
    return true;
  }

  async #runningSessions(seen: Set<string>, signal?: AbortSignal): Promise<boolean> {
    const nowSec = Math.floor(this.#now() / 1000);
    const expired = expiredOpen(this.#cursor, nowSec, Math.floor(this.site.openSessionMaxAgeMs / 1000));
    if (expired.length > 0) {
      this.#log.warn({ lsids: expired, maxAgeSeconds: this.site.openSessionMaxAgeMs / 1000 }, 'Running sessions reached the maximum age and are no longer re-fetched.');
      const ok = await this.#cursorOnly(signal, (draft) => expired.forEach((lsid) => draft.forget(lsid)));
      if (!ok) return false;
      this.#d.metrics.openDropped.inc({ site: this.site.name }, expired.length);
    }
    const lsids = Object.keys(this.#cursor.open).filter((lsid) => !seen.has(lsid));
    return this.#fetchLsids(lsids, seen, signal);
  }

  async #closedSessions(seen: Set<string>, signal?: AbortSignal): Promise<boolean> {
    const windows = planWindows(this.#cursor.closed, {
      nowMs: this.#now(),
      safetyLagMs: this.site.safetyLagMs,
      maxWindowMs: this.site.maxWindowMs,
      initialIntervalMs: this.site.initialIntervalMs,
    });
    const overlap = Math.floor(this.site.closedOverlapMs / 1000);
    for (const w of windows) {
      const listed = await this.#unit('listing', { kind: 'listing', start: w.start, duration: w.end - w.start }, w, signal);
      if (!listed) return false;
      const unseen = listed.lsids.filter((lsid) => !seen.has(lsid) && !(lsid in this.#cursor.seenClosed));
      if (!(await this.#fetchLsids(unseen, seen, signal))) return false;
      // Re-read the overlap next time: a session may show up there late.
      const next = Math.max(this.#cursor.closed, w.end - overlap);
      if (next > this.#cursor.closed && !(await this.#cursorOnly(signal, (draft) => draft.setClosed(next)))) return false;
    }
    return true;
  }

  async #fetchLsids(lsids: readonly string[], seen: Set<string>, signal?: AbortSignal): Promise<boolean> {
    for (let i = 0; i < lsids.length; i += this.site.lsidsBatch) {
      const batch = lsids.slice(i, i + this.site.lsidsBatch);
      const result = await this.#unit('lsids', { kind: 'lsids', lsids: batch }, undefined, signal);
      if (!result) return false;
      for (const lsid of result.lsids) seen.add(lsid);
    }
    return true;
  }

  async #cursorOnly(signal: AbortSignal | undefined, change: (draft: CursorDraft) => void): Promise<boolean> {
    return this.#withRetry('cursor', signal, async () => {
      const unit = await this.#d.publisher.begin(this.site.name);
      try {
        const draft = new CursorDraft(this.#cursor);
        change(draft);
        await this.#commitUnit(unit, this.#result(draft));
        return true;
      } catch (err) {
        await unit.abort().catch(() => undefined);
        throw err;
      }
    }).then((r) => r !== undefined);
  }

  #result(draft: CursorDraft): Cursor {
    return draft.result({
      keepSeconds: Math.floor(this.site.closedOverlapMs / 1000) + Math.floor(this.site.safetyLagMs / 1000) + 60,
      maxSeenClosed: this.#d.options.seenClosedMax,
      now: new Date(this.#now()),
    });
  }

  async #commitUnit(unit: PublishUnit, next: Cursor): Promise<void> {
    try {
      await unit.commit(next);
    } catch (err) {
      this.#uncertain = true;
      throw err;
    }
    this.#commit(next);
  }

  /**
   * Before the next unit after an unknown outcome: the publisher settles the
   * open transaction and the cursor becomes what is committed, so a unit that
   * did commit is not published again and one that did not is fetched again.
   */
  async #recover(): Promise<void> {
    const committed = await this.#d.publisher.recover(this.site.name);
    if (committed) this.#commit(committed);
    this.#uncertain = false;
    this.#log.info({ cursor: new Date(this.#cursor.start * 1000).toISOString() }, 'Read the committed cursor again after a commit of unknown outcome.');
  }

  #commit(next: Cursor): void {
    this.#cursor = next;
    this.#updateGauges();
  }

  #updateGauges(): void {
    const m = this.#d.metrics;
    const labels = { site: this.site.name };
    const nowMs = this.#now();
    m.windowLag.set(labels, Math.max(0, nowMs / 1000 - this.#cursor.start));
    m.closedLag.set(labels, Math.max(0, nowMs / 1000 - this.#cursor.closed));
    m.backfillRemaining.set(labels, Math.max(0, remainingSeconds(this.#cursor.start, nowMs, this.site.safetyLagMs) - this.site.intervalMs / 1000));
    m.openSessions.set(labels, Object.keys(this.#cursor.open).length);
  }

  /** Runs `attempt` with the retry policy; undefined when it gave up for this cycle. Fencing and aborts are thrown. */
  async #withRetry<T>(what: string, signal: AbortSignal | undefined, attempt: () => Promise<T>): Promise<T | undefined> {
    const thrown = (err: unknown) => signal?.aborted === true || (err instanceof PipelineError && err.code === 'PIPE_KAFKA_FENCED');
    let attempts = 0;
    try {
      return await retry(
        async (n) => {
          attempts = n;
          try {
            if (this.#uncertain) await this.#recover();
            return await attempt();
          } catch (err) {
            if (!thrown(err)) this.#d.metrics.stage.error(err instanceof PipelineError ? err.code : 'PIPE_INTERNAL');
            throw err;
          }
        },
        {
          ...this.#d.options.retry,
          signal,
          shouldRetry: (err) => !thrown(err) && isRetryable(err),
          delayFor: retryAfterMs,
          onRetry: (err, n, delayMs) => {
            this.#d.metrics.retries.inc({ site: this.site.name, endpoint: what });
            this.#log.warn({ err, attempt: n, request: what, delayMs }, 'Request failed; retrying.');
          },
        },
      );
    } catch (err) {
      if (thrown(err)) throw err;
      this.#lastFailure = { request: what, err };
      this.#log.warn({ err, attempt: attempts, request: what }, 'Request failed; trying again next cycle, the cursor stays.');
      return undefined;
    }
  }

  /**
   * One request as one unit of work: stream the report through the splitter,
   * send the changed sessions in byte-bounded batches, then commit them with
   * the new cursor. Resolves undefined when it failed for this cycle.
   */
  async #unit(label: QueryLabel, query: ReportQuery, window: Window | undefined, signal: AbortSignal | undefined, onSuccess?: (draft: CursorDraft) => void): Promise<FetchResult | undefined> {
    const listing = query.kind === 'listing';
    // One trace per attempt: its request to the appliance and, through the records' headers, every later stage.
    const attributes = { 'pra.site': this.site.name, 'pra.query': label };
    const result = await this.#withRetry(label, signal, () => inSpan('pra.poller.unit', { attributes }, async () => {
      const unit = listing ? undefined : await this.#d.publisher.begin(this.site.name);
      try {
        const draft = new CursorDraft(this.#cursor);
        const splitter = new SessionSplitter({
          maxSessionBytes: this.#d.options.maxSessionBytes,
          ...(this.#d.options.maxXmlDepth ? { maxDepth: this.#d.options.maxXmlDepth } : {}),
        });
        const fetchedAt = new Date(this.#now());
        const headers = { ...this.#headers(window, label, fetchedAt), ...traceHeaders() };
        const out: FetchResult = { sessions: 0, published: 0, lsids: [], noData: false };
        const errors: ErrorItem[] = [];
        let batch: OutRecord[] = [];
        let batchBytes = 0;
        const counts = { open: 0, closed: 0, events: 0, bytes: 0, unchanged: 0, dlq: 0 };
        const nowSec = Math.floor(fetchedAt.getTime() / 1000);

        const handle = (items: ReturnType<SessionSplitter['push']>) => {
          for (const item of items) {
            if (item.kind === 'error') {
              errors.push(item);
            } else if (item.kind === 'summary') {
              if (item.lsid) out.lsids.push(item.lsid);
            } else {
              out.sessions++;
              const record = this.#observe(item, draft, nowSec, headers, counts);
              if (item.lsid) out.lsids.push(item.lsid);
              if (record) {
                batch.push(record);
                batchBytes += record.value.length;
              }
            }
          }
        };
        const flush = async () => {
          if (batch.length === 0 || !unit) return;
          const sending = batch;
          batch = [];
          batchBytes = 0;
          await unit.send(sending);
        };

        try {
          await this.#d.source.report(
            query,
            async (chunk) => {
              handle(splitter.push(chunk));
              if (batchBytes >= this.#d.options.batchMaxBytes) await flush();
            },
            signal,
          );
          handle(splitter.end());
        } catch (err) {
          if (err instanceof PipelineError && (err.code === 'PIPE_XML_MALFORMED' || err.code === 'PIPE_XML_LIMIT')) {
            // A truncated or broken body is usually a transfer problem: worth another try.
            throw new PipelineError(err.code, err.message, { cause: err, retryable: true, context: { ...err.context, site: this.site.name, query: label } });
          }
          throw err;
        }
        if (errors.length > 0) {
          const siblings = out.sessions + out.lsids.length;
          const first = errors[0] as ErrorItem;
          if (errors.length === 1 && isNoDataError(first.text, { where: first.where, siblings })) {
            out.noData = true;
          } else {
            throw new PipelineError('PIPE_UPSTREAM_ERROR_ELEMENT', `The site answered with an error: ${first.text.slice(0, 200)}`, {
              context: { site: this.site.name, query: label, where: first.where },
            });
          }
        }
        this.#d.metrics.windows.inc({ site: this.site.name, query: label, result: out.noData ? 'no_data' : 'data' });
        if (!unit) return out;
        await flush();
        onSuccess?.(draft);
        await this.#commitUnit(unit, this.#result(draft));
        this.#count(counts);
        out.published = counts.open + counts.closed;
        return out;
      } catch (err) {
        this.#d.metrics.windows.inc({ site: this.site.name, query: label, result: 'failed' });
        await unit?.abort().catch((abortErr: unknown) => this.#log.debug({ err: abortErr }, 'Aborting the transaction failed.'));
        throw err;
      }
    }));
    return result;
  }

  #count(c: { open: number; closed: number; events: number; bytes: number; unchanged: number; dlq: number }): void {
    const m = this.#d.metrics;
    const site = this.site.name;
    if (c.open) m.sessionsPublished.inc({ site, state: 'open' }, c.open);
    if (c.closed) m.sessionsPublished.inc({ site, state: 'closed' }, c.closed);
    if (c.events) m.eventsPublished.inc({ site }, c.events);
    if (c.bytes) m.publishedBytes.inc({ site }, c.bytes);
    if (c.unchanged) m.sessionsUnchanged.inc({ site }, c.unchanged);
    m.stage.deadLetter('PIPE_XML_LIMIT', c.dlq);
  }

  /** Records the session in the draft; returns the record to send when it changed. */
  #observe(
    item: SessionItem,
    draft: CursorDraft,
    nowSec: number,
    headers: Record<string, string>,
    counts: { open: number; closed: number; events: number; bytes: number; unchanged: number; dlq: number },
  ): OutRecord | undefined {
    // Without an lsid the session cannot be tracked; its digest keys it, so it is published once per content.
    const lsid = item.lsid ?? `digest-${item.digest}`;
    const obs = { lsid, digest: publishDigest(item), events: item.events, end: item.endTime };
    const decision = draft.decide(obs);
    const publishedBefore = draft.publishedBefore(obs);
    draft.observe(obs, nowSec);
    if (decision === 'unchanged') {
      counts.unchanged++;
      return undefined;
    }
    const key = rawRecordKey(this.site.name, lsid);
    if (item.oversize || !item.bytes) {
      counts.dlq++;
      this.#log.error(
        { lsid, bytes: item.size, limit: this.#d.options.maxSessionBytes },
        'A session is larger than POLLER_MAX_SESSION_BYTES; its head goes to the dead letter topic.',
      );
      return {
        destination: 'dlq',
        key,
        value: item.head ?? Buffer.alloc(0),
        headers: {
          ...headers,
          ...deadLetterHeaders({
            stage: 'poller',
            errorCode: 'PIPE_XML_LIMIT',
            errorType: ERROR_CODES.PIPE_XML_LIMIT.errorType,
            reason: `session of ${item.size} bytes is larger than ${this.#d.options.maxSessionBytes} bytes; the value holds its first bytes`,
            sourceTopic: '',
            sourcePartition: -1,
            sourceOffset: '-1',
          }),
        },
      };
    }
    if (item.endTime === undefined) counts.open++;
    else counts.closed++;
    counts.events += item.events - publishedBefore;
    counts.bytes += item.bytes.length;
    return { destination: 'raw', key, value: item.bytes, headers: { ...headers, [RECORD_HEADERS.publishedBefore]: String(publishedBefore) } };
  }

  #headers(window: Window | undefined, query: QueryLabel, fetchedAt: Date): Record<string, string> {
    const s = this.site;
    return {
      [RECORD_HEADERS.site]: s.name,
      [RECORD_HEADERS.siteHost]: s.host,
      [RECORD_HEADERS.namespace]: s.namespace,
      [RECORD_HEADERS.tags]: s.tags.join(','),
      [RECORD_HEADERS.preserveOriginalEvent]: String(s.preserveOriginalEvent),
      [RECORD_HEADERS.preserveDuplicateCustomFields]: String(s.preserveDuplicateCustomFields),
      ...(window ? { [RECORD_HEADERS.windowStart]: String(window.start), [RECORD_HEADERS.windowEnd]: String(window.end) } : {}),
      [RECORD_HEADERS.query]: query,
      [RECORD_HEADERS.fetchedAt]: fetchedAt.toISOString(),
      [RECORD_HEADERS.contentType]: RAW_CONTENT_TYPE,
    };
  }
}
