/**
 * With Kafka but no Elasticsearch, the all-in-one mode still writes NDJSON: a
 * consumer group on the enriched topic decodes each document with the registry
 * and commits only after the batch is on disk.
 */
import { createKafka, createRegistry, decodeValue, type Logger } from '@pra-pipeline/shared';
import { loadEnricherConfig } from '@pra-pipeline/enricher';
import { NdjsonOutput } from './ndjson-output.js';

export async function kafkaNdjsonWriter(options: { env: Record<string, string | undefined>; dataDir: string; maxFileBytes: number; logger: Logger }) {
  const { config } = loadEnricherConfig({ env: options.env });
  const kafka = createKafka(config, options.logger);
  const registry = createRegistry(config);
  const output = await NdjsonOutput.open({ dir: options.dataDir, maxFileBytes: options.maxFileBytes });
  const consumer = kafka.consumer({ groupId: `${config.enricherGroupId}-ndjson`, readUncommitted: false, allowAutoTopicCreation: false });
  return {
    counts: () => ({ written: output.written, duplicates: output.duplicates }),
    async start() {
      await consumer.connect();
      await consumer.subscribe({ topic: config.enricherOutputTopic, fromBeginning: true });
      await consumer.run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        eachBatch: async ({ batch, resolveOffset, heartbeat }) => {
          const documents = await Promise.all(
            batch.messages.filter((m) => m.value !== null).map((m) => decodeValue<Record<string, unknown>>(registry, m.value!)),
          );
          await output.write(documents);
          const last = batch.lastOffset();
          resolveOffset(last);
          await consumer.commitOffsets([{ topic: batch.topic, partition: batch.partition, offset: (BigInt(last) + 1n).toString() }]);
          await heartbeat();
        },
      });
    },
    async stop() {
      await consumer.disconnect();
      await output.close();
    },
  };
}
