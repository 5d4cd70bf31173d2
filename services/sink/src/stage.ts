/**
 * The sink stage without its source: records in (from Kafka, or handed over in
 * process by the all-in-one mode), each settled exactly once as indexed,
 * duplicate, dead-lettered or skipped. Decoding, dead letters and the indexer
 * meet here; offsets and consumer groups do not.
 */
import { ERROR_CODES, headerString, PipelineError, RECORD_HEADERS, verifyRecord, type ErrorCode, type IHeaders, type Logger } from '@pra-pipeline/shared';
import type { BatchLimits } from './batcher.js';
import { BulkIndexer, type BulkSend, type Outcome } from './bulk-indexer.js';
import { parseValue, toSinkDocument, type SchemaCheck, type WireDecoder } from './document.js';
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

export interface SinkStageOptions {
  send: BulkSend;
  decodeWire: WireDecoder | undefined;
  admission?: Admission | undefined;
  deadLetter: DeadLetterWriter;
  limits: BatchLimits;
  concurrency: number;
  maxBufferBytes: number;
  retry: RetrySchedule;
  metrics: SinkMetrics;
  logger: Logger;
}

interface Ticket {
  record: SinkRecord;
  done: (outcome: StageOutcome) => void;
}

export class SinkStage {
  readonly indexer: BulkIndexer<Ticket>;
  readonly #o: SinkStageOptions;
  #lastRefusedLog = 0;
  #refusedSinceLog = 0;

  constructor(options: SinkStageOptions) {
    this.#o = options;
    this.indexer = new BulkIndexer<Ticket>({
      send: options.send,
      limits: options.limits,
      concurrency: options.concurrency,
      maxBufferBytes: options.maxBufferBytes,
      retry: options.retry,
      metrics: options.metrics,
      logger: options.logger,
      settle: async (item, outcome) => {
        if (outcome.result === 'rejected') {
          await options.deadLetter(item.ref.record, { code: outcome.code, errorType: outcome.errorType, reason: outcome.reason });
        }
        item.ref.done(outcome);
      },
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
    if (now - this.#lastRefusedLog < 10_000) return;
    this.#o.logger.warn({ ...where, records: this.#refusedSinceLog }, 'Records the sink does not take as the enricher\'s were dead-lettered.');
    this.#lastRefusedLog = now;
    this.#refusedSinceLog = 0;
  }

  hasRoom(bytes = 0): boolean {
    return this.indexer.hasRoom(bytes);
  }

  /**
   * Decodes one record and queues its document. `done` is called once, when the
   * record is settled. Throws a retryable PipelineError when the registry cannot be
   * reached (the caller tries again later, and says which `attempt` this is); a
   * record that cannot be decoded, or whose schema id is still unknown after
   * `unknownSchemaAttempts`, is dead-lettered here.
   */
  async write(record: SinkRecord, done: (outcome: StageOutcome) => void, attempt = 1): Promise<void> {
    if (record.value === null) {
      this.#o.metrics.skipped.inc();
      done({ result: 'skipped' });
      return;
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
      done({ result: 'rejected', code, status: 0, errorType, reason });
      return;
    }
    this.indexer.add({
      id: document.id,
      index: document.index,
      operation: document.operation,
      createdMs: document.createdMs,
      extraBytes: record.value.length + (record.key?.length ?? 0),
      ref: { record, done },
    });
  }

  /** A document already in memory (the all-in-one mode without Kafka); settled through `done`. */
  async writeDocument(document: object, source: Omit<SinkRecord, 'value'>, done: (outcome: StageOutcome) => void): Promise<void> {
    await this.write({ ...source, value: Buffer.from(JSON.stringify(document), 'utf8') }, done);
  }
}
