/**
 * The indexing engine: documents in, one outcome per document out. It batches
 * (documents, bytes, linger), keeps up to `concurrency` `_bulk` requests in
 * flight, sends again only the items that failed for a transient reason, keeps
 * the documents of a failed request until Elasticsearch answers, and holds every
 * document in memory until its outcome has been settled, so the bytes it holds
 * are bounded by what its caller lets in (`hasRoom`). It knows nothing of Kafka:
 * the caller passes an opaque `ref` per document and learns the outcome through
 * `settle`.
 */
import type { ErrorCode, Logger } from '@pra-pipeline/shared';
import { Batcher, type Batch, type BatchLimits } from './batcher.js';
import { bulkBody } from './bulk-body.js';
import { classifyItem, classifyRequestError, type BulkResponseItem } from './bulk-result.js';
import { retriesExhausted, retryDelay, type RetrySchedule } from './retry-schedule.js';
import type { SinkMetrics } from './telemetry.js';

export type Outcome =
  | { result: 'indexed' }
  | { result: 'duplicate' }
  | { result: 'rejected'; code: ErrorCode; status: number; errorType: string; reason: string };

export interface IndexItem<R> {
  id: string;
  index: string;
  /** The `create` operation's two lines. */
  operation: Buffer;
  createdMs?: number | undefined;
  /** Other memory held for this document until it is settled (e.g. the original record for a dead letter). */
  extraBytes?: number;
  ref: R;
}

export interface BulkResponse {
  errors?: boolean;
  items?: Record<string, BulkResponseItem>[];
}

/** Sends one `_bulk` body; throws on a failed request. */
export type BulkSend = (body: Buffer, signal: AbortSignal) => Promise<BulkResponse>;

export interface BulkIndexerOptions<R> {
  send: BulkSend;
  limits: BatchLimits;
  concurrency: number;
  maxBufferBytes: number;
  retry: RetrySchedule;
  /**
   * Called once per document with its outcome; for `rejected` the callee dead-letters
   * it. The document is released when this resolves; when it throws, it is called
   * again after a backoff.
   */
  settle(item: IndexItem<R>, outcome: Outcome): void | Promise<void>;
  metrics: SinkMetrics;
  logger: Logger;
}

interface Pending<R> extends IndexItem<R> {
  readonly bodyBytes: number;
  readonly bytes: number;
  failures: number;
}

const LOG_EVERY_MS = 10_000;

export class BulkIndexer<R> {
  readonly #o: BulkIndexerOptions<R>;
  readonly #batcher: Batcher<Pending<R>>;
  #ready: Pending<R>[][] = [];
  #inFlight = 0;
  #waiting = 0;
  #bufferedBytes = 0;
  #bufferedDocuments = 0;
  #reservedBytes = 0;
  #lingerTimer: NodeJS.Timeout | undefined;
  #retryTimers = new Set<NodeJS.Timeout>();
  #requestFailures = 0;
  #failingSince: number | undefined;
  #lastFailure = '';
  #abort = new AbortController();
  #roomListeners = new Set<() => void>();
  #idleWaiters: (() => void)[] = [];
  #lastRejectLog = 0;
  #rejectsSinceLog = 0;

  constructor(options: BulkIndexerOptions<R>) {
    this.#o = options;
    this.#batcher = new Batcher(options.limits);
    options.metrics.elasticsearchUp.set(1);
  }

  get bufferedBytes(): number {
    return this.#bufferedBytes;
  }

  get bufferedDocuments(): number {
    return this.#bufferedDocuments;
  }

  get inFlight(): number {
    return this.#inFlight;
  }

  /** Whether a caller may add `bytes` more now: no retry is pending and the buffer has room. */
  hasRoom(bytes = 0): boolean {
    if (this.#abort.signal.aborted || this.#waiting > 0) return false;
    const held = this.#bufferedBytes + this.#reservedBytes;
    return held === 0 || held + bytes <= this.#o.maxBufferBytes;
  }

  /**
   * Reserves room for a document still being decoded, so that concurrent callers
   * cannot all pass the check and together overrun the buffer. False when there is
   * no room. Release the reservation once the document is added (or turned away).
   */
  tryReserve(bytes: number): boolean {
    if (!this.hasRoom(bytes)) return false;
    this.#reservedBytes += bytes;
    return true;
  }

  release(bytes: number): void {
    this.#reservedBytes = Math.max(0, this.#reservedBytes - bytes);
    this.#notifyRoom();
  }

  /** Calls `listener` whenever room may have opened up; returns the unsubscribe function. */
  onRoom(listener: () => void): () => void {
    this.#roomListeners.add(listener);
    return () => this.#roomListeners.delete(listener);
  }

  /** Elasticsearch's state as the last requests saw it, for /readyz. */
  status(): { ok: boolean; detail: string } {
    if (this.#failingSince === undefined) return { ok: true, detail: 'bulk requests succeed' };
    const seconds = Math.round((Date.now() - this.#failingSince) / 1000);
    return {
      ok: false,
      detail: `waiting for Elasticsearch for ${seconds}s (${this.#bufferedDocuments} documents held): ${this.#lastFailure}`,
    };
  }

  add(item: IndexItem<R>): void {
    if (this.#abort.signal.aborted) throw new Error('The indexer was abandoned.');
    const pending: Pending<R> = {
      ...item,
      bodyBytes: item.operation.length,
      bytes: item.operation.length + (item.extraBytes ?? 0),
      failures: 0,
    };
    this.#bufferedBytes += pending.bytes;
    this.#bufferedDocuments++;
    this.#gauges();
    for (const batch of this.#batcher.add(pending, Date.now())) this.#ready.push(batch.items);
    this.#armLinger();
    this.#pump();
  }

  /** Sends the open batch now instead of at the end of its linger time. */
  flush(): void {
    const batch = this.#batcher.takeDue(Date.now(), true);
    if (batch) this.#ready.push(batch.items);
    this.#pump();
  }

  /** Flushes and waits until every document is settled; false when `timeoutMs` passes first. */
  async drain(timeoutMs: number): Promise<boolean> {
    this.flush();
    if (this.#bufferedDocuments === 0) return true;
    let timer: NodeJS.Timeout | undefined;
    const idle = new Promise<boolean>((resolve) => this.#idleWaiters.push(() => resolve(true)));
    const timeout = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), timeoutMs);
    });
    try {
      return await Promise.race([idle, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Stops all work: requests are aborted and no outcome is settled any more. */
  abandon(): void {
    if (this.#abort.signal.aborted) return;
    this.#abort.abort(new Error('The indexer was abandoned.'));
    clearTimeout(this.#lingerTimer);
    for (const timer of this.#retryTimers) clearTimeout(timer);
    this.#retryTimers.clear();
    this.#ready = [];
    for (const wake of this.#idleWaiters.splice(0)) wake();
  }

  #armLinger(): void {
    if (this.#lingerTimer || this.#batcher.count === 0) return;
    const dueAt = this.#batcher.dueAt() as number;
    this.#lingerTimer = setTimeout(() => {
      this.#lingerTimer = undefined;
      const batch = this.#batcher.takeDue(Date.now());
      if (batch) this.#ready.push(batch.items);
      this.#armLinger();
      this.#pump();
    }, Math.max(0, dueAt - Date.now()));
  }

  #pump(): void {
    while (!this.#abort.signal.aborted && this.#inFlight < this.#o.concurrency && this.#ready.length > 0) {
      void this.#send(this.#ready.shift() as Pending<R>[]);
    }
  }

  async #send(items: Pending<R>[]): Promise<void> {
    const m = this.#o.metrics;
    this.#inFlight++;
    m.inFlight.set(this.#inFlight);
    const body = bulkBody(items);
    m.bulkBytes.observe(body.length);
    m.bulkDocuments.observe(items.length);
    const started = process.hrtime.bigint();
    const seconds = () => Number(process.hrtime.bigint() - started) / 1e9;
    let response: BulkResponse;
    try {
      response = await this.#o.send(body, this.#abort.signal);
    } catch (err) {
      m.bulkDuration.observe({ outcome: 'failed' }, seconds());
      this.#inFlight--;
      m.inFlight.set(this.#inFlight);
      if (!this.#abort.signal.aborted) this.#requestFailed(items, err);
      this.#pump();
      return;
    }
    m.bulkDuration.observe({ outcome: 'ok' }, seconds());
    this.#inFlight--;
    m.inFlight.set(this.#inFlight);
    if (this.#abort.signal.aborted) return;
    this.#requestSucceeded();
    this.#handleResponse(items, response);
    this.#pump();
  }

  #handleResponse(items: Pending<R>[], response: BulkResponse): void {
    const retry: Pending<R>[] = [];
    let worst = 0;
    for (let i = 0; i < items.length; i++) {
      const item = items[i] as Pending<R>;
      const entry = response.items?.[i];
      const outcome = response.errors === false && entry === undefined ? { kind: 'indexed' as const } : classifyItem(entry ? Object.values(entry)[0] : undefined);
      switch (outcome.kind) {
        case 'indexed':
          void this.#settle(item, { result: 'indexed' });
          break;
        case 'duplicate':
          void this.#settle(item, { result: 'duplicate' });
          break;
        case 'retry':
          item.failures++;
          if (retriesExhausted(item.failures, this.#o.retry)) {
            void this.#settle(item, { result: 'rejected', code: 'PIPE_ES_ITEM_RETRYABLE', status: outcome.status, errorType: outcome.errorType, reason: `Gave up after ${item.failures} attempts: ${outcome.reason}` });
          } else {
            retry.push(item);
            worst = Math.max(worst, item.failures);
            this.#lastFailure = `${outcome.errorType} (HTTP ${outcome.status})`;
          }
          break;
        case 'reject':
          void this.#settle(item, { result: 'rejected', code: 'PIPE_ES_ITEM_REJECTED', status: outcome.status, errorType: outcome.errorType, reason: outcome.reason });
          break;
      }
    }
    if (retry.length > 0) {
      this.#o.metrics.retried.inc({ reason: 'item' }, retry.length);
      this.#o.metrics.stage.error('PIPE_ES_ITEM_RETRYABLE', retry.length);
      this.#o.logger.debug({ documents: retry.length, cause: this.#lastFailure }, 'Elasticsearch asked to retry some documents; sending them again after a backoff.');
      this.#retryLater(retry, retryDelay(worst, this.#o.retry));
    }
  }

  #requestFailed(items: Pending<R>[], err: unknown): void {
    const failure = classifyRequestError(err);
    const m = this.#o.metrics;
    m.stage.error('PIPE_ES_REQUEST');
    if (failure.kind === 'split') {
      if (items.length > 1) {
        const half = Math.ceil(items.length / 2);
        this.#ready.unshift(items.slice(0, half), items.slice(half));
      } else {
        void this.#settle(items[0] as Pending<R>, { result: 'rejected', code: 'PIPE_ES_ITEM_REJECTED', status: failure.status, errorType: failure.errorType, reason: failure.reason });
      }
      return;
    }
    this.#requestFailures++;
    this.#lastFailure = `${failure.errorType}${failure.status ? ` (HTTP ${failure.status})` : ''}: ${failure.reason}`.slice(0, 300);
    if (this.#failingSince === undefined) {
      this.#failingSince = Date.now();
      m.elasticsearchUp.set(0);
      this.#o.logger.warn({ err, status: failure.status, documents: this.#bufferedDocuments }, 'Elasticsearch request failed; holding the documents and consumption until it answers.');
    }
    m.retried.inc({ reason: 'request' }, items.length);
    this.#retryLater(items, retryDelay(this.#requestFailures, this.#o.retry));
  }

  #requestSucceeded(): void {
    this.#requestFailures = 0;
    if (this.#failingSince !== undefined) {
      this.#o.logger.info({ downSeconds: Math.round((Date.now() - this.#failingSince) / 1000) }, 'Elasticsearch answers again.');
      this.#failingSince = undefined;
      this.#o.metrics.elasticsearchUp.set(1);
    }
  }

  #retryLater(items: Pending<R>[], delayMs: number): void {
    this.#waiting += items.length;
    const timer = setTimeout(() => {
      this.#retryTimers.delete(timer);
      this.#waiting -= items.length;
      // Retries go first: they hold the oldest offsets, and commits wait for them.
      this.#ready.unshift(items);
      this.#pump();
      this.#notifyRoom();
    }, delayMs);
    this.#retryTimers.add(timer);
  }

  async #settle(item: Pending<R>, outcome: Outcome): Promise<void> {
    const m = this.#o.metrics;
    if (outcome.result === 'rejected') this.#logReject(outcome);
    for (let attempt = 1; ; attempt++) {
      if (this.#abort.signal.aborted) return;
      try {
        await this.#o.settle(item, outcome);
        break;
      } catch (err) {
        m.stage.error('PIPE_KAFKA_DELIVERY');
        this.#o.logger.warn({ err, attempt }, 'Settling a document failed (dead letter not written); trying again.');
        await new Promise((resolve) => setTimeout(resolve, retryDelay(attempt, this.#o.retry)));
      }
    }
    if (this.#abort.signal.aborted) return;
    if (outcome.result === 'indexed') {
      m.indexed.inc();
      if (item.createdMs !== undefined) m.delay.observe(Math.max(0, (Date.now() - item.createdMs) / 1000));
    } else if (outcome.result === 'duplicate') {
      m.duplicates.inc();
    } else {
      m.stage.deadLetter(outcome.code);
      m.stage.error(outcome.code);
    }
    this.#bufferedBytes -= item.bytes;
    this.#bufferedDocuments--;
    this.#gauges();
    this.#notifyRoom();
    if (this.#bufferedDocuments === 0) for (const wake of this.#idleWaiters.splice(0)) wake();
  }

  #logReject(outcome: Extract<Outcome, { result: 'rejected' }>): void {
    this.#rejectsSinceLog++;
    const now = Date.now();
    if (now - this.#lastRejectLog < LOG_EVERY_MS) return;
    this.#o.logger.warn(
      { code: outcome.code, errorType: outcome.errorType, status: outcome.status, reason: outcome.reason.slice(0, 500), documents: this.#rejectsSinceLog },
      'Elasticsearch rejected documents; they go to the dead letter topic.',
    );
    this.#lastRejectLog = now;
    this.#rejectsSinceLog = 0;
  }

  #gauges(): void {
    this.#o.metrics.bufferedBytes.set(this.#bufferedBytes);
    this.#o.metrics.bufferedDocuments.set(this.#bufferedDocuments);
  }

  #notifyRoom(): void {
    if (this.#roomListeners.size === 0 || !this.hasRoom()) return;
    for (const listener of this.#roomListeners) listener();
  }
}

export type { Batch };
