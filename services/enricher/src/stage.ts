/**
 * The enricher's work on a chunk of raw records, independent of where they come
 * from: transform each session, encode each document, and hand documents and
 * dead letters to the output in one acknowledged write. The caller commits its
 * input position only after `process` resolves.
 */
import { deadLetterMessage, errorCodeOf, PipelineError, type IHeaders, type Logger } from '@pra-pipeline/shared';
import type { GeoLookup, GeoResult } from './geo-fields.js';
import { enrichRawRecord, type RawRecord } from './raw-record.js';
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
  /** Resolves once the next stage has every message (Kafka: acks=all). */
  send(documents: OutMessage[], deadLetters: OutMessage[]): Promise<void>;
}

/** Encodes a document for the enriched topic; throws PIPE_SCHEMA_REJECTED for a document the schema rejects. */
export type DocumentEncoder = (document: EcsDocument) => Promise<Buffer> | Buffer;

export interface EnricherStageOptions {
  geo: () => GeoLookup | undefined;
  limits: Partial<XmlLimits>;
  encode: DocumentEncoder;
  output: EnricherOutput;
  metrics: EnricherMetrics;
  logger: Logger;
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

/** The poller's `pra.*` headers travel on; its content type does not (the value is no longer XML). */
function siteHeaders(headers: IHeaders | undefined): IHeaders {
  const out: IHeaders = {};
  for (const [name, value] of Object.entries(headers ?? {})) if (name.startsWith('pra.') && value !== undefined) out[name] = value;
  return out;
}

export class EnricherStage {
  readonly #o: EnricherStageOptions;

  constructor(options: EnricherStageOptions) {
    this.#o = options;
  }

  async process(records: readonly SourcedRecord[]): Promise<{ documents: number; deadLetters: number }> {
    const { metrics } = this.#o;
    const documents: OutMessage[] = [];
    const deadLetters: OutMessage[] = [];
    const counts = { hit: 0, miss: 0 };
    const geo = countingLookup(this.#o.geo(), counts);
    let events = 0;
    let pipelineErrors = 0;

    const deadLetter = (record: RawRecord, source: SourcedRecord, err: unknown) => {
      const errorCode = errorCodeOf(err);
      const errorType = err instanceof PipelineError ? err.errorType : 'internal';
      deadLetters.push(
        deadLetterMessage(record, {
          stage: 'enricher',
          errorCode,
          errorType,
          reason: (err as Error).message ?? String(err),
          sourceTopic: source.topic,
          sourcePartition: source.partition,
          sourceOffset: source.offset,
        }),
      );
      metrics.deadLetters.inc({ stage: 'enricher', error_code: errorCode });
      if (errorCode === 'PIPE_INTERNAL') this.#o.logger.error({ err, partition: source.partition, offset: source.offset }, 'Unexpected failure enriching a record; it was dead-lettered.');
    };

    for (const record of records) {
      let sessions;
      try {
        sessions = enrichRawRecord(record, geo, this.#o.limits);
      } catch (err) {
        deadLetter(record, record, err);
        continue;
      }
      // A document the schema rejects dead-letters its whole raw record (and none of its documents
      // is produced), so a replay after the fix re-enriches the session in one piece.
      const encoded: OutMessage[] = [];
      let rejected: unknown;
      for (const session of sessions) {
        events += session.documents.length;
        for (const document of session.documents) {
          if ((document.event as { kind?: string } | undefined)?.kind === 'pipeline_error') pipelineErrors++;
          try {
            encoded.push({ key: session.key, value: await this.#o.encode(document), headers: siteHeaders(record.headers) });
          } catch (err) {
            rejected ??= err;
          }
        }
      }
      if (rejected !== undefined) deadLetter(record, record, rejected);
      else documents.push(...encoded);
    }

    await this.#o.output.send(documents, deadLetters);
    metrics.sessions.inc(records.length);
    metrics.events.inc(events);
    metrics.documents.inc(documents.length);
    metrics.pipelineErrors.inc(pipelineErrors);
    if (counts.hit) metrics.geoLookups.inc({ result: 'hit' }, counts.hit);
    if (counts.miss) metrics.geoLookups.inc({ result: 'miss' }, counts.miss);
    return { documents: documents.length, deadLetters: deadLetters.length };
  }
}
