/**
 * From a record of the enriched topic to what the sink sends: the value is
 * Confluent wire format (magic byte 0, schema id, JSON) or, in the all-in-one
 * mode and in tests, plain JSON. The document must carry `event.id` (the `_id`)
 * and `data_stream.namespace` (the target data stream).
 */
import { PipelineError } from '@pra-pipeline/shared';
import { createOperation, dataStreamName, singleLine } from './bulk-body.js';

export interface SinkDocument {
  id: string;
  index: string;
  /** The `create` operation's two lines. */
  operation: Buffer;
  /** `event.created` in ms, for the end-to-end delay metric. */
  createdMs: number | undefined;
}

/** Decodes a wire-format value (the registry knows the schema id). */
export type WireDecoder = (value: Buffer) => Promise<unknown>;

function invalid(message: string, cause?: unknown): PipelineError {
  return new PipelineError('PIPE_RECORD_INVALID', message, cause === undefined ? {} : { cause });
}

/**
 * Parses a value. Plain JSON (first byte `{`) needs no registry; a registry failure
 * is retryable, a value that is not a document is not.
 */
export async function parseValue(value: Buffer, decodeWire: WireDecoder | undefined): Promise<{ document: unknown; raw: Buffer | undefined }> {
  if (value.length === 0) throw invalid('The value is empty.');
  if (value[0] === 0x7b) {
    try {
      return { document: JSON.parse(value.toString('utf8')), raw: value };
    } catch (err) {
      throw invalid(`The value is not valid JSON: ${(err as Error).message}`, err);
    }
  }
  if (value[0] !== 0 || value.length < 6) throw invalid('The value is neither wire-format (magic byte 0) nor JSON.');
  if (!decodeWire) throw invalid('The value is in wire format and no schema registry is configured.');
  let document: unknown;
  try {
    document = await decodeWire(value);
  } catch (err) {
    const e = err as Error;
    // Bad bytes or a document the schema rejects will not improve; a registry outage will.
    const permanent = e instanceof SyntaxError || /validation|invalid|unexpected token|not valid json/i.test(`${e.name} ${e.message}`);
    throw new PipelineError(permanent ? 'PIPE_RECORD_INVALID' : 'PIPE_REGISTRY', `Decoding the value failed: ${e.message}`, {
      cause: err,
      retryable: !permanent,
    });
  }
  // The payload after the 5-byte header is the JSON text; reuse it when it is one line.
  return { document, raw: value.subarray(5) };
}

function field(document: Record<string, unknown>, group: string, name: string): unknown {
  const inner = document[group];
  if (inner && typeof inner === 'object') return (inner as Record<string, unknown>)[name];
  // Documents may also use dotted keys ("event.id": ...).
  return document[`${group}.${name}`];
}

export function toSinkDocument(document: unknown, raw: Buffer | undefined): SinkDocument {
  if (!document || typeof document !== 'object' || Array.isArray(document)) throw invalid('The value is not a JSON object.');
  const doc = document as Record<string, unknown>;
  const id = field(doc, 'event', 'id');
  if (typeof id !== 'string' || id.length === 0 || Buffer.byteLength(id) > 512) {
    throw invalid('event.id is missing, not a string, or longer than 512 bytes.');
  }
  const namespace = field(doc, 'data_stream', 'namespace');
  if (typeof namespace !== 'string') throw invalid('data_stream.namespace is missing or not a string.');
  let index: string;
  try {
    index = dataStreamName(namespace);
  } catch (err) {
    throw invalid(`${(err as Error).message}.`, err);
  }
  const created = field(doc, 'event', 'created');
  const createdMs = typeof created === 'string' ? Date.parse(created) : undefined;
  return {
    id,
    index,
    operation: createOperation(index, id, singleLine(raw, document)),
    createdMs: createdMs !== undefined && Number.isFinite(createdMs) ? createdMs : undefined,
  };
}
