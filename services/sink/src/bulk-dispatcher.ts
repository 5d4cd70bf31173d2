/**
 * Sends closed batches as `_bulk` requests, at most `concurrency` at a time, and
 * turns each answer into one final outcome per document. Documents Elasticsearch
 * asks to retry (429, 5xx, rejected execution) and whole failed requests go
 * again after a backoff, ahead of new batches, because they hold the oldest
 * offsets and commits wait for them; a document is only ever given up on as
 * `rejected`, never dropped. A request that gets no answer within
 * `requestTimeoutMs` is aborted and retried like any failed request.
 */
import { batchParent, inSpan, SpanKind, tracingEnabled, type ErrorCode, type Logger, type SpanContext } from '@pra-pipeline/shared';
import { bulkBody } from './bulk-body.js';
import { classifyItem, classifyRequestError, type BulkResponseItem } from './bulk-result.js';
import type { ElasticsearchHealth } from './es-health.js';
import { retriesExhausted, retryDelay, type RetrySchedule } from './retry-schedule.js';
import type { SinkMetrics } from './telemetry.js';

export type Outcome =
  | { result: 'indexed' }
  | { result: 'duplicate' }
  | { result: 'rejected'; code: ErrorCode; status: number; errorType: string; reason: string };

export interface BulkResponse {
  errors?: boolean;
  items?: Record<string, BulkResponseItem>[];
}

/** Sends one `_bulk` body; throws on a failed request. */
export type BulkSend = (body: Buffer, signal: AbortSignal) => Promise<BulkResponse>;

/** A document on its way: its `create` lines, and how often Elasticsearch has asked for it again. */
export interface Sendable {
  readonly operation: Buffer;
  failures: number;
  readonly trace?: SpanContext | undefined;
}

export interface BulkDispatcherOptions<T extends Sendable> {
  send: BulkSend;
  concurrency: number;
  retry: RetrySchedule;
  /** A backstop under the client's own timeout: a request that never settles must not hold its documents for ever. */
  requestTimeoutMs?: number | undefined;
  health: ElasticsearchHealth;
  /** Where each document's final outcome goes; called once per document. */
  onOutcome(item: T, outcome: Outcome): void;
  /** Documents held in memory, for the log line that opens an outage. */
  documentsHeld(): number;
  metrics: Pick<SinkMetrics, 'inFlight' | 'bulkBytes' | 'bulkDocuments' | 'bulkDuration' | 'retried' | 'stage'>;
  logger: Logger;
}

export class BulkDispatcher<T extends Sendable> {
  readonly #o: BulkDispatcherOptions<T>;
  #ready: T[][] = [];
  #inFlight = 0;
  #waiting = 0;
  #retryTimers = new Set<NodeJS.Timeout>();
  #retriesSent: (() => void)[] = [];
  #abort = new AbortController();

  constructor(options: BulkDispatcherOptions<T>) {
    this.#o = options;
  }

  get inFlight(): number {
    return this.#inFlight;
  }

  /** Documents waiting out a backoff before they go again. */
  get waiting(): number {
    return this.#waiting;
  }

  get abandoned(): boolean {
    return this.#abort.signal.aborted;
  }

  /** Queues a closed batch and sends it as soon as a request slot is free. */
  submit(items: T[]): void {
    if (items.length === 0 || this.abandoned) return;
    this.#ready.push(items);
    this.#pump();
  }

  /** Resolves once no document waits for a retry any more. */
  whenRetriesSent(): Promise<void> {
    if (this.#waiting === 0) return Promise.resolve();
    return new Promise((resolve) => this.#retriesSent.push(resolve));
  }

  /** Stops all work: requests are aborted, retries cancelled, and no outcome is reported any more. */
  abandon(): void {
    if (this.abandoned) return;
    this.#abort.abort(new Error('The indexer was abandoned.'));
    for (const timer of this.#retryTimers) clearTimeout(timer);
    this.#retryTimers.clear();
    this.#ready = [];
    this.#waiting = 0;
    // Nobody waits for retries that will never go out.
    for (const wake of this.#retriesSent.splice(0)) wake();
  }

  #pump(): void {
    while (!this.abandoned && this.#inFlight < this.#o.concurrency && this.#ready.length > 0) {
      void this.#send(this.#ready.shift() as T[]);
    }
  }

  async #send(items: T[]): Promise<void> {
    const m = this.#o.metrics;
    this.#setInFlight(+1);
    const body = bulkBody(items);
    m.bulkBytes.observe(body.length);
    m.bulkDocuments.observe(items.length);
    const started = process.hrtime.bigint();
    const seconds = () => Number(process.hrtime.bigint() - started) / 1e9;
    let response: BulkResponse;
    try {
      response = await this.#traced(items, () => this.#request(body));
    } catch (err) {
      m.bulkDuration.observe({ outcome: 'failed' }, seconds());
      this.#setInFlight(-1);
      if (!this.abandoned) this.#requestFailed(items, err);
      this.#pump();
      return;
    }
    m.bulkDuration.observe({ outcome: 'ok' }, seconds());
    this.#setInFlight(-1);
    if (this.abandoned) return;
    this.#o.health.requestAnswered();
    this.#answered(items, response);
    this.#pump();
  }

  /**
   * With tracing on, the request runs in a span whose parent is the first
   * document's trace and whose links are the others', so the Elasticsearch
   * client's span joins them.
   */
  #traced(items: readonly T[], request: () => Promise<BulkResponse>): Promise<BulkResponse> {
    if (!tracingEnabled()) return request();
    const { parent, links, traces } = batchParent(items.map((i) => i.trace));
    const attributes = { 'messaging.batch.message_count': items.length, 'pra.traces': traces };
    return inSpan('pra.sink.bulk', { kind: SpanKind.INTERNAL, parent, links, attributes }, request);
  }

  /** The request, failed with a TimeoutError when it outlasts `requestTimeoutMs`, and abortable by `abandon`. */
  async #request(body: Buffer): Promise<BulkResponse> {
    const controller = new AbortController();
    const outer = this.#abort.signal;
    let timer: NodeJS.Timeout | undefined;
    let onAbort: (() => void) | undefined;
    // Rejects on the timeout or on abandon, even when `send` ignores its signal.
    const cut = new Promise<never>((_, reject) => {
      onAbort = () => {
        controller.abort(outer.reason);
        reject(outer.reason as Error);
      };
      outer.addEventListener('abort', onAbort, { once: true });
      const ms = this.#o.requestTimeoutMs;
      if (ms === undefined || ms <= 0) return;
      timer = setTimeout(() => {
        const err = new Error(`Elasticsearch did not answer the bulk request within ${ms} ms.`);
        err.name = 'TimeoutError';
        controller.abort(err);
        reject(err);
      }, ms);
    });
    try {
      return await Promise.race([this.#o.send(body, controller.signal), cut]);
    } finally {
      clearTimeout(timer);
      if (onAbort) outer.removeEventListener('abort', onAbort);
    }
  }

  #answered(items: T[], response: BulkResponse): void {
    const retry: T[] = [];
    let worst = 0;
    let cause = '';
    for (let i = 0; i < items.length; i++) {
      const item = items[i] as T;
      const entry = response.items?.[i];
      // filter_path drops `items` from an answer without errors.
      const outcome = response.errors === false && entry === undefined ? { kind: 'indexed' as const } : classifyItem(entry ? Object.values(entry)[0] : undefined);
      switch (outcome.kind) {
        case 'indexed':
          this.#o.onOutcome(item, { result: 'indexed' });
          break;
        case 'duplicate':
          this.#o.onOutcome(item, { result: 'duplicate' });
          break;
        case 'retry':
          item.failures++;
          if (retriesExhausted(item.failures, this.#o.retry)) {
            this.#o.onOutcome(item, { result: 'rejected', code: 'PIPE_ES_ITEM_RETRYABLE', status: outcome.status, errorType: outcome.errorType, reason: `Gave up after ${item.failures} attempts: ${outcome.reason}` });
          } else {
            retry.push(item);
            worst = Math.max(worst, item.failures);
            cause = `${outcome.errorType} (HTTP ${outcome.status})`;
          }
          break;
        case 'reject':
          this.#o.onOutcome(item, { result: 'rejected', code: 'PIPE_ES_ITEM_REJECTED', status: outcome.status, errorType: outcome.errorType, reason: outcome.reason });
          break;
      }
    }
    if (retry.length === 0) return;
    this.#o.health.itemsRetried(cause);
    this.#o.metrics.retried.inc({ reason: 'item' }, retry.length);
    this.#o.metrics.stage.error('PIPE_ES_ITEM_RETRYABLE', retry.length);
    this.#o.logger.debug({ documents: retry.length, cause }, 'Elasticsearch asked to retry some documents; sending them again after a backoff.');
    this.#retryLater(retry, retryDelay(worst, this.#o.retry));
  }

  #requestFailed(items: T[], err: unknown): void {
    const failure = classifyRequestError(err);
    this.#o.metrics.stage.error('PIPE_ES_REQUEST');
    if (failure.kind === 'split') {
      if (items.length > 1) {
        const half = Math.ceil(items.length / 2);
        this.#ready.unshift(items.slice(0, half), items.slice(half));
      } else {
        this.#o.onOutcome(items[0] as T, { result: 'rejected', code: 'PIPE_ES_ITEM_REJECTED', status: failure.status, errorType: failure.errorType, reason: failure.reason });
      }
      return;
    }
    const description = `${failure.errorType}${failure.status ? ` (HTTP ${failure.status})` : ''}: ${failure.reason}`;
    const failures = this.#o.health.requestFailed(description, { err, status: failure.status, documents: this.#o.documentsHeld() });
    this.#o.metrics.retried.inc({ reason: 'request' }, items.length);
    this.#retryLater(items, retryDelay(failures, this.#o.retry));
  }

  #retryLater(items: T[], delayMs: number): void {
    this.#waiting += items.length;
    const timer = setTimeout(() => {
      this.#retryTimers.delete(timer);
      this.#waiting -= items.length;
      this.#ready.unshift(items);
      this.#pump();
      if (this.#waiting === 0) for (const wake of this.#retriesSent.splice(0)) wake();
    }, delayMs);
    this.#retryTimers.add(timer);
  }

  #setInFlight(delta: number): void {
    this.#inFlight += delta;
    this.#o.metrics.inFlight.set(this.#inFlight);
  }
}
