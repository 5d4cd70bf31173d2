import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
/** Shared by the poller's integration tests: configuration, reading the topics back, comparing with the ground truth. */
import { createKafka, createLogger, type Kafka, type Logger } from '@pra-pipeline/shared';
import type { Simulator } from '@pra-pipeline/pra-simulator';
import { stackEnv, uniqueName } from '../../../../test/harness/env.js';
import { readLatestByKey } from '../../src/cursor-store.js';
import { attribute } from '../../src/session-splitter.js';

export const quietLogger: Logger = createLogger({ service: 'poller-test', level: (process.env.TEST_LOG_LEVEL as 'info' | undefined) ?? 'silent' });

export function testKafka(): { kafka: Kafka; brokers: string[] } {
  const brokers = stackEnv().kafkaBrokers;
  return { kafka: createKafka({ kafkaBrokers: brokers, kafkaClientId: uniqueName('poller-test') }, quietLogger), brokers };
}

export interface TestTopics {
  raw: string;
  state: string;
  dlq: string;
  prefix: string;
}

export function testTopics(): TestTopics {
  const id = uniqueName('poller');
  return { raw: `${id}.raw`, state: `${id}.state`, dlq: `${id}.dlq`, prefix: id };
}

/** The poller's variables for the given simulator sites and topics. */
export function pollerEnv(sim: Simulator, topics: TestTopics, brokers: string[], extra: Record<string, string> = {}, siteOptions: Record<string, unknown> = {}): Record<string, string> {
  const sites = sim.sites.map((s) => ({ name: s.pollerSite, url: s.url, client_id: s.clientId, client_secret: s.clientSecret, ...siteOptions }));
  return {
    KAFKA_BROKERS: brokers.join(','),
    KAFKA_TOPIC_PARTITIONS: '3',
    PRA_SITES: JSON.stringify(sites),
    POLLER_RAW_TOPIC: topics.raw,
    POLLER_STATE_TOPIC: topics.state,
    KAFKA_DLQ_TOPIC: topics.dlq,
    POLLER_TRANSACTIONAL_ID_PREFIX: topics.prefix,
    HTTP_PORT: '0',
    HTTP_HOST: '127.0.0.1',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'warn',
    PRA_INTERVAL: '1s',
    PRA_HTTP_TIMEOUT: '900ms',
    PRA_SAFETY_LAG: '2s',
    PRA_CLOSED_OVERLAP: '10s',
    PRA_MAX_WINDOW: '10m',
    PRA_INITIAL_INTERVAL: '3h',
    PRA_RATE_LIMIT: '200',
    PRA_ALLOW_INSECURE_HTTP: 'true',
    POLLER_RETRY_BASE: '20ms',
    POLLER_RETRY_MAX: '1s',
    POLLER_RETRY_ATTEMPTS: '4',
    ...extra,
  };
}

export interface EventRef {
  timestamp: number;
  event_type: string;
}

/** The events of one session record, in document order. */
export function eventsOf(xml: string): EventRef[] {
  const out: EventRef[] = [];
  for (const m of xml.matchAll(/<(?:[\w.-]+:)?event\s[^>]*>/g)) {
    out.push({ timestamp: Number(attribute(m[0], 'timestamp')), event_type: attribute(m[0], 'event_type') ?? '' });
  }
  return out;
}

/** Ground truth as key `<site>/<lsid>` -> events in position order. */
export function expectedSessions(sim: Simulator): Map<string, EventRef[]> {
  const bySession = new Map<string, { position: number; ref: EventRef }[]>();
  for (const e of sim.groundTruth()) {
    const key = `${e.site}/${e.lsid}`;
    const list = bySession.get(key) ?? [];
    list.push({ position: e.position, ref: { timestamp: e.timestamp, event_type: e.event_type } });
    bySession.set(key, list);
  }
  return new Map([...bySession].map(([k, list]) => [k, list.sort((a, b) => a.position - b.position).map((x) => x.ref)]));
}

/** The latest committed record per key of a topic. */
export async function latestRecords(kafka: Kafka, topic: string): Promise<Map<string, string>> {
  const latest = await readLatestByKey(kafka, topic, quietLogger);
  return new Map([...latest].map(([k, v]) => [k, v?.toString() ?? '']));
}

/** Differences between the raw topic and the ground truth; empty when they agree. */
export function compare(expected: Map<string, EventRef[]>, actual: Map<string, string>): string[] {
  const problems: string[] = [];
  for (const [key, events] of expected) {
    const record = actual.get(key);
    if (record === undefined) {
      problems.push(`missing ${key}`);
      continue;
    }
    const got = eventsOf(record);
    if (JSON.stringify(got) !== JSON.stringify(events)) problems.push(`${key}: ${got.length} events published, ${events.length} expected`);
  }
  for (const key of actual.keys()) if (!expected.has(key)) problems.push(`unexpected ${key}`);
  return problems;
}

/** Waits until `check` returns no problems; fails with the last problems after `deadlineMs`. */
export async function eventually(check: () => Promise<string[]>, deadlineMs: number, pauseMs = 1000): Promise<void> {
  const end = Date.now() + deadlineMs;
  let problems: string[] = [];
  while (Date.now() < end) {
    problems = await check();
    if (problems.length === 0) return;
    await new Promise((r) => setTimeout(r, pauseMs));
  }
  throw new Error(`Not settled: ${problems.length} problems, e.g.\n${problems.slice(0, 10).join('\n')}`);
}

/** Every committed record of a topic, in offset order within each partition, as [key, value]. */
export async function allRecords(kafka: Kafka, topic: string): Promise<[string, string][]> {
  const out: [string, string][] = [];
  const admin = kafka.admin();
  await admin.connect();
  const offsets = await admin.fetchTopicOffsets(topic);
  await admin.disconnect();
  const target = offsets.reduce((n, o) => n + Number(o.high), 0);
  if (target === 0) return out;
  const consumer = kafka.consumer({ groupId: uniqueName('poller-test-reader'), readUncommitted: false });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const ends = new Map(offsets.map((o) => [o.partition, Number(o.high) - 1]));
  const reached = new Map<number, number>();
  await new Promise<void>((resolve) => {
    const advance = (partition: number, offset: string) => {
      reached.set(partition, Math.max(reached.get(partition) ?? -1, Number(offset)));
      if ([...ends].every(([p, e]) => e < 0 || (reached.get(p) ?? -1) >= e)) resolve();
    };
    consumer.on(consumer.events.END_BATCH_PROCESS, (e) => advance(e.payload.partition, e.payload.lastOffset));
    void consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        for (const m of batch.messages) out.push([m.key?.toString() ?? '', m.value?.toString() ?? '']);
      },
    });
  });
  await consumer.disconnect();
  return out;
}

/** Problems where a key's consecutive committed records are identical (a session published twice unchanged). */
export function unchangedRepublishes(records: readonly [string, string][]): string[] {
  const last = new Map<string, string>();
  const problems: string[] = [];
  for (const [key, value] of records) {
    if (last.get(key) === value) problems.push(`${key} published twice unchanged`);
    last.set(key, value);
  }
  return problems;
}

/** `pra-pipeline poller` as its own process; `output` collects what it writes to stderr. */
export function startPollerProcess(env: Record<string, string>): { child: ChildProcess; exited: Promise<number | null>; output: () => string } {
  const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', 'src/bin.ts', 'poller'], {
    cwd: fileURLToPath(new URL('../../../../', import.meta.url)),
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let text = '';
  child.stdout!.on('data', (d) => (text += d));
  child.stderr!.on('data', (d) => (text += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, exited, output: () => text };
}
