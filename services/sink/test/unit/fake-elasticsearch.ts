/**
 * A stand-in for Elasticsearch's `_bulk` endpoint: a `BulkSend` that reads the
 * `_id`s out of the body and answers each item with the status a script picks,
 * recording every call. With the sink's metrics on a registry of their own, the
 * unit tests drive batching, retries and health without a server.
 */
import { Writable } from 'node:stream';
import { createLogger, Metrics } from '@pra-pipeline/shared';
import type { BulkResponse, BulkSend } from '../../src/bulk-indexer.js';
import { createOperation } from '../../src/bulk-body.js';
import { sinkMetrics } from '../../src/telemetry.js';

export const quiet = createLogger({ service: 'sink-test', destination: new Writable({ write: (_c, _e, done) => done() }) });

/** The `create` lines of a document with this `_id`. */
export function operation(id: string, padding = ''): Buffer {
  return createOperation('logs-test-default', id, Buffer.from(JSON.stringify({ event: { id }, padding })));
}

export function idsOf(body: Buffer): string[] {
  const lines = body.toString('utf8').split('\n');
  const ids: string[] = [];
  for (let i = 0; i < lines.length - 1; i += 2) ids.push((JSON.parse(lines[i] as string) as { create: { _id: string } }).create._id);
  return ids;
}

/** An item's answer: a status, or a status with an error type. */
export type ItemAnswer = number | { status: number; type: string; reason?: string };

export interface Call {
  ids: string[];
  at: number;
}

/**
 * `answer(id, attempt)` decides each item (`attempt` counts the sends of that id,
 * from 1); it may instead throw for the whole request, or return 'hang' for a
 * request that never answers (it still fails once its signal aborts).
 */
export function fakeSend(answer: (id: string, attempt: number, call: number) => ItemAnswer | 'hang' | Error): { send: BulkSend; calls: Call[]; attempts: Map<string, number> } {
  const calls: Call[] = [];
  const attempts = new Map<string, number>();
  const send: BulkSend = async (body, signal) => {
    const ids = idsOf(body);
    calls.push({ ids, at: Date.now() });
    const answers = ids.map((id) => {
      const attempt = (attempts.get(id) ?? 0) + 1;
      attempts.set(id, attempt);
      return answer(id, attempt, calls.length);
    });
    const failure = answers.find((a): a is Error => a instanceof Error);
    if (failure) throw failure;
    if (answers.includes('hang')) {
      // Like a socket that never answers: only the abort ends it.
      return new Promise<BulkResponse>((_, reject) => signal.addEventListener('abort', () => reject(signal.reason as Error), { once: true }));
    }
    const items = (answers as ItemAnswer[]).map((a) => {
      const status = typeof a === 'number' ? a : a.status;
      const error = typeof a === 'number' ? (status >= 300 ? { type: `http_${status}`, reason: 'scripted' } : undefined) : { type: a.type, reason: a.reason ?? 'scripted' };
      return { create: { status, ...(error ? { error } : {}) } };
    });
    return { errors: items.some((i) => i.create.status >= 300), items };
  };
  return { send, calls, attempts };
}

/** An HTTP error as the Elasticsearch client throws it. */
export function httpError(status: number, type = 'status_exception'): Error {
  return Object.assign(new Error(`HTTP ${status}`), { name: 'ResponseError', meta: { statusCode: status, body: { error: { type, reason: 'scripted' } } } });
}

/** The sink's metrics on a registry of their own, and a reader of their values. */
export function testMetrics() {
  const registry = new Metrics({ defaultMetrics: false });
  const metrics = sinkMetrics(registry);
  async function value(name: string, labels: Record<string, string> = {}): Promise<number> {
    const metric = registry.registry.getSingleMetric(name);
    if (!metric) return 0;
    const { values } = await metric.get();
    const match = values.filter((v) => Object.entries(labels).every(([k, l]) => String(v.labels[k]) === l));
    return match.reduce((sum, v) => sum + v.value, 0);
  }
  return { metrics, value };
}

/** Fast backoff for tests; `random: () => 1` makes each delay its upper bound. */
export const fastRetry = { baseMs: 2, maxMs: 40, itemRetryLimit: 0, random: () => 1 };

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
