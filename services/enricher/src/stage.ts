/**
 * The enricher's work on a chunk of raw records, independent of where they come
 * from: transform each session, encode the documents of its new events, and
 * hand documents and dead letters to the output. The caller makes them visible
 * together with its input position (a Kafka transaction, or acknowledge then
 * commit in process) only after `process` resolves.
 */
import {
  contextFromHeaders,
  contextOf,
  deadLetterMessage,
  endSpan,
  errorCodeOf,
  headerString,
  parsePublishedBefore,
  PipelineError,
  RECORD_HEADERS,
  SIGNATURE_HEADER,
  signatureHeaders,
  passTraceHeaders,
  SpanKind,
  startSpan,
  traceHeaders,
  tracingEnabled,
  verifyRecord,
  type IHeaders,
  type Logger,
} from '@pra-pipeline/shared';
import type { GeoLookup, GeoResult } from './geo-fields.js';
import { parseRawRecord, type RawRecord, type Tenancy } from './raw-record.js';
import type { EcsDocument } from './stage-b.js';
import type { EnricherMetrics } from './telemetry.js';
import type { XmlLimits } from './xml.js';

export interface SourcedRecord extends RawRecord {
  topic: string;
  partition: number;
  offset: string;
}

export interface OutMessage {
  key: string | Buffer | null;
  value: Buffer | string | null;
  headers?: IHeaders;
}

export interface EnricherOutput {
  /** Hands messages on: part of the caller's transaction over Kafka, acknowledged writes in process. */
  send(documents: OutMessage[], deadLetters: OutMessage[]): Promise<void>;
}

/** Encodes a document for the enriched topic; throws PIPE_SCHEMA_REJECTED for a document the schema rejects. */
export type DocumentEncoder = (document: EcsDocument) => Promise<Buffer> | Buffer;

export interface EnricherStageOptions {
  geo: () => GeoLookup | undefined;
  limits: Partial<XmlLimits>;
  encode: DocumentEncoder;
  metrics: EnricherMetrics;
  logger: Logger;
  /** Documents and dead letters held before they are produced. */
  maxBufferedBytes: number;
  /** ENRICHER_SITE_NAMESPACES: which sites are mapped, into which namespace. */
  tenancy?: Tenancy | undefined;
  /**
   * PIPELINE_SIGNING_KEY: raw records must carry the poller's signature, and
   * every document is signed for the sink.
   */
  signingKey?: string | undefined;
  /** The dead letter topic's max.message.bytes: larger dead letters keep the head of their value. */
  deadLetterMaxBytes?: number | undefined;
}

/** Counts hits and misses without touching the lookup itself. */
function countingLookup(geo: GeoLookup | undefined, counts: { hit: number; miss: number }): GeoLookup | undefined {
  if (!geo) return undefined;
  return {
    lookup(ip: string): GeoResult | undefined {
      const result = geo.lookup(ip);
      if (result) counts.hit++;
      else counts.miss++;
      return result;
    },
  };
}

/** Describe the raw record, not a document: the published-before count, and the poller's signature. */
const NOT_CARRIED = new Set<string>([RECORD_HEADERS.publishedBefore, SIGNATURE_HEADER]);

/**
 * The poller's `pra.*` headers travel on; its content type does not (the value
 * is no longer XML), nor what describes the raw record only.
 */
function siteHeaders(headers: IHeaders | undefined): IHeaders {
  const out: IHeaders = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (name.startsWith('pra.') && !NOT_CARRIED.has(name) && value !== undefined) out[name] = value;
  }
  return out;
}

/** The first position to map: the record's published-before header (absent: 0, every event new). */
export function firstNewPosition(headers: IHeaders | undefined): number {
  try {
    return parsePublishedBefore(headerString(headers?.[RECORD_HEADERS.publishedBefore]));
  } catch (err) {
    throw new PipelineError('PIPE_RECORD_INVALID', `The record's ${(err as Error).message}`, { cause: err });
  }
}

export class EnricherStage {
  readonly #o: EnricherStageOptions;

  constructor(options: EnricherStageOptions) {
    this.#o = options;
  }

  /**
   * Maps the events at positions from the record's published-before count on:
   * earlier raw records of the session carried the others. Documents go to
   * `output` in slices of about `maxBufferedBytes`, so a session of many events
   * never exists as documents all at once.
   */
  async process(records: readonly SourcedRecord[], output: EnricherOutput): Promise<{ documents: number; deadLetters: number; skippedEvents: number }> {
    const { metrics } = this.#o;
    let documents: OutMessage[] = [];
    let deadLetters: OutMessage[] = [];
    let buffered = 0;
    const totals = { documents: 0, deadLetters: 0, events: 0, skipped: 0, pipelineErrors: 0 };
    const counts = { hit: 0, miss: 0 };
    const geo = countingLookup(this.#o.geo(), counts);
    const { signingKey } = this.#o;

    const flush = async () => {
      if (documents.length === 0 && deadLetters.length === 0) return;
      await output.send(documents, deadLetters);
      totals.documents += documents.length;
      totals.deadLetters += deadLetters.length;
      documents = [];
      deadLetters = [];
      buffered = 0;
    };

    const deadLetter = (record: SourcedRecord, err: unknown) => {
      const errorCode = errorCodeOf(err);
      const errorType = err instanceof PipelineError ? err.errorType : 'internal';
      const message = deadLetterMessage(
        record,
        {
        stage: 'enricher',
        errorCode,
        errorType,
        reason: (err as Error).message ?? String(err),
        sourceTopic: record.topic,
        sourcePartition: record.partition,
        sourceOffset: record.offset,
        },
        { maxBytes: this.#o.deadLetterMaxBytes },
      );
      deadLetters.push(message);
      buffered += record.value?.length ?? 0;
      metrics.stage.deadLetter(errorCode);
      metrics.stage.error(errorCode);
      if (errorCode === 'PIPE_INTERNAL') this.#o.logger.error({ err, partition: record.partition, offset: record.offset }, 'Unexpected failure enriching a record; it was dead-lettered.');
    };

    for (const record of records) {
      let sessions;
      let first: number;
      const span = tracingEnabled() ? startSpan('pra.enricher.map', {
        kind: SpanKind.CONSUMER,
        parent: contextFromHeaders(record.headers),
        attributes: { 'messaging.system': 'kafka', 'messaging.operation.type': 'process', 'messaging.destination.name': record.topic, 'messaging.destination.partition.id': String(record.partition), 'messaging.kafka.offset': Number(record.offset) },
      }) : undefined;
      try {
        if (signingKey !== undefined) {
          const check = verifyRecord(signingKey, record);
          if (!check.ok) throw new PipelineError('PIPE_RECORD_UNTRUSTED', `${check.reason} Raw records must be signed by the poller when PIPELINE_SIGNING_KEY is set.`);
        }
        first = firstNewPosition(record.headers);
        sessions = parseRawRecord(record, geo, this.#o.limits, this.#o.tenancy);
      } catch (err) {
        deadLetter(record, err);
        endSpan(span, err);
        continue;
      }
      // A document the schema rejects dead-letters its raw record, for a replay once the cause is fixed;
      // the record's other documents are produced all the same (a replay repeats their ids: indexed once).
      let rejected: unknown;
      // With tracing off here, the poller's trace context travels on unchanged.
      const headers = { ...siteHeaders(record.headers), ...(span ? traceHeaders(contextOf(span)) : passTraceHeaders(record.headers)) };
      for (const session of sessions) {
        const from = Math.min(first, session.count);
        totals.events += session.count - from;
        totals.skipped += from;
        for (let position = from; position < session.count; position++) {
          try {
            const document = session.document(position);
            if ((document.event as { kind?: string } | undefined)?.kind === 'pipeline_error') totals.pipelineErrors++;
            const value = await this.#o.encode(document);
            documents.push({ key: session.key, value, headers: signingKey === undefined ? headers : { ...headers, ...signatureHeaders(signingKey, session.key, value) } });
            buffered += value.length;
          } catch (err) {
            rejected ??= err;
          }
          if (buffered >= this.#o.maxBufferedBytes) await flush();
        }
      }
      if (rejected !== undefined) deadLetter(record, rejected);
      endSpan(span, rejected);
    }
    await flush();

    metrics.sessions.inc(records.length);
    metrics.events.inc(totals.events);
    if (totals.skipped) metrics.eventsSeenBefore.inc(totals.skipped);
    metrics.documents.inc(totals.documents);
    metrics.pipelineErrors.inc(totals.pipelineErrors);
    if (counts.hit) metrics.geoLookups.inc({ result: 'hit' }, counts.hit);
    if (counts.miss) metrics.geoLookups.inc({ result: 'miss' }, counts.miss);
    return { documents: totals.documents, deadLetters: totals.deadLetters, skippedEvents: totals.skipped };
  }
}
