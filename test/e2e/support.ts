/** What the end-to-end tests share: a settling simulator, and Elasticsearch's view of the event ids. */
import { FreezableClock, startSimulator, type FaultRule, type Profile, type Simulator } from '@pra-pipeline/pra-simulator';
import { testdataDir, type StackEnv } from '../harness/env.js';

export const DATA_STREAM_PREFIX = 'logs-beyondtrust_pra.access_session-';

/**
 * Two sites with running sessions and a short history, on a clock the test can freeze.
 * `profile` and `historySeconds` override the load (more churn for the chaos runs).
 */
export async function settlingSimulator(options: { seed: number; faults?: FaultRule[]; profile?: Partial<Profile>; historySeconds?: number }) {
  const clock = new FreezableClock();
  const simulator = await startSimulator({
    seed: options.seed,
    clock,
    historySeconds: options.historySeconds ?? 90 * 60,
    profile: { sessionsPerMinute: 0.6, eventsPerSession: 16, runningShare: 0.25, sessionMinutes: 10, ...options.profile },
    sites: [
      { name: 'east', clientId: 'east-client', clientSecret: 'east-secret-value' },
      { name: 'west', clientId: 'west-client', clientSecret: 'west-secret-value' },
    ],
    ...(options.faults ? { faults: options.faults } : {}),
  });
  return { simulator, clock };
}

/** PRA_SITES for the simulator's sites, with the given namespace. */
export function sitesJson(simulator: Simulator, namespace: string): string {
  return JSON.stringify(
    // The simulator speaks plain HTTP on 127.0.0.1, which a site must allow explicitly.
    simulator.sites.map((s) => ({ name: s.pollerSite, url: s.url, client_id: s.clientId, client_secret: s.clientSecret, namespace, allow_insecure_http: true })),
  );
}

/** The pipeline's variables for fast polling in tests. */
export const FAST_POLLING: Record<string, string> = {
  PRA_INTERVAL: '1s',
  PRA_HTTP_TIMEOUT: '900ms',
  PRA_SAFETY_LAG: '2s',
  PRA_CLOSED_OVERLAP: '10s',
  PRA_MAX_WINDOW: '15m',
  PRA_INITIAL_INTERVAL: '2h',
  PRA_RATE_LIMIT: '200',
  POLLER_RETRY_BASE: '20ms',
  POLLER_RETRY_MAX: '1s',
};

/**
 * The three services' variables for one run: topics, groups and transactional ids named after `run`,
 * the stack's addresses, test GeoIP databases and fast polling. Add PRA_SITES.
 */
export function pipelineEnv(run: string, stack: StackEnv): Record<string, string> {
  return {
    KAFKA_BROKERS: stack.kafkaBrokers.join(','),
    SCHEMA_REGISTRY_URL: stack.schemaRegistryUrl,
    ES_NODE: stack.esNode,
    KAFKA_TOPIC_PARTITIONS: '3',
    KAFKA_DLQ_TOPIC: `${run}.dlq`,
    POLLER_RAW_TOPIC: `${run}.raw`,
    POLLER_STATE_TOPIC: `${run}.state`,
    POLLER_TRANSACTIONAL_ID_PREFIX: run,
    ENRICHER_INPUT_TOPIC: `${run}.raw`,
    ENRICHER_OUTPUT_TOPIC: `${run}.ecs`,
    ENRICHER_GROUP_ID: `${run}-enricher`,
    SINK_TOPIC: `${run}.ecs`,
    SINK_GROUP_ID: `${run}-sink`,
    INDEX_REFRESH_INTERVAL: '1s',
    GEOIP_DIR: `${testdataDir()}/geoip`,
    HTTP_PORT: '0',
    // The simulator serves plain HTTP on loopback.
    PRA_ALLOW_INSECURE_HTTP: 'true',
    ...FAST_POLLING,
  };
}

/** Every `_id` in the data stream with how often it occurs (always once, unless something is wrong). */
export async function indexedIds(esNode: string, namespace: string): Promise<Map<string, number>> {
  const index = `${DATA_STREAM_PREFIX}${namespace}`;
  const refresh = await fetch(`${esNode}/${index}/_refresh`, { method: 'POST' });
  if (refresh.status === 404) return new Map();
  const counts = new Map<string, number>();
  let after: unknown[] | undefined;
  for (;;) {
    const res = await fetch(`${esNode}/${index}/_search`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ size: 5000, _source: ['event.id'], sort: [{ 'event.id': 'asc' }], ...(after ? { search_after: after } : {}) }),
    });
    if (!res.ok) throw new Error(`Search failed: HTTP ${res.status} ${await res.text()}`);
    const body = (await res.json()) as { hits: { hits: { _id: string; sort: unknown[]; _source: { event?: { id?: string } } }[] } };
    const hits = body.hits.hits;
    for (const hit of hits) {
      // The document's own id must be its _id: that is what makes a replay a no-op.
      const id = hit._source.event?.id === hit._id ? hit._id : `mismatch:${hit._id}`;
      counts.set(id, (counts.get(id) ?? 0) + 1);
    }
    if (hits.length < 5000) return counts;
    after = hits[hits.length - 1]!.sort;
  }
}

export interface Comparison {
  missing: number;
  extra: number;
  duplicated: number;
}

/** How often each id occurs. */
export function countIds(ids: Iterable<string>): Map<string, number> {
  const counts = new Map<string, number>();
  for (const id of ids) counts.set(id, (counts.get(id) ?? 0) + 1);
  return counts;
}

export function compareIds(expected: ReadonlySet<string>, actual: ReadonlyMap<string, number>): Comparison {
  let missing = 0;
  for (const id of expected) if (!actual.has(id)) missing++;
  let extra = 0;
  let duplicated = 0;
  for (const [id, count] of actual) {
    if (!expected.has(id)) extra++;
    if (count > 1) duplicated++;
  }
  return { missing, extra, duplicated };
}

/** Polls `check` until it returns true or the deadline passes; returns the last value seen. */
export async function settle<T>(read: () => Promise<T>, done: (value: T) => boolean, deadlineMs: number, pauseMs = 1000): Promise<T> {
  const until = Date.now() + deadlineMs;
  let value = await read();
  while (!done(value) && Date.now() < until) {
    await new Promise((r) => setTimeout(r, pauseMs));
    value = await read();
  }
  return value;
}
