/** Shared pieces of the sink's integration tests: the stack's addresses, topics, producing, reading back. */
import { randomBytes } from 'node:crypto';
import { after } from 'node:test';
import { Client } from '@elastic/elasticsearch';
import { createKafka, createLogger, createRegistry, encodeValue, registerJsonSchema, type Kafka, type Message } from '@pra-pipeline/shared';

export interface StackEnv {
  KAFKA_BROKERS: string;
  SCHEMA_REGISTRY_URL: string;
  ES_NODE: string;
}

export function stackEnv(): StackEnv {
  const { KAFKA_BROKERS, SCHEMA_REGISTRY_URL, ES_NODE } = process.env;
  if (!KAFKA_BROKERS || !SCHEMA_REGISTRY_URL || !ES_NODE) {
    throw new Error('Integration tests need KAFKA_BROKERS, SCHEMA_REGISTRY_URL and ES_NODE (run them through `npm test`).');
  }
  return { KAFKA_BROKERS, SCHEMA_REGISTRY_URL, ES_NODE };
}

export const suffix = () => randomBytes(4).toString('hex');

export const quietLogger = () => createLogger({ service: 'sink-test', level: (process.env.TEST_LOG_LEVEL as 'info' | undefined) ?? 'error' });

export function testKafka(): Kafka {
  return createKafka({ kafkaBrokers: stackEnv().KAFKA_BROKERS.split(','), kafkaClientId: 'sink-test' }, quietLogger());
}

export function testEs(): Client {
  return new Client({ node: stackEnv().ES_NODE.split(',')[0] as string });
}

/** The sink's environment for one test: its own topic, group, DLQ; small batches; one replica-less shard. */
export function sinkEnv(names: { topic: string; group: string; dlq: string }, extra: Record<string, string> = {}): Record<string, string> {
  const env = stackEnv();
  return {
    ...env,
    SINK_TOPIC: names.topic,
    SINK_GROUP_ID: names.group,
    KAFKA_DLQ_TOPIC: names.dlq,
    KAFKA_TOPIC_PARTITIONS: '3',
    HTTP_PORT: '0',
    HTTP_HOST: '127.0.0.1',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'warn',
    INDEX_REPLICAS: '0',
    INDEX_REFRESH_INTERVAL: '1s',
    BULK_MAX_DOCUMENTS: '200',
    BULK_LINGER: '50ms',
    SINK_COMMIT_INTERVAL: '200ms',
    SINK_SESSION_TIMEOUT: '6s',
    ...extra,
  };
}

export async function createTopics(kafka: Kafka, topics: string[], partitions = 3): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.createTopics({ topics: topics.map((topic) => ({ topic, numPartitions: partitions, replicationFactor: 1 })), waitForLeaders: true });
  } finally {
    await admin.disconnect();
  }
}

export async function deleteTopics(kafka: Kafka, topics: string[]): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.deleteTopics({ topics });
  } catch {
    // Already gone.
  } finally {
    await admin.disconnect();
  }
}

/** A document the way the enricher writes it (the fields the sink and these tests use). */
export function makeDocument(namespace: string, n: number, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const now = new Date().toISOString();
  return {
    '@timestamp': now,
    event: { id: `${namespace}-${n}`, created: now, kind: 'event', dataset: 'beyondtrust_pra.access_session' },
    data_stream: { type: 'logs', dataset: 'beyondtrust_pra.access_session', namespace },
    source: { ip: `10.0.${Math.floor(n / 250) % 250}.${(n % 250) + 1}`, geo: { location: { lat: 48.1 + (n % 10) / 100, lon: 11.5 } } },
    message: `test document ${n}`,
    ...overrides,
  };
}

/** Registers a permissive schema for the topic's subject (`<topic>-value`); returns its id. */
export async function registerTopicSchema(topic: string): Promise<number> {
  const registry = createRegistry({ schemaRegistryUrl: stackEnv().SCHEMA_REGISTRY_URL });
  return registerJsonSchema(registry, `${topic}-value`, { $schema: 'http://json-schema.org/draft-07/schema#', type: 'object' });
}

/** Encodes documents in wire format with a permissive schema registered for the topic. */
export async function wireEncoder(topic: string): Promise<(doc: unknown) => Promise<Buffer>> {
  const registry = createRegistry({ schemaRegistryUrl: stackEnv().SCHEMA_REGISTRY_URL });
  const id = await registerTopicSchema(topic);
  return (doc) => encodeValue(registry, id, doc);
}

/** A wire-format value for schema `id`: magic byte 0, the id, the JSON text (no validation, so any id will do). */
export function wireValue(id: number, doc: unknown): Buffer {
  const header = Buffer.alloc(5);
  header.writeInt32BE(id, 1);
  return Buffer.concat([header, Buffer.from(JSON.stringify(doc))]);
}

/** The sync form of wireEncoder, for many documents: the topic's schema id is looked up once. */
export async function wireFormat(topic: string): Promise<(doc: unknown) => Buffer> {
  const id = await registerTopicSchema(topic);
  return (doc) => wireValue(id, doc);
}

export async function produce(kafka: Kafka, topic: string, messages: Message[]): Promise<void> {
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  try {
    for (let i = 0; i < messages.length; i += 500) {
      await producer.send({ topic, acks: -1, messages: messages.slice(i, i + 500) });
    }
  } finally {
    await producer.disconnect();
  }
}

export async function waitFor<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 120_000, everyMs = 250): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value !== undefined && value !== false) return value;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
  throw new Error(`Timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
}

export const dataStream = (namespace: string) => `logs-beyondtrust_pra.access_session-${namespace}`;

export async function countDocs(es: Client, namespace: string): Promise<number> {
  try {
    await es.indices.refresh({ index: dataStream(namespace) });
    return (await es.count({ index: dataStream(namespace) })).count;
  } catch (err) {
    if ((err as { meta?: { statusCode?: number } }).meta?.statusCode === 404) return 0;
    throw err;
  }
}

/** Every _id in the data stream, duplicates kept (one entry per document). */
export async function allIds(es: Client, namespace: string): Promise<string[]> {
  await es.indices.refresh({ index: dataStream(namespace) });
  const ids: string[] = [];
  let page = await es.search({ index: dataStream(namespace), scroll: '1m', size: 5000, _source: false, sort: ['_doc'] });
  while (page.hits.hits.length > 0) {
    for (const hit of page.hits.hits) ids.push(hit._id as string);
    page = await es.scroll({ scroll_id: page._scroll_id as string, scroll: '1m' });
  }
  if (page._scroll_id) await es.clearScroll({ scroll_id: page._scroll_id }).catch(() => undefined);
  return ids;
}

export async function deleteDataStream(es: Client, namespace: string): Promise<void> {
  await es.indices.deleteDataStream({ name: dataStream(namespace) }).catch(() => undefined);
}

/** Reads every record of a topic from the beginning until `count` are in. */
export async function readTopic(kafka: Kafka, topic: string, count: number, timeoutMs = 60_000) {
  const consumer = kafka.consumer({ groupId: `sink-test-reader-${suffix()}` });
  const got: { key: Buffer | null; value: Buffer | null; headers: Record<string, Buffer>; partition: number; offset: string }[] = [];
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ message, partition }) => {
      got.push({ key: message.key, value: message.value, headers: message.headers as Record<string, Buffer>, partition, offset: message.offset });
    },
  });
  try {
    await waitFor(`${count} records on ${topic}`, () => (got.length >= count ? true : undefined), timeoutMs);
  } finally {
    await consumer.disconnect();
  }
  return got;
}

/** The sink in this process, as `pra-pipeline sink` builds it. */
export async function startSink(env: Record<string, string>) {
  const { buildSinkApp } = await import('../../src/app.js');
  const { loadSinkConfig } = await import('../../src/config.js');
  const { Metrics } = await import('@pra-pipeline/shared');
  const { config } = loadSinkConfig({ env });
  const metrics = new Metrics({ defaultMetrics: false });
  const app = buildSinkApp(config, { logger: quietLogger(), metrics });
  await app.start();
  return { app, metrics, config, stop: () => app.stop(15_000) };
}

/** The value of a counter (summed over labels) from the registry. */
export async function metricValue(metrics: { registry: { getSingleMetricAsString(name: string): Promise<string> } }, name: string, labels = ''): Promise<number> {
  const text = await metrics.registry.getSingleMetricAsString(name);
  let total = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith(name) && line.includes(labels)) total += Number(line.split(' ').pop());
  }
  return total;
}

/** Clients for one test file and a cleanup list run (last first) after its tests. */
export function integrationContext() {
  const kafka = testKafka();
  const es = testEs();
  const cleanups: (() => Promise<unknown>)[] = [];
  after(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
    await es.close();
  });
  return { kafka, es, cleanups };
}
