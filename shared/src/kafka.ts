/**
 * kafkajs wiring: the client (TLS, SASL), producers (idempotent, transactional),
 * topic creation, and kafkajs' own logs routed into ours.
 */
import { readFileSync } from 'node:fs';
import {
  Kafka,
  logLevel as KafkaLogLevel,
  CompressionTypes,
  Partitioners,
  type Admin,
  type ITopicConfig,
  type KafkaConfig,
  type LogEntry,
  type Producer,
  type SASLOptions,
} from 'kafkajs';
import { plaintextCredentialWarnings } from './common-config.js';
import type { Logger } from './logger.js';

export { CompressionTypes };
export type { Admin, Consumer, Producer, Kafka, EachBatchPayload, IHeaders, Message, Transaction } from 'kafkajs';

export interface KafkaClientOptions {
  kafkaBrokers: readonly string[];
  kafkaClientId: string;
  kafkaTls?: boolean;
  kafkaTlsCaFile?: string | undefined;
  kafkaTlsCertFile?: string | undefined;
  kafkaTlsKeyFile?: string | undefined;
  kafkaTlsInsecure?: boolean;
  kafkaSaslMechanism?: 'none' | 'plain' | 'scram-sha-256' | 'scram-sha-512';
  kafkaSaslUsername?: string | undefined;
  kafkaSaslPassword?: string | undefined;
}

function kafkaLogCreator(logger: Logger) {
  const child = logger.child({ component: 'kafkajs' });
  return () =>
    ({ level, log }: LogEntry) => {
      const { message, ...rest } = log;
      // A deliberate choice, not a problem: retries are bounded so that a long outage surfaces as an
      // error instead of blocking, and event ids make a re-sent record harmless downstream.
      if (message.startsWith('Limiting retries for the idempotent producer')) child.debug(rest, message);
      // kafkajs logs expected reconnects and rebalances at ERROR; keep them at warn so ERROR means action needed.
      else if (level === KafkaLogLevel.ERROR || level === KafkaLogLevel.WARN) child.warn(rest, message);
      else if (level === KafkaLogLevel.INFO) child.debug(rest, message);
      else child.trace(rest, message);
    };
}

const warned = new WeakMap<Logger, Set<string>>();

/** A process builds several Kafka clients from one configuration: say each warning once per logger. */
function warnOnce(logger: Logger, message: string): void {
  const seen = warned.get(logger) ?? new Set<string>();
  warned.set(logger, seen);
  if (seen.has(message)) return;
  seen.add(message);
  logger.warn(message);
}

export function kafkaConfig(options: KafkaClientOptions, logger: Logger): KafkaConfig {
  const config: KafkaConfig = {
    clientId: options.kafkaClientId,
    brokers: [...options.kafkaBrokers],
    logLevel: KafkaLogLevel.INFO,
    logCreator: kafkaLogCreator(logger),
    retry: { retries: 8, initialRetryTime: 300, maxRetryTime: 30_000 },
  };
  if (options.kafkaTls) {
    if (options.kafkaTlsInsecure) logger.warn('KAFKA_TLS_INSECURE is set: broker certificates are not verified.');
    config.ssl = {
      rejectUnauthorized: !options.kafkaTlsInsecure,
      ...(options.kafkaTlsCaFile ? { ca: [readFileSync(options.kafkaTlsCaFile, 'utf8')] } : {}),
      ...(options.kafkaTlsCertFile ? { cert: readFileSync(options.kafkaTlsCertFile, 'utf8') } : {}),
      ...(options.kafkaTlsKeyFile ? { key: readFileSync(options.kafkaTlsKeyFile, 'utf8') } : {}),
    };
  }
  const mechanism = options.kafkaSaslMechanism ?? 'none';
  for (const warning of plaintextCredentialWarnings(options)) warnOnce(logger, warning);
  if (mechanism !== 'none') {
    config.sasl = {
      mechanism,
      username: options.kafkaSaslUsername ?? '',
      password: options.kafkaSaslPassword ?? '',
    } as SASLOptions;
  }
  return config;
}

export function createKafka(options: KafkaClientOptions, logger: Logger): Kafka {
  return new Kafka(kafkaConfig(options, logger));
}

/** Keys map to partitions as the Java client maps them (murmur2), so other producers of the same keys agree. */
const PARTITIONER = Partitioners.DefaultPartitioner;

/** A producer that never writes a record twice on retry (acks=all). */
export function createIdempotentProducer(kafka: Kafka): Producer {
  return kafka.producer({ idempotent: true, maxInFlightRequests: 5, allowAutoTopicCreation: false, createPartitioner: PARTITIONER });
}

/**
 * A transactional producer. A second producer with the same id fences the first,
 * which is how two pollers for one site are kept from both writing.
 */
export function createTransactionalProducer(kafka: Kafka, transactionalId: string, transactionTimeout = 60_000): Producer {
  return kafka.producer({
    createPartitioner: PARTITIONER,
    idempotent: true,
    maxInFlightRequests: 1,
    transactionalId,
    transactionTimeout,
    allowAutoTopicCreation: false,
  });
}

export interface TopicSpec {
  topic: string;
  numPartitions?: number;
  replicationFactor?: number;
  compacted?: boolean;
  configs?: Record<string, string>;
}

/** Creates the topics that are missing; existing topics are left as they are. */
export async function ensureTopics(admin: Admin, specs: readonly TopicSpec[]): Promise<string[]> {
  const existing = new Set(await admin.listTopics());
  const missing = specs.filter((s) => !existing.has(s.topic));
  if (missing.length === 0) return [];
  const topics: ITopicConfig[] = missing.map((s) => ({
    topic: s.topic,
    numPartitions: s.numPartitions ?? -1,
    replicationFactor: s.replicationFactor ?? -1,
    configEntries: Object.entries({
      ...(s.compacted ? { 'cleanup.policy': 'compact', 'min.compaction.lag.ms': '0' } : {}),
      ...s.configs,
    }).map(([name, value]) => ({ name, value })),
  }));
  await admin.createTopics({ topics, waitForLeaders: true });
  return missing.map((s) => s.topic);
}

/**
 * The one way a service creates its topics at start: those of `specs` that are
 * missing, logged. Returns the names it created.
 */
export async function ensurePipelineTopics(admin: Admin, specs: readonly TopicSpec[], logger: Logger): Promise<string[]> {
  const created = await ensureTopics(admin, specs);
  if (created.length > 0) logger.info({ topics: created }, 'Created topics.');
  return created;
}

/** A topic as the services create it: KAFKA_TOPIC_PARTITIONS partitions, KAFKA_REPLICATION_FACTOR replicas. */
export function topicSpec(topic: string, options: Pick<DlqTopicOptions, 'kafkaTopicPartitions' | 'kafkaReplicationFactor'>): TopicSpec {
  return { topic, numPartitions: options.kafkaTopicPartitions, replicationFactor: options.kafkaReplicationFactor };
}

export interface DlqTopicOptions {
  kafkaDlqTopic: string;
  kafkaDlqMaxMessageBytes: number;
  kafkaTopicPartitions: number;
  kafkaReplicationFactor: number;
}

/** The dead letter topic as every service creates it: sized for the largest record a stage may dead-letter. */
export function dlqTopicSpec(options: DlqTopicOptions): TopicSpec {
  return { ...topicSpec(options.kafkaDlqTopic, options), configs: { 'max.message.bytes': String(options.kafkaDlqMaxMessageBytes) } };
}

/** A topic's max.message.bytes as the broker applies it (its own setting or the broker default). */
export async function topicMaxMessageBytes(admin: Admin, topic: string): Promise<number | undefined> {
  const { resources } = await admin.describeConfigs({
    includeSynonyms: false,
    resources: [{ type: 2 /* TOPIC */, name: topic, configNames: ['max.message.bytes'] }],
  });
  const entry = resources[0]?.configEntries.find((e) => e.configName === 'max.message.bytes');
  const value = Number(entry?.configValue);
  return Number.isInteger(value) && value > 0 ? value : undefined;
}

/**
 * Creates the dead letter topic when it is missing (with `create`), then reads the
 * max.message.bytes it really has, which is what dead letters are cut to fit
 * (deadLetterMessage's `maxBytes`). A topic that takes less than configured is
 * logged; one whose settings cannot be read counts as configured.
 */
export async function ensureDlqTopic(admin: Admin, options: DlqTopicOptions & { create: boolean }, logger: Logger): Promise<number> {
  if (options.create) {
    await ensurePipelineTopics(admin, [dlqTopicSpec(options)], logger);
  }
  let actual: number | undefined;
  try {
    actual = await topicMaxMessageBytes(admin, options.kafkaDlqTopic);
  } catch (err) {
    logger.warn({ err, topic: options.kafkaDlqTopic }, 'Reading the dead letter topic\'s max.message.bytes failed; dead letters are cut to the configured size, and smaller if the topic refuses them.');
    return options.kafkaDlqMaxMessageBytes;
  }
  if (actual === undefined) return options.kafkaDlqMaxMessageBytes;
  if (actual < options.kafkaDlqMaxMessageBytes) {
    logger.warn(
      { topic: options.kafkaDlqTopic, maxMessageBytes: actual, configured: options.kafkaDlqMaxMessageBytes },
      'The dead letter topic takes smaller records than KAFKA_DLQ_MAX_MESSAGE_BYTES; larger dead letters keep only the head of their value. Raise its max.message.bytes to keep them whole.',
    );
  }
  return Math.min(actual, options.kafkaDlqMaxMessageBytes);
}

/** Consumer lag per partition: high watermark minus the group's committed offset. */
export async function consumerLag(
  admin: Admin,
  groupId: string,
  topic: string,
): Promise<{ partition: number; lag: number }[]> {
  const [ends, committed] = await Promise.all([
    admin.fetchTopicOffsets(topic),
    admin.fetchOffsets({ groupId, topics: [topic] }),
  ]);
  const byPartition = new Map<number, string>();
  for (const t of committed) for (const p of t.partitions) byPartition.set(p.partition, p.offset);
  return ends.map((end) => {
    const done = Number(byPartition.get(end.partition) ?? '-1');
    const high = Number(end.high);
    const low = Number(end.low);
    return { partition: end.partition, lag: Math.max(0, high - (done < 0 ? low : done)) };
  });
}

/** Header value as a string, whatever kafkajs handed us. */
export function headerString(value: Buffer | string | (Buffer | string)[] | undefined): string | undefined {
  if (value === undefined) return undefined;
  const first = Array.isArray(value) ? value[0] : value;
  return first === undefined ? undefined : first.toString();
}
