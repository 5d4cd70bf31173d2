/**
 * Builds the enricher from its configuration: GeoIP, the registered schema,
 * the producer, and the consumer group that drives the stage.
 */
import {
  createKafka,
  createRegistry,
  documentJsonSchema,
  encodeValue,
  ensureDlqTopic,
  ensurePipelineTopics,
  parseSiteNamespaces,
  topicSpec,
  type Logger,
  type Metrics,
  type Service,
} from '@pra-pipeline/shared';
import type { EnricherConfig } from './config.js';
import { GeoIpDatabases, type GeoIpStatus } from './geoip.js';
import { KafkaRunner } from './kafka-runner.js';
import { PartitionProducers } from './partition-producers.js';
import { registerDocumentSchema } from './schema-registration.js';
import { EnricherStage, type DocumentEncoder } from './stage.js';
import { enricherMetrics, type EnricherMetrics } from './telemetry.js';

/** The enricher as a service; `live()` is false once its consumer stopped for good. */
export type EnricherApp = Service & { live(): boolean };

/** Opens the GeoIP databases (if configured) and keeps the metrics current; undefined without a directory. */
export async function openGeoIp(
  config: Pick<EnricherConfig, 'geoipDir' | 'geoipReloadInterval' | 'geoipCacheSize'>,
  metrics: EnricherMetrics,
  logger: Logger,
): Promise<GeoIpDatabases | undefined> {
  const report = (status: GeoIpStatus) => {
    for (const kind of ['city', 'asn', 'country'] as const) metrics.geoDatabases.set({ kind }, status[kind] ? 1 : 0);
    if (status.ageSeconds !== undefined) metrics.geoDatabaseAge.set(status.ageSeconds);
    for (const problem of status.problems) logger.warn(problem, 'A file in the GeoIP directory is not a usable database.');
    if (!status.city && !status.asn) {
      logger.warn({ dir: status.dir }, 'No GeoIP City or ASN database found; documents carry no geo fields until one appears.');
    } else {
      logger.info({ databases: status.databases.filter((d) => d.used).map((d) => `${d.databaseType} (${d.buildEpoch})`) }, 'GeoIP databases loaded.');
    }
  };
  if (!config.geoipDir) {
    for (const kind of ['city', 'asn', 'country'] as const) metrics.geoDatabases.set({ kind }, 0);
    logger.warn('GEOIP_DIR is not set; documents carry no geo fields.');
    return undefined;
  }
  let reported = false;
  const geo = await GeoIpDatabases.open({
    dir: config.geoipDir,
    cacheSize: config.geoipCacheSize,
    pollIntervalMs: config.geoipReloadInterval,
    onReload: (status) => {
      reported = true;
      report(status);
    },
    onError: (err) => logger.warn({ err, dir: config.geoipDir }, 'Reading the GeoIP directory failed; the databases in use stay.'),
  });
  if (!reported) report(geo.status());
  return geo;
}

/** The stage, for any source and output (Kafka here; in-process queues in the all-in-one mode). */
export function buildEnricherStage(options: {
  config: Pick<EnricherConfig, 'xmlMaxBytes' | 'xmlMaxDepth' | 'enricherChunkBytes' | 'enricherSiteNamespaces' | 'pipelineSigningKey'>;
  geo: GeoIpDatabases | undefined;
  encode: DocumentEncoder;
  metrics: EnricherMetrics;
  logger: Logger;
  deadLetterMaxBytes?: number;
}): EnricherStage {
  const { config } = options;
  return new EnricherStage({
    tenancy: { siteNamespaces: config.enricherSiteNamespaces === undefined ? undefined : parseSiteNamespaces(config.enricherSiteNamespaces) },
    signingKey: config.pipelineSigningKey,
    deadLetterMaxBytes: options.deadLetterMaxBytes,
    geo: () => options.geo,
    limits: { maxBytes: options.config.xmlMaxBytes, maxDepth: options.config.xmlMaxDepth },
    encode: options.encode,
    metrics: options.metrics,
    logger: options.logger,
    maxBufferedBytes: options.config.enricherChunkBytes,
  });
}

export function buildEnricher(config: EnricherConfig, deps: { logger: Logger; metrics: Metrics }): EnricherApp {
  const { logger } = deps;
  const metrics = enricherMetrics(deps.metrics);
  const kafka = createKafka(config, logger);
  const registry = createRegistry(config);
  const admin = kafka.admin();
  const producers = new PartitionProducers({
    kafka,
    admin,
    groupId: config.enricherGroupId,
    transactionalIdPrefix: config.enricherTransactionalIdPrefix ?? config.enricherGroupId,
    transactionTimeoutMs: config.enricherTransactionTimeout,
  });
  const consumer = kafka.consumer({
    groupId: config.enricherGroupId,
    readUncommitted: false,
    sessionTimeout: 30_000,
    heartbeatInterval: 3_000,
    maxBytesPerPartition: Math.max(1_048_576, config.enricherChunkBytes),
    allowAutoTopicCreation: false,
  });
  let geo: GeoIpDatabases | undefined;
  let schemaId: number | undefined;
  let runner: KafkaRunner | undefined;

  return {
    live: () => runner?.live() ?? true,
    readiness: {
      kafka: () => runner?.status() ?? { ok: false, detail: 'starting' },
      registry: () => (schemaId === undefined ? { ok: false, detail: 'schema not registered yet' } : { ok: true, detail: `schema id ${schemaId}` }),
      geoip: () => {
        if (!geo) return { ok: true, detail: 'no GeoIP directory configured' };
        const status = geo.status();
        return { ok: true, detail: status.city || status.asn ? `city=${status.city} asn=${status.asn}` : 'no database found' };
      },
    },
    async start() {
      geo = await openGeoIp(config, metrics, logger);
      await admin.connect();
      if (config.kafkaCreateTopics) {
        await ensurePipelineTopics(admin, [config.enricherInputTopic, config.enricherOutputTopic].map((topic) => topicSpec(topic, config)), logger);
      }
      const deadLetterMaxBytes = await ensureDlqTopic(admin, { ...config, create: config.kafkaCreateTopics }, logger);
      if (!config.enricherSiteNamespaces && !config.pipelineSigningKey) {
        logger.warn('Neither ENRICHER_SITE_NAMESPACES nor PIPELINE_SIGNING_KEY is set: a record\'s site and namespace headers are taken as they are, so whoever can produce to the raw topic chooses the data stream.');
      }
      const subject = `${config.enricherOutputTopic}-value`;
      schemaId = await registerDocumentSchema(registry, config, subject, documentJsonSchema(), logger);
      logger.info({ subject, schemaId }, 'Document schema registered.');
      const id = schemaId;
      const stage = buildEnricherStage({
        config,
        deadLetterMaxBytes,
        geo,
        encode: (document) => encodeValue(registry, id, document),
        metrics,
        logger,
      });
      runner = new KafkaRunner({
        consumer,
        producers,
        stage,
        groupId: config.enricherGroupId,
        inputTopic: config.enricherInputTopic,
        outputTopic: config.enricherOutputTopic,
        dlqTopic: config.kafkaDlqTopic,
        produceMaxBytes: config.enricherProduceMaxBytes,
        partitionsConcurrency: config.enricherPartitionsConcurrency,
        chunkRecords: config.enricherChunkRecords,
        chunkBytes: config.enricherChunkBytes,
        metrics,
        logger,
      });
      await runner.start();
      logger.info({ input: config.enricherInputTopic, output: config.enricherOutputTopic, group: config.enricherGroupId }, 'Enricher started.');
    },
    async stop(graceMs) {
      // disconnect() waits for the batch in hand: its chunk's transaction commits, or aborts and is re-delivered.
      // Past the grace period the rest is left to the broker's transaction timeout and the next owner.
      await Promise.race([consumer.disconnect(), new Promise((resolve) => setTimeout(resolve, graceMs).unref())]);
      await producers.close();
      await admin.disconnect();
      geo?.close();
    },
  };
}
