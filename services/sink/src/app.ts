/**
 * Builds the sink from configuration and dependencies; nothing happens on import.
 * `buildSinkStage` is the part without Kafka, for the all-in-one mode: it takes
 * records (or documents) handed over in process and a dead letter writer of the
 * caller's choosing. `buildSinkApp` adds the consumer group, the dead letter
 * producer and the index setup.
 */
import type { Client } from '@elastic/elasticsearch';
import {
  createIdempotentProducer,
  createKafka,
  createRegistry,
  decodeValue,
  ensureDlqTopic,
  ensurePipelineTopics,
  parseSiteNamespaces,
  topicSpec,
  type DependencyStatus,
  type Kafka,
  type Logger,
  type Metrics,
  type ReadinessCheck,
  type SchemaRegistry,
} from '@pra-pipeline/shared';
import type { SinkConfig } from './config.js';
import { kafkaDeadLetterWriter } from './dead-letter-writer.js';
import type { WireDecoder } from './document.js';
import { bulkSender, createEsClient } from './es-client.js';
import { installIndexSetupWithRetry, type SetupResult } from './index-setup.js';
import { KafkaSource } from './kafka-source.js';
import { SinkStage, type Admission, type DeadLetterWriter } from './stage.js';
import { SubjectSchemas } from './subject-schemas.js';
import { sinkMetrics } from './telemetry.js';

type StageConfig = Pick<
  SinkConfig,
  | 'bulkMaxDocuments'
  | 'bulkMaxBytes'
  | 'bulkLinger'
  | 'bulkConcurrency'
  | 'bulkRetryBase'
  | 'bulkRetryMax'
  | 'sinkMaxBufferBytes'
  | 'sinkItemRetryLimit'
  | 'esRequestTimeout'
  | 'sinkSiteNamespaces'
  | 'sinkUnknownSchemaAttempts'
>;

export interface SinkStageDeps {
  logger: Logger;
  metrics: Metrics;
  client: Client;
  deadLetter: DeadLetterWriter;
  /** Needed only for wire-format values; plain JSON values decode without it. */
  decodeWire?: WireDecoder | undefined;
  /**
   * What records must be beyond the site's namespace (SINK_SITE_NAMESPACES, always
   * applied): from Kafka, wire format, the expected subject and the signature.
   */
  admission?: Omit<Admission, 'siteNamespaces' | 'unknownSchemaAttempts'> | undefined;
}

const REQUEST_TIMEOUT_MARGIN_MS = 5000;

export function buildSinkStage(config: StageConfig, deps: SinkStageDeps): SinkStage {
  return new SinkStage({
    send: bulkSender(deps.client, config.esRequestTimeout),
    decodeWire: deps.decodeWire,
    admission: {
      requireWireFormat: false,
      ...deps.admission,
      siteNamespaces: config.sinkSiteNamespaces === undefined ? undefined : parseSiteNamespaces(config.sinkSiteNamespaces),
      unknownSchemaAttempts: config.sinkUnknownSchemaAttempts,
    },
    deadLetter: deps.deadLetter,
    limits: { maxDocuments: config.bulkMaxDocuments, maxBytes: config.bulkMaxBytes, lingerMs: config.bulkLinger },
    concurrency: config.bulkConcurrency,
    maxBufferBytes: config.sinkMaxBufferBytes,
    retry: { baseMs: config.bulkRetryBase, maxMs: config.bulkRetryMax, itemRetryLimit: config.sinkItemRetryLimit },
    // The client times the request out first; this only catches a request that never settles at all.
    requestTimeoutMs: config.esRequestTimeout + REQUEST_TIMEOUT_MARGIN_MS,
    metrics: sinkMetrics(deps.metrics),
    logger: deps.logger,
  });
}

export interface SinkAppDeps {
  logger: Logger;
  metrics: Metrics;
  client?: Client;
  kafka?: Kafka;
  registry?: SchemaRegistry;
}

export interface SinkApp {
  readonly stage: SinkStage;
  readonly source: KafkaSource;
  readonly client: Client;
  readonly readiness: Record<string, ReadinessCheck>;
  /** For /livez: false once the consumer is gone for good and only a restart helps. */
  live(): DependencyStatus;
  /** Installs the index template (retrying while Elasticsearch is unreachable), then starts consuming. */
  start(): Promise<void>;
  /** Stops fetching, finishes or abandons in-flight work within `graceMs`, commits, disconnects. */
  stop(graceMs: number): Promise<void>;
}

export function buildSinkApp(config: SinkConfig, deps: SinkAppDeps): SinkApp {
  const { logger } = deps;
  const client = deps.client ?? createEsClient(config, logger);
  const kafka = deps.kafka ?? createKafka(config, logger);
  const registry = deps.registry ?? createRegistry(config);
  const producer = createIdempotentProducer(kafka);
  const consumer = kafka.consumer({
    groupId: config.sinkGroupId,
    readUncommitted: false,
    sessionTimeout: config.sinkSessionTimeout,
    heartbeatInterval: Math.max(1000, Math.floor(config.sinkSessionTimeout / 10)),
    // Room for one batch at the default fetch sizes; memory is bounded by pausing, not by these.
    maxBytesPerPartition: Math.min(config.sinkMaxBufferBytes, 1024 * 1024),
    allowAutoTopicCreation: false,
  });
  // Until the topic's own limit is read at start, dead letters are cut to the configured one.
  let dlqMaxBytes = config.kafkaDlqMaxMessageBytes;
  const subject = new SubjectSchemas(registry, `${config.sinkTopic}-value`);
  const stage = buildSinkStage(config, {
    logger,
    metrics: deps.metrics,
    client,
    deadLetter: kafkaDeadLetterWriter(producer, config.kafkaDlqTopic, () => dlqMaxBytes),
    decodeWire: (value) => decodeValue(registry, value),
    admission: {
      requireWireFormat: true,
      checkSchema: (id) => subject.check(id),
      signingKey: config.pipelineSigningKey,
    },
  });
  if (config.pipelineSigningKey === undefined) {
    logger.warn('PIPELINE_SIGNING_KEY is not set: the sink indexes any well-formed record on its topic, whoever produced it. Set the same key on the enricher and the sink.');
  }
  const source = new KafkaSource({
    consumer,
    topic: config.sinkTopic,
    stage,
    partitionsConcurrency: config.sinkPartitionsConcurrency,
    commitIntervalMs: config.sinkCommitInterval,
    metrics: sinkMetrics(deps.metrics),
    logger,
  });

  let setup: SetupResult | undefined;
  let setupProblem = 'index template not installed yet';
  let stopping = false;

  async function installIndexSetup(): Promise<void> {
    try {
      setup = await installIndexSetupWithRetry(client, config, logger, {
        stopping: () => stopping,
        onFailure: (err) => {
          setupProblem = `installing the index template failed: ${(err as Error).message}`.slice(0, 300);
        },
      });
    } catch (err) {
      // Only a stop ends the retries; start() then returns without consuming.
      if (!stopping) throw err;
    }
  }

  return {
    stage,
    source,
    client,
    readiness: {
      kafka: () => source.status(),
      elasticsearch: () => (setup ? stage.status() : { ok: false, detail: setupProblem }),
    },
    live: () => source.live(),
    async start() {
      // The template must exist before the first document creates a data stream.
      await installIndexSetup();
      if (stopping) return;
      const admin = kafka.admin();
      await admin.connect();
      try {
        if (config.kafkaCreateTopics) {
          await ensurePipelineTopics(admin, [topicSpec(config.sinkTopic, config)], logger);
        }
        dlqMaxBytes = await ensureDlqTopic(admin, { ...config, create: config.kafkaCreateTopics }, logger);
      } finally {
        await admin.disconnect();
      }
      await producer.connect();
      await source.start();
      logger.info({ topic: config.sinkTopic, groupId: config.sinkGroupId }, 'Sink started.');
    },
    async stop(graceMs) {
      stopping = true;
      await source.stop(graceMs);
      await producer.disconnect();
      await client.close();
    },
  };
}
