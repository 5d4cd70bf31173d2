/**
 * The `_bulk` request body: for each document a `create` action naming the data
 * stream and `_id = event.id`, then the document on one line (NDJSON). Each
 * document's two lines are encoded once, when it is read, and reused as they are
 * by every retry.
 */

import { namespaceProblem } from '@pra-pipeline/shared';

const NEWLINE = 0x0a;

export const DATA_STREAM_PREFIX = 'logs-beyondtrust_pra.access_session-';

/** The data stream for a namespace; throws when the namespace breaks Elasticsearch's rules (shared namespaceProblem). */
export function dataStreamName(namespace: string): string {
  const problem = namespaceProblem(namespace);
  if (problem) throw new Error(`data_stream.namespace: ${problem}`);
  return `${DATA_STREAM_PREFIX}${namespace}`;
}

/** The JSON text of a document on one line: raw bytes when they have no line break, else re-serialised. */
export function singleLine(raw: Buffer | undefined, document: unknown): Buffer {
  // A line break inside a JSON string is always escaped, so a raw one is only whitespace between tokens.
  if (raw && raw.indexOf(NEWLINE) === -1) return raw;
  return Buffer.from(JSON.stringify(document), 'utf8');
}

/** The two lines of one `create` operation, newlines included. */
export function createOperation(index: string, id: string, source: Buffer): Buffer {
  const action = Buffer.from(`${JSON.stringify({ create: { _index: index, _id: id } })}\n`, 'utf8');
  return Buffer.concat([action, source, Buffer.from('\n')], action.length + source.length + 1);
}

/** The request body for a list of encoded operations. */
export function bulkBody(operations: readonly { operation: Buffer }[]): Buffer {
  let length = 0;
  for (const op of operations) length += op.operation.length;
  return Buffer.concat(
    operations.map((op) => op.operation),
    length,
  );
}
