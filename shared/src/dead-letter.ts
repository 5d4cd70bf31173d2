/**
 * Dead letters: a record no stage can process goes to the dead letter topic with
 * its original key and value bytes, and headers that say which stage gave up,
 * why, and where the record came from. Every stage and the `dlq` command use
 * these names, so a dead letter reads the same whoever wrote it.
 */
import type { IHeaders } from 'kafkajs';
import { ERROR_CODES, type ErrorCode } from './errors.js';
import { headerString } from './kafka.js';

export const DLQ_HEADERS = {
  stage: 'pra.dlq.stage',
  errorCode: 'pra.dlq.error_code',
  errorType: 'pra.dlq.error_type',
  reason: 'pra.dlq.reason',
  sourceTopic: 'pra.dlq.source_topic',
  sourcePartition: 'pra.dlq.source_partition',
  sourceOffset: 'pra.dlq.source_offset',
  time: 'pra.dlq.time',
} as const;

/** The reason header is cut to this many bytes (UTF-8), so one huge message cannot bloat the topic. */
export const DLQ_REASON_MAX_BYTES = 1024;

export interface DeadLetterInfo {
  /** The stage that gave up: "enricher", "sink". */
  stage: string;
  errorCode: ErrorCode;
  /** The most specific type known, e.g. Elasticsearch's `mapper_parsing_exception`. */
  errorType: string;
  reason: string;
  sourceTopic: string;
  sourcePartition: number;
  sourceOffset: string;
  time?: Date;
}

export interface DeadLetter extends Omit<DeadLetterInfo, 'errorCode' | 'time'> {
  /** As written; may be a code this version does not know. */
  errorCode: string;
  time: Date | undefined;
  key: Buffer | null;
  value: Buffer | null;
  /** The record's other headers, carried over from the original record. */
  headers: Record<string, string>;
}

/** Cuts `text` to at most `maxBytes` of UTF-8 without splitting a character. */
export function truncateUtf8(text: string, maxBytes: number): string {
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length <= maxBytes) return text;
  let end = maxBytes;
  // Step back over continuation bytes (10xxxxxx) to the start of the cut character.
  while (end > 0 && ((bytes[end] as number) & 0xc0) === 0x80) end--;
  return bytes.subarray(0, end).toString('utf8');
}

export function deadLetterHeaders(info: DeadLetterInfo): Record<string, string> {
  return {
    [DLQ_HEADERS.stage]: info.stage,
    [DLQ_HEADERS.errorCode]: info.errorCode,
    [DLQ_HEADERS.errorType]: info.errorType,
    [DLQ_HEADERS.reason]: truncateUtf8(info.reason, DLQ_REASON_MAX_BYTES),
    [DLQ_HEADERS.sourceTopic]: info.sourceTopic,
    [DLQ_HEADERS.sourcePartition]: String(info.sourcePartition),
    [DLQ_HEADERS.sourceOffset]: info.sourceOffset,
    [DLQ_HEADERS.time]: (info.time ?? new Date()).toISOString(),
  };
}

export interface RecordLike {
  key?: Buffer | string | null;
  value: Buffer | string | null;
  headers?: IHeaders | undefined;
}

/** The dead letter for `record`: its key, value and headers, plus the dead letter headers (which win). */
export function deadLetterMessage(
  record: RecordLike,
  info: DeadLetterInfo,
): { key: Buffer | string | null; value: Buffer | string | null; headers: IHeaders } {
  const carried: IHeaders = {};
  for (const [name, value] of Object.entries(record.headers ?? {})) {
    if (!name.startsWith('pra.dlq.') && value !== undefined) carried[name] = value;
  }
  return { key: record.key ?? null, value: record.value, headers: { ...carried, ...deadLetterHeaders(info) } };
}

const known = new Set<string>(Object.values(DLQ_HEADERS));

/** Reads a dead letter; undefined when the record has no dead letter headers. */
export function parseDeadLetter(message: {
  key?: Buffer | null;
  value: Buffer | null;
  headers?: IHeaders | undefined;
}): DeadLetter | undefined {
  const headers = message.headers ?? {};
  const get = (name: string) => headerString(headers[name]);
  const stage = get(DLQ_HEADERS.stage);
  const errorCode = get(DLQ_HEADERS.errorCode);
  if (stage === undefined || errorCode === undefined) return undefined;
  const timeText = get(DLQ_HEADERS.time);
  const time = timeText === undefined ? undefined : new Date(timeText);
  const partition = Number(get(DLQ_HEADERS.sourcePartition));
  const others: Record<string, string> = {};
  for (const name of Object.keys(headers)) {
    if (!known.has(name)) {
      const value = get(name);
      if (value !== undefined) others[name] = value;
    }
  }
  return {
    stage,
    errorCode,
    errorType: get(DLQ_HEADERS.errorType) ?? (errorCode in ERROR_CODES ? ERROR_CODES[errorCode as ErrorCode].errorType : 'unknown'),
    reason: get(DLQ_HEADERS.reason) ?? '',
    sourceTopic: get(DLQ_HEADERS.sourceTopic) ?? '',
    sourcePartition: Number.isInteger(partition) ? partition : -1,
    sourceOffset: get(DLQ_HEADERS.sourceOffset) ?? '',
    time: time && !Number.isNaN(time.getTime()) ? time : undefined,
    key: message.key ?? null,
    value: message.value,
    headers: others,
  };
}
