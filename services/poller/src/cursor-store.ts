/**
 * Reads back the latest value per key of a compacted topic (the cursors), read
 * committed, up to the end offsets taken at the start.
 */
import { readTopicToEnd, type Kafka, type Logger } from '@pra-pipeline/shared';

export async function readLatestByKey(kafka: Kafka, topic: string, logger: Logger, signal?: AbortSignal): Promise<Map<string, Buffer | null>> {
  const latest = new Map<string, Buffer | null>();
  await readTopicToEnd(
    kafka,
    topic,
    (message) => {
      if (message.key !== null) latest.set(message.key.toString(), message.value);
    },
    { logger, groupPrefix: 'pra-poller-cursor-reader', ...(signal ? { signal } : {}) },
  );
  return latest;
}
