/**
 * The sink stage without its source: records in (from Kafka, or handed over in
 * process by the all-in-one mode), each settled exactly once as indexed,
 * duplicate, dead-lettered or skipped. Decoding, the memory limit, dead letters
 * and the indexer meet here; offsets and consumer groups do not. A source sees
 * only `Delivery`: it asks for room, hands a record over, and gets back an
 * acknowledgement whose `settled` promise says when the record may be committed.
 */
import { ERROR_CODES, headerString, PipelineError, RECORD_HEADERS, spanContextFromHeaders, verifyRecord, type ErrorCode, type IHeaders, type Logger } from '@pra-pipeline/shared';
import type { BatchLimits } from './batcher.js';
import { BulkIndexer, type BulkSend, type Outcome } from './bulk-indexer.js';
import { parseValue, toSinkDocument, type SchemaCheck, type WireDecoder } from './document.js';
import type { HealthStatus } from './es-health.js';
import { MemoryBudget } from './memory-budget.js';
import { retryDelay } from './retry-schedule.js';
import type { RetrySchedule } from './retry-schedule.js';
import type { SinkMetrics } from './telemetry.js';

export interface SinkRecord {
  topic: string;
  partition: number;
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
  headers?: IHeaders | undefined;
}

export type StageOutcome = Outcome | { result: 'skipped' };

export interface DeadLetterFailure {
  code: ErrorCode;
  /** Elasticsearch's error type, or the code's type for records that never reached it. */
  errorType: string;
  reason: string;
}

/** Writes a dead letter; resolves once it is durable (acknowledged by the topic). */
export type DeadLetterWriter = (record: SinkRecord, failure: DeadLetterFailure) => Promise<void>;

/** What a record must be for the sink to index it. */
export interface Admission {
  /** Refuse plain JSON (records from Kafka; not documents handed over in process). */
  requireWireFormat: boolean;
  /** Resolves when a schema id is a version of the expected subject. */
  checkSchema?: SchemaCheck | undefined;
  /** PIPELINE_SIGNING_KEY: when set, records must carry a valid `pra.signature`. */
  signingKey?: string | undefined;
  /** SINK_SITE_NAMESPACES: the only namespace each site may write to. */
  siteNamespaces?: ReadonlyMap<string, string> | undefined;
  /** Attempts at a record whose schema id is unknown before it is dead-lettered. */
  unknownSchemaAttempts: number;
}

/** What a record's hand-over gives back: its outcome, to come once it is settled. */
export interface Acknowledgement {
  /** Resolves once the record is indexed, a duplicate, dead-lettered or skipped; never after `abandon`. */
  readonly settled: Promise<StageOutcome>;
}

/** The one interface between a source and the sink: back-pressure forward, acknowledgements back. */
export interface Delivery {
  /** Whether `record` (or any record) may come in now: false while the buffer is full or documents wait for a retry. */
  hasRoom(record?: Pick<SinkRecord, 'value' | 'key'>): boolean;
  /** Resolves once there is room (at once when there is), or when the stage is abandoned. */
  whenRoom(): Promise<void>;
  /**
   * Takes one record; resolves once it is queued (or already settled) with its
   * acknowledgement. Throws a retryable PipelineError when the schema registry
   * cannot be reached: the caller tries again later, and says which `attempt` it is.
   */
  write(record: SinkRecord, attempt?: number): Promise<Acknowledgement>;
  /** Sends what is batched and waits until everything taken is settled; false when `timeoutMs` passes first. */
  drain(timeoutMs: number): Promise<boolean>;
  /** Stops all work: nothing more is settled, so nothing more is acknowledged. */
  abandon(): void;
  /** Documents taken and not yet settled. */
  readonly bufferedDocuments: number;
}

export interface SinkStageOptions {
  send: BulkSend;
  decodeWire: WireDecoder | undefined;
  admission?: Admission | undefined;
  deadLetter: DeadLetterWriter;
  limits: BatchLimits;
  concurrency: number;
  maxBufferBytes: number;
  retry: RetrySchedule;
  /** Gives up on a `_bulk` request that has no answer after this long (a backstop under the client's timeout). */
  requestTimeoutMs?: number | undefined;
  metrics: SinkMetrics;
  logger: Logger;
}

const LOG_EVERY_MS = 10_000;
const settled = (outcome: StageOutcome): Acknowledgement => ({ settled: Promise.resolve(outcome) });

export class SinkStage implements Delivery {
  readonly #o: SinkStageOptions;
  readonly #indexer: BulkIndexer;
  readonly #budget: MemoryBudget;
  #lastRefusedLog = 0;
  #refusedSinceLog = 0;
  #lastRejectLog = 0;
  #rejectsSinceLog = 0;

  constructor(options: SinkStageOptions) {
    this.#o = options;
    this.#budget = new MemoryBudget(options.maxBufferBytes, options.metrics);
    this.#indexer = new BulkIndexer({
      send: options.send,
      limits: options.limits,
      concurrency: options.concurrency,
      retry: options.retry,
      requestTimeoutMs: options.requestTimeoutMs,
      documentsHeld: () => this.#budget.documents,
      metrics: options.metrics,
      logger: options.logger,
    });
  }

  /**
   * An upper bound of the bytes a record holds while buffered: its value twice (the
   * original for a dead letter, and the document line) plus the key and the action
   * line (index name and an `_id` of at most 512 bytes).
   */
  static estimate(record: Pick<SinkRecord, 'value' | 'key'>): number {
    return 2 * (record.value?.length ?? 0) + (record.key?.length ?? 0) + 1024;
  }

  get bufferedBytes(): number {
    return this.#budget.bytes;
  }

  get bufferedDocuments(): number {
    return this.#budget.documents;
  }

  hasRoom(record?: Pick<SinkRecord, 'value' | 'key'>): boolean {
    if (this.#indexer.abandoned || this.#indexer.retrying > 0) return false;
    return this.#budget.hasRoom(record ? SinkStage.estimate(record) : 0);
  }

  async whenRoom(): Promise<void> {
    // Wait for whichever condition blocks now, then look again: both may have held.
    while (!this.hasRoom() && !this.#indexer.abandoned) {
      await (this.#indexer.retrying > 0 ? this.#indexer.whenRetriesSent() : this.#budget.whenFreed());
    }
  }

  /** Elasticsearch's state as the last requests saw it, for /readyz. */
  status(): HealthStatus {
    return this.#indexer.status();
  }

  /** Sends the open batch now instead of at the end of its linger time. */
  flush(): void {
    this.#indexer.flush();
  }

  async drain(timeoutMs: number): Promise<boolean> {
    this.#indexer.flush();
    return this.#budget.whenEmpty(timeoutMs);
  }

  abandon(): void {
    this.#indexer.abandon();
    this.#budget.wakeAll();
  }

  async write(record: SinkRecord, attempt = 1): Promise<Acknowledgement> {
    // Taken before the first await, so that a caller that has just seen room still finds it.
    const reserved = SinkStage.estimate(record);
    this.#budget.reserve(reserved);
    try {
      return await this.#take(record, attempt);
    } finally {
      this.#budget.unreserve(reserved);
    }
  }

  /** A document already in memory (the all-in-one mode without Kafka). */
  async writeDocument(document: object, source: Omit<SinkRecord, 'value'>): Promise<Acknowledgement> {
    return this.write({ ...source, value: Buffer.from(JSON.stringify(document), 'utf8') });
  }

  async #take(record: SinkRecord, attempt: number): Promise<Acknowledgement> {
    if (record.value === null) {
      this.#o.metrics.skipped.inc();
      return settled({ result: 'skipped' });
    }
    const admission = this.#o.admission;
    let document;
    try {
      if (admission?.signingKey !== undefined) {
        // Before the registry is asked: a forged record costs no lookup.
        const check = verifyRecord(admission.signingKey, record);
        if (!check.ok) throw new PipelineError('PIPE_RECORD_UNTRUSTED', check.reason);
      }
      const parsed = await parseValue(record.value, this.#o.decodeWire, { requireWireFormat: admission?.requireWireFormat ?? false, checkSchema: admission?.checkSchema });
      document = toSinkDocument(parsed.document, parsed.raw, {
        key: record.key,
        siteHeader: headerString(record.headers?.[RECORD_HEADERS.site]),
        siteNamespaces: admission?.siteNamespaces,
      });
    } catch (err) {
      const giveUp = err instanceof PipelineError && err.code === 'PIPE_SCHEMA_UNKNOWN' && attempt >= (admission?.unknownSchemaAttempts ?? 1);
      if (err instanceof PipelineError && err.retryable && !giveUp) throw err;
      const code = err instanceof PipelineError ? err.code : 'PIPE_RECORD_INVALID';
      const errorType = ERROR_CODES[code].errorType;
      const reason = giveUp ? `Gave up after ${attempt} attempts: ${(err as Error).message}` : (err as Error).message;
      await this.#o.deadLetter(record, { code, errorType, reason });
      this.#o.metrics.stage.deadLetter(code);
      this.#o.metrics.stage.error(code);
      this.#logRefused(code, reason, record);
      return settled({ result: 'rejected', code, status: 0, errorType, reason });
    }
    // Held until settled: the document line, and the original record for a dead letter.
    const bytes = document.operation.length + record.value.length + (record.key?.length ?? 0);
    const outcome = this.#indexer.index({ id: document.id, index: document.index, operation: document.operation, trace: spanContextFromHeaders(record.headers) });
    this.#budget.hold(bytes);
    return { settled: outcome.then((o) => this.#settle(record, document.createdMs, bytes, o)) };
  }

  /**
   * Dead-letters a rejected document (again after a backoff while the topic
   * refuses it), counts the outcome and frees the document's bytes. Never
   * resolves once the stage is abandoned: that outcome must not be committed.
   */
  async #settle(record: SinkRecord, createdMs: number | undefined, bytes: number, outcome: Outcome): Promise<StageOutcome> {
    const m = this.#o.metrics;
    const never = new Promise<never>(() => undefined);
    if (outcome.result === 'rejected') {
      this.#logReject(outcome);
      for (let attempt = 1; ; attempt++) {
        if (this.#indexer.abandoned) return never;
        try {
          await this.#o.deadLetter(record, { code: outcome.code, errorType: outcome.errorType, reason: outcome.reason });
          break;
        } catch (err) {
          m.stage.error('PIPE_KAFKA_DELIVERY');
          this.#o.logger.warn({ err, attempt }, 'Settling a document failed (dead letter not written); trying again.');
          await new Promise((resolve) => setTimeout(resolve, retryDelay(attempt, this.#o.retry)));
        }
      }
    }
    if (this.#indexer.abandoned) return never;
    if (outcome.result === 'indexed') {
      m.indexed.inc();
      if (createdMs !== undefined) m.delay.observe(Math.max(0, (Date.now() - createdMs) / 1000));
    } else if (outcome.result === 'duplicate') {
      m.duplicates.inc();
    } else {
      m.stage.deadLetter(outcome.code);
      m.stage.error(outcome.code);
    }
    this.#budget.free(bytes);
    return outcome;
  }

  /**
   * Refused records are logged at debug; the untrusted ones (a sign of someone
   * producing to the topic) also at warn, once per 10 s with a count, so a flood
   * of them cannot flood the log.
   */
  #logRefused(code: ErrorCode, reason: string, record: SinkRecord): void {
    const where = { code, reason: reason.slice(0, 300), topic: record.topic, partition: record.partition, offset: record.offset };
    this.#o.logger.debug(where, 'Record is not a document the sink takes; dead-lettered.');
    if (code !== 'PIPE_RECORD_UNTRUSTED' && code !== 'PIPE_SCHEMA_UNKNOWN') return;
    this.#refusedSinceLog++;
    const now = Date.now();
    if (now - this.#lastRefusedLog < LOG_EVERY_MS) return;
    this.#o.logger.warn({ ...where, records: this.#refusedSinceLog }, 'Records the sink does not take as the enricher\'s were dead-lettered.');
    this.#lastRefusedLog = now;
    this.#refusedSinceLog = 0;
  }

  /** Elasticsearch's rejections, at warn once per 10 s with a count. */
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
}
