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
  /** Set when the record was too large for the topic: what was cut ("value", "headers,key,value"). */
  truncated: 'pra.dlq.truncated',
  /** With `truncated`: the original value's size in bytes. */
  originalBytes: 'pra.dlq.original_bytes',
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
  /** What was cut to fit the topic (e.g. "value"), when anything was: then `value` is only the head. */
  truncated: string | undefined;
  /** With `truncated`: the original value's size in bytes. */
  originalBytes: number | undefined;
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

export interface DeadLetterMessage {
  key: Buffer | string | null;
  value: Buffer | string | null;
  headers: IHeaders;
}

export interface DeadLetterOptions {
  /**
   * The largest record the dead letter topic takes (its max.message.bytes). A dead
   * letter that would be larger keeps the head of its value (and, if need be, drops
   * the carried headers and cuts the key) and says so in `pra.dlq.truncated`.
   */
  maxBytes?: number | undefined;
}

/** The dead letter for `record`: its key, value and headers, plus the dead letter headers (which win). */
export function deadLetterMessage(record: RecordLike, info: DeadLetterInfo, options: DeadLetterOptions = {}): DeadLetterMessage {
  const carried: IHeaders = {};
  for (const [name, value] of Object.entries(record.headers ?? {})) {
    if (!name.startsWith('pra.dlq.') && value !== undefined) carried[name] = value;
  }
  const message = { key: record.key ?? null, value: record.value, headers: { ...carried, ...deadLetterHeaders(info) } };
  if (options.maxBytes === undefined || recordBytes(message) <= options.maxBytes) return message;
  return truncateDeadLetter(message, carried, deadLetterHeaders(info), options.maxBytes);
}

/**
 * Room for the record batch and record framing around one record (61 bytes of
 * batch header, varints), with a margin for a producer's own additions.
 */
export const DLQ_RECORD_OVERHEAD_BYTES = 512;

/** Per header, for its varint lengths. */
const HEADER_OVERHEAD_BYTES = 10;

function byteLength(value: Buffer | string | null | undefined): number {
  if (value === null || value === undefined) return 0;
  return typeof value === 'string' ? Buffer.byteLength(value, 'utf8') : value.length;
}

function headersBytes(headers: IHeaders): number {
  let total = 0;
  for (const [name, value] of Object.entries(headers)) {
    const values = Array.isArray(value) ? value : [value];
    for (const v of values) total += Buffer.byteLength(name, 'utf8') + byteLength(v) + HEADER_OVERHEAD_BYTES;
  }
  return total;
}

/** The size a record takes in a record batch, as the broker counts it against max.message.bytes (an upper bound). */
export function recordBytes(message: { key?: Buffer | string | null; value: Buffer | string | null; headers?: IHeaders | undefined }): number {
  return DLQ_RECORD_OVERHEAD_BYTES + byteLength(message.key) + byteLength(message.value) + headersBytes(message.headers ?? {});
}

function head(bytes: Buffer | string, max: number): Buffer {
  const buffer = typeof bytes === 'string' ? Buffer.from(bytes, 'utf8') : bytes;
  return buffer.subarray(0, Math.max(0, max));
}

function truncateDeadLetter(message: DeadLetterMessage, carried: IHeaders, own: Record<string, string>, maxBytes: number): DeadLetterMessage {
  const cut: string[] = [];
  const valueBytes = byteLength(message.value);
  const markers = { [DLQ_HEADERS.truncated]: 'headers,key,value', [DLQ_HEADERS.originalBytes]: String(valueBytes) };
  // What must stay: the framing, the reason headers and the truncation markers.
  let budget = maxBytes - DLQ_RECORD_OVERHEAD_BYTES - headersBytes(own) - headersBytes(markers);
  let headers: IHeaders = carried;
  // The carried headers (site, namespace...) are worth keeping, unless they are what made the record large.
  if (headersBytes(carried) > budget / 4) {
    headers = {};
    cut.push('headers');
  }
  budget -= headersBytes(headers);
  let key = message.key;
  if (byteLength(key) > budget / 4) {
    key = head(key as Buffer | string, Math.floor(budget / 4));
    cut.push('key');
  }
  budget -= byteLength(key);
  let value = message.value;
  if (value !== null && byteLength(value) > budget) {
    value = head(value, budget);
    cut.push('value');
  }
  return {
    key,
    value,
    headers: { ...headers, ...own, [DLQ_HEADERS.truncated]: cut.join(','), [DLQ_HEADERS.originalBytes]: String(valueBytes) },
  };
}

/** Whether a produce failed because the record is larger than the topic (or broker) accepts. */
export function isMessageTooLarge(err: unknown): boolean {
  type Chain = { type?: unknown; message?: unknown; cause?: unknown; originalError?: unknown } | undefined;
  for (let e = err as Chain, depth = 0; e && depth < 8; e = (e.originalError ?? e.cause) as Chain, depth++) {
    if (e.type === 'MESSAGE_TOO_LARGE' || /larger than the max message size/i.test(String(e.message))) return true;
  }
  return false;
}

/**
 * Sizes to try, largest first, when a dead letter turns out too large for the
 * topic: the configured size is not always what the topic or broker takes.
 */
export const DLQ_FALLBACK_MAX_BYTES = [1024 * 1024, 256 * 1024, 64 * 1024] as const;

/**
 * Sends a dead letter through `send`; when the topic refuses it as too large, sends
 * it again truncated to the next smaller size of DLQ_FALLBACK_MAX_BYTES, so a dead
 * letter is cut down, never dropped. Other errors are thrown to the caller.
 */
export async function sendDeadLetter(
  send: (message: DeadLetterMessage) => Promise<unknown>,
  record: RecordLike,
  info: DeadLetterInfo,
  options: DeadLetterOptions = {},
): Promise<DeadLetterMessage> {
  const time = info.time ?? new Date();
  const sizes = [options.maxBytes, ...DLQ_FALLBACK_MAX_BYTES.filter((s) => options.maxBytes === undefined || s < options.maxBytes)];
  for (let i = 0; ; i++) {
    const message = deadLetterMessage(record, { ...info, time }, { maxBytes: sizes[i] });
    try {
      await send(message);
      return message;
    } catch (err) {
      if (i === sizes.length - 1 || !isMessageTooLarge(err)) throw err;
    }
  }
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
  const originalBytes = Number(get(DLQ_HEADERS.originalBytes));
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
    truncated: get(DLQ_HEADERS.truncated),
    originalBytes: get(DLQ_HEADERS.originalBytes) !== undefined && Number.isInteger(originalBytes) ? originalBytes : undefined,
    key: message.key ?? null,
    value: message.value,
    headers: others,
  };
}
