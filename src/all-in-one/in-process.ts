/**
 * The stages joined in process, with no Kafka: the poller's committed unit is
 * enriched and written (NDJSON) or indexed (Elasticsearch) before the poller's
 * cursor moves, the same acknowledge-then-commit order as over Kafka. Each hand
 * over is awaited, so the queue between two stages holds one unit at most and
 * memory stays bounded by the poller's batch size.
 */
import type { Logger, Metrics } from '@pra-pipeline/shared';
import { buildEnricherStage, openGeoIp, type EnricherConfig, type EnricherOutput, type OutMessage, type SourcedRecord, enricherMetrics, type GeoIpDatabases } from '@pra-pipeline/enricher';
import type { OutRecord } from '@pra-pipeline/poller';
import { buildSinkStage, createEsClient, installIndexSetupWithRetry, sinkDeadLetter, type SinkConfig } from '@pra-pipeline/sink';
import { DeadLetterFile } from './dead-letter-file.js';
import type { Deliver } from './file-publisher.js';
import { NdjsonOutput } from './ndjson-output.js';

const RAW_TOPIC = 'in-process.raw';
const ENRICHED_TOPIC = 'in-process.enriched';

export interface Destination {
  /** Resolves once every document is written or indexed (or dead-lettered). */
  write(documents: readonly OutMessage[]): Promise<void>;
  counts(): { written?: number; duplicates?: number };
  close(): Promise<void>;
  readonly description: string;
}

export async function ndjsonDestination(dir: string, maxFileBytes: number): Promise<Destination & { output: NdjsonOutput }> {
  const output = await NdjsonOutput.open({ dir, maxFileBytes });
  return {
    output,
    description: `NDJSON files in ${dir}`,
    async write(documents) {
      await output.write(documents.map((d) => JSON.parse(String(d.value)) as Record<string, unknown>));
    },
    counts: () => ({ written: output.written, duplicates: output.duplicates }),
    close: () => output.close(),
  };
}

export async function elasticsearchDestination(
  config: SinkConfig,
  deadLetters: DeadLetterFile,
  deps: { logger: Logger; metrics: Metrics; stopping: () => boolean },
): Promise<Destination> {
  const client = createEsClient(config, deps.logger);
  // A stop during the retries rejects with the last failure, as before.
  await installIndexSetupWithRetry(client, config, deps.logger, { stopping: deps.stopping });
  const stage = buildSinkStage(config, {
    logger: deps.logger,
    metrics: deps.metrics,
    client,
    deadLetter: (record, failure) => deadLetters.append([sinkDeadLetter(record, failure)]),
  });
  let offset = 0;
  return {
    description: `Elasticsearch ${config.esNode?.join(',') ?? config.esCloudId ?? ''}`.trim(),
    async write(documents) {
      const acks = await Promise.all(
        documents.map((d) => {
          const key = d.key === null ? null : Buffer.from(d.key);
          const value = d.value === null ? null : Buffer.from(d.value);
          return stage.write({ topic: ENRICHED_TOPIC, partition: 0, offset: String(offset++), key, value, headers: d.headers });
        }),
      );
      // The whole unit is queued: send it now rather than after the linger time.
      stage.flush();
      await Promise.all(acks.map((ack) => ack.settled));
    },
    counts: () => ({}),
    async close() {
      await stage.drain(config.shutdownGrace);
      await client.close();
    },
  };
}

export interface InProcessPipeline {
  deliver: Deliver;
  geo: GeoIpDatabases | undefined;
  close(): Promise<void>;
}

/** The enricher stage between the poller's publisher and the destination. */
export async function inProcessPipeline(options: {
  enricherConfig: EnricherConfig;
  destination: Destination;
  deadLetters: DeadLetterFile;
  logger: Logger;
  metrics: Metrics;
}): Promise<InProcessPipeline> {
  const { logger, destination, deadLetters } = options;
  const metrics = enricherMetrics(options.metrics);
  const geo = await openGeoIp(options.enricherConfig, metrics, logger);
  const output: EnricherOutput = {
    async send(documents, letters) {
      await deadLetters.append(letters);
      if (documents.length > 0) await destination.write(documents);
    },
  };
  const stage = buildEnricherStage({
    // Nothing crosses a topic in process, so there is no record to sign or check.
    config: { ...options.enricherConfig, pipelineSigningKey: undefined },
    geo,
    // Without a registry the documents travel as plain JSON; the sink accepts both.
    encode: (document) => Buffer.from(JSON.stringify(document)),
    metrics,
    logger,
  });
  let offset = 0;
  return {
    geo,
    async deliver(_site, records: readonly OutRecord[]) {
      await deadLetters.append(records.filter((r) => r.destination === 'dlq'));
      const raw: SourcedRecord[] = records
        .filter((r) => r.destination === 'raw')
        .map((r) => ({ key: Buffer.from(r.key), value: r.value, headers: r.headers, topic: RAW_TOPIC, partition: 0, offset: String(offset++) }));
      if (raw.length > 0) await stage.process(raw, output);
    },
    async close() {
      geo?.close();
      await destination.close();
    },
  };
}
