/**
 * What each item of a `_bulk` response means for the document, and what a failed
 * request means for the documents in it. The classes follow the issues users
 * report against other sinks: an item-level 429 or rejected execution is
 * back-pressure, never a reason to drop a document; a 409 on `create` is a
 * document indexed before (a replay after a restart), so it is success.
 */

export type ItemOutcome =
  | { kind: 'indexed' }
  | { kind: 'duplicate' }
  | { kind: 'retry'; status: number; errorType: string; reason: string }
  | { kind: 'reject'; status: number; errorType: string; reason: string };

export interface BulkItemError {
  type?: string;
  reason?: string | null;
  caused_by?: BulkItemError;
}

export interface BulkResponseItem {
  status?: number;
  error?: BulkItemError;
}

/** Error types that are transient whatever their status says. */
const RETRYABLE_TYPES = new Set([
  'es_rejected_execution_exception',
  'circuit_breaking_exception',
  'unavailable_shards_exception',
  'no_shard_available_action_exception',
  'node_not_connected_exception',
  'node_closed_exception',
  'process_cluster_event_timeout_exception',
  'receive_timeout_transport_exception',
  'timeout_exception',
  'primary_missing_action_exception',
]);

/** One line from an error and its causes: "type: reason; caused by type: reason". */
export function describeItemError(error: BulkItemError | undefined): string {
  const parts: string[] = [];
  let e = error;
  for (let depth = 0; e && depth < 4; depth++, e = e.caused_by) {
    parts.push(`${e.type ?? 'unknown'}: ${e.reason ?? ''}`.trim());
  }
  return parts.join('; caused by ');
}

export function classifyItem(item: BulkResponseItem | undefined): ItemOutcome {
  // An item missing from the response (a truncated answer) is sent again; _id makes that safe.
  if (!item || typeof item.status !== 'number') {
    return { kind: 'retry', status: 0, errorType: 'missing_item', reason: 'The bulk response has no result for this document.' };
  }
  const status = item.status;
  if (status >= 200 && status < 300) return { kind: 'indexed' };
  if (status === 409) return { kind: 'duplicate' };
  const errorType = item.error?.type ?? `http_${status}`;
  const reason = describeItemError(item.error) || `HTTP ${status}`;
  if (status === 429 || status >= 500 || status === 408 || RETRYABLE_TYPES.has(errorType)) {
    return { kind: 'retry', status, errorType, reason };
  }
  // A write block (disk flood stage, a read-only index) lifts once an operator acts; the document is fine.
  if (errorType === 'cluster_block_exception' && !/closed/i.test(reason)) {
    return { kind: 'retry', status, errorType, reason };
  }
  return { kind: 'reject', status, errorType, reason };
}

export type RequestFailure =
  | { kind: 'retry'; status: number | undefined; errorType: string; reason: string }
  | { kind: 'split'; status: number; errorType: string; reason: string };

/** A failure of the whole request: connection refused, timeout, a 5xx or 429 answer, an auth failure. */
export function classifyRequestError(err: unknown): RequestFailure {
  const e = err as { name?: string; message?: string; meta?: { statusCode?: number; body?: unknown } };
  const status = e.meta?.statusCode;
  const body = e.meta?.body as { error?: BulkItemError } | undefined;
  const errorType = body?.error?.type ?? e.name ?? 'request_failed';
  const reason = body?.error ? describeItemError(body.error) : (e.message ?? String(err));
  // Too large for http.max_content_length: halve the batch rather than retry it as it is.
  if (status === 413) return { kind: 'split', status, errorType, reason };
  // Everything else is retried with the documents kept: a 4xx here is a cluster or
  // credential problem (an operator fixes it), not a problem of these documents.
  return { kind: 'retry', status, errorType, reason };
}
