/**
 * The indexing engine: a document in, its final outcome out (a promise). It
 * joins three parts with one job each: the Batcher closes batches by count,
 * bytes and linger time; the BulkDispatcher sends them with retries; the
 * ElasticsearchHealth says whether Elasticsearch answers. It knows nothing of
 * Kafka, dead letters or memory limits: the stage decides what comes in, and
 * what happens to a rejected document.
 */
import type { Logger, SpanContext } from '@pra-pipeline/shared';
import { Batcher, type BatchLimits } from './batcher.js';
import { BulkDispatcher, type BulkSend, type Outcome } from './bulk-dispatcher.js';
import { ElasticsearchHealth, type HealthStatus } from './es-health.js';
import type { RetrySchedule } from './retry-schedule.js';
import type { SinkMetrics } from './telemetry.js';

export type { BulkResponse, BulkSend, Outcome } from './bulk-dispatcher.js';

export interface IndexDocument {
  id: string;
  index: string;
  /** The `create` operation's two lines. */
  operation: Buffer;
  /** The trace its record carries, when tracing is on. */
  trace?: SpanContext | undefined;
}

export interface BulkIndexerOptions {
  send: BulkSend;
  limits: BatchLimits;
  concurrency: number;
  retry: RetrySchedule;
  requestTimeoutMs?: number | undefined;
  /** Documents the caller holds in memory, for the health's log and status lines. */
  documentsHeld(): number;
  metrics: SinkMetrics;
  logger: Logger;
}

interface Pending extends IndexDocument {
  readonly bodyBytes: number;
  failures: number;
  resolve(outcome: Outcome): void;
}

export class BulkIndexer {
  readonly #batcher: Batcher<Pending>;
  readonly #dispatcher: BulkDispatcher<Pending>;
  readonly #health: ElasticsearchHealth;
  readonly #documentsHeld: () => number;
  #lingerTimer: NodeJS.Timeout | undefined;

  constructor(options: BulkIndexerOptions) {
    this.#batcher = new Batcher(options.limits);
    this.#documentsHeld = options.documentsHeld;
    this.#health = new ElasticsearchHealth({ gauge: options.metrics.elasticsearchUp, logger: options.logger });
    this.#dispatcher = new BulkDispatcher<Pending>({
      send: options.send,
      concurrency: options.concurrency,
      retry: options.retry,
      requestTimeoutMs: options.requestTimeoutMs,
      health: this.#health,
      onOutcome: (item, outcome) => item.resolve(outcome),
      documentsHeld: options.documentsHeld,
      metrics: options.metrics,
      logger: options.logger,
    });
  }

  /** Documents waiting out a backoff; while there are any, no new ones should come in. */
  get retrying(): number {
    return this.#dispatcher.waiting;
  }

  get inFlight(): number {
    return this.#dispatcher.inFlight;
  }

  get abandoned(): boolean {
    return this.#dispatcher.abandoned;
  }

  /** Resolves once the documents waiting for a retry have gone out again. */
  whenRetriesSent(): Promise<void> {
    return this.#dispatcher.whenRetriesSent();
  }

  /** Elasticsearch's state as the last requests saw it, for /readyz. */
  status(): HealthStatus {
    return this.#health.status(this.#documentsHeld());
  }

  /**
   * Queues a document; resolves with its outcome once Elasticsearch has given a
   * final answer. After `abandon` it never resolves.
   */
  index(document: IndexDocument): Promise<Outcome> {
    if (this.abandoned) throw new Error('The indexer was abandoned.');
    return new Promise<Outcome>((resolve) => {
      const pending: Pending = { ...document, bodyBytes: document.operation.length, failures: 0, resolve };
      for (const batch of this.#batcher.add(pending, Date.now())) this.#dispatcher.submit(batch.items);
      this.#armLinger();
    });
  }

  /** Sends the open batch now instead of at the end of its linger time. */
  flush(): void {
    const batch = this.#batcher.takeDue(Date.now(), true);
    if (batch) this.#dispatcher.submit(batch.items);
  }

  /** Stops all work: requests are aborted and no outcome is given any more. */
  abandon(): void {
    clearTimeout(this.#lingerTimer);
    this.#lingerTimer = undefined;
    this.#dispatcher.abandon();
  }

  #armLinger(): void {
    if (this.#lingerTimer || this.#batcher.count === 0 || this.abandoned) return;
    const dueAt = this.#batcher.dueAt() as number;
    this.#lingerTimer = setTimeout(() => {
      this.#lingerTimer = undefined;
      const batch = this.#batcher.takeDue(Date.now());
      if (batch) this.#dispatcher.submit(batch.items);
      this.#armLinger();
    }, Math.max(0, dueAt - Date.now()));
  }
}
