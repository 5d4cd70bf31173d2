/**
 * From a record of the enriched topic to what the sink sends. From Kafka the
 * value must be Confluent wire format (magic byte 0, schema id, JSON) with a
 * schema of the topic's subject; documents handed over in process (the
 * all-in-one mode) are plain JSON. The document must carry `event.id` (the
 * `_id`); its data stream comes from configuration (the record key's site) and
 * the document's `data_stream` must agree with it.
 */
import { parseRawRecordKey, PipelineError, wireSchemaId } from '@pra-pipeline/shared';
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

/** Resolves when a schema id is one the sink accepts (a version of the expected subject); throws otherwise. */
export type SchemaCheck = (id: number) => Promise<void>;

function invalid(message: string, cause?: unknown): PipelineError {
  return new PipelineError('PIPE_RECORD_INVALID', message, cause === undefined ? {} : { cause });
}

function untrusted(message: string): PipelineError {
  return new PipelineError('PIPE_RECORD_UNTRUSTED', message);
}

export interface ParseOptions {
  /** Plain JSON is refused (from Kafka: a value without the wire format skipped the registry). */
  requireWireFormat?: boolean;
  checkSchema?: SchemaCheck | undefined;
}

function registryFailure(err: unknown): PipelineError {
  if (err instanceof PipelineError) return err;
  const e = err as Error & { status?: unknown };
  // The registry does not know the id: retried a bounded number of times, then dead-lettered.
  if (e.status === 404 || /\bnot found\b|\b404\b/i.test(e.message)) {
    return new PipelineError('PIPE_SCHEMA_UNKNOWN', `Decoding the value failed: ${e.message}`, { cause: err, retryable: true });
  }
  // Bad bytes or a document the schema rejects will not improve; a registry outage will.
  const permanent = e instanceof SyntaxError || /validation|invalid|unexpected token|not valid json/i.test(`${e.name} ${e.message}`);
  return new PipelineError(permanent ? 'PIPE_RECORD_INVALID' : 'PIPE_REGISTRY', `Decoding the value failed: ${e.message}`, {
    cause: err,
    retryable: !permanent,
  });
}

/**
 * Parses a value. Plain JSON (first byte `{`) needs no registry, unless the wire
 * format is required; a registry failure is retryable (PIPE_SCHEMA_UNKNOWN only a
 * bounded number of times, the caller counts), a value that is not a document is not.
 */
export async function parseValue(
  value: Buffer,
  decodeWire: WireDecoder | undefined,
  options: ParseOptions = {},
): Promise<{ document: unknown; raw: Buffer | undefined }> {
  if (value.length === 0) throw invalid('The value is empty.');
  if (value[0] === 0x7b) {
    if (options.requireWireFormat) {
      throw untrusted('The value is plain JSON without the wire-format header (magic byte 0 and a schema id); the sink takes only values encoded with the registry\'s schema.');
    }
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
    if (options.checkSchema) await options.checkSchema(wireSchemaId(value) as number);
    document = await decodeWire(value);
  } catch (err) {
    throw registryFailure(err);
  }
  // The payload after the 5-byte header is the JSON text; reuse it when it is one line.
  return { document, raw: value.subarray(5) };
}

export const DATA_STREAM_TYPE = 'logs';
export const DATA_STREAM_DATASET = 'beyondtrust_pra.access_session';

export interface Tenancy {
  /** The record key (`<site>/<lsid>`), which the signature covers. */
  key: Buffer | string | null | undefined;
  /** The record's `pra.site` header, when it has one: it must name the key's site. */
  siteHeader?: string | undefined;
  /** site → namespace (SINK_SITE_NAMESPACES); unset, a valid namespace in the document is taken. */
  siteNamespaces?: ReadonlyMap<string, string> | undefined;
}

/** The namespace a document may be written to: from configuration for its site, or its own when none is configured. */
function targetNamespace(documentNamespace: unknown, tenancy: Tenancy): string {
  const keyText = tenancy.key === null || tenancy.key === undefined ? undefined : tenancy.key.toString();
  const site = keyText === undefined ? undefined : parseRawRecordKey(keyText)?.site;
  if (tenancy.siteHeader !== undefined && site !== undefined && tenancy.siteHeader !== site) {
    throw untrusted(`The pra.site header (${JSON.stringify(tenancy.siteHeader)}) names another site than the record key (${JSON.stringify(site)}).`);
  }
  if (tenancy.siteNamespaces) {
    if (site === undefined) throw untrusted('The record key is not <site>/<lsid>, so the record has no site to find its data stream by.');
    const expected = tenancy.siteNamespaces.get(site);
    if (expected === undefined) throw untrusted(`Site ${JSON.stringify(site)} has no namespace in SINK_SITE_NAMESPACES.`);
    if (documentNamespace !== expected) {
      throw untrusted(`data_stream.namespace ${JSON.stringify(documentNamespace)} is not ${JSON.stringify(expected)}, the namespace configured for site ${JSON.stringify(site)}.`);
    }
    return expected;
  }
  if (typeof documentNamespace !== 'string') throw invalid('data_stream.namespace is missing or not a string.');
  try {
    dataStreamName(documentNamespace);
  } catch (err) {
    throw invalid(`${(err as Error).message}.`, err);
  }
  return documentNamespace;
}

function field(document: Record<string, unknown>, group: string, name: string): unknown {
  const inner = document[group];
  if (inner && typeof inner === 'object') return (inner as Record<string, unknown>)[name];
  // Documents may also use dotted keys ("event.id": ...).
  return document[`${group}.${name}`];
}

export function toSinkDocument(document: unknown, raw: Buffer | undefined, tenancy: Tenancy = { key: undefined }): SinkDocument {
  if (!document || typeof document !== 'object' || Array.isArray(document)) throw invalid('The value is not a JSON object.');
  const doc = document as Record<string, unknown>;
  const id = field(doc, 'event', 'id');
  if (typeof id !== 'string' || id.length === 0 || Buffer.byteLength(id) > 512) {
    throw invalid('event.id is missing, not a string, or longer than 512 bytes.');
  }
  const type = field(doc, 'data_stream', 'type');
  if (type !== undefined && type !== DATA_STREAM_TYPE) throw untrusted(`data_stream.type ${JSON.stringify(type)} is not "${DATA_STREAM_TYPE}".`);
  const dataset = field(doc, 'data_stream', 'dataset');
  if (dataset !== undefined && dataset !== DATA_STREAM_DATASET) throw untrusted(`data_stream.dataset ${JSON.stringify(dataset)} is not "${DATA_STREAM_DATASET}".`);
  const index = dataStreamName(targetNamespace(field(doc, 'data_stream', 'namespace'), tenancy));
  const created = field(doc, 'event', 'created');
  const createdMs = typeof created === 'string' ? Date.parse(created) : undefined;
  return {
    id,
    index,
    operation: createOperation(index, id, singleLine(raw, document)),
    createdMs: createdMs !== undefined && Number.isFinite(createdMs) ? createdMs : undefined,
  };
}
