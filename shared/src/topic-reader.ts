/**
 * Reads a topic from its beginning up to the end offsets taken at the start,
 * read committed, with a throwaway consumer group that never commits and is
 * deleted afterwards. For cursors (latest value per key of a compacted topic)
 * and for listing dead letters.
 */
import { randomUUID } from 'node:crypto';
import type { Kafka, KafkaMessage } from 'kafkajs';
import type { Logger } from './logger.js';

export type TopicMessage = KafkaMessage & { partition: number };

export async function readTopicToEnd(
  kafka: Kafka,
  topic: string,
  onMessage: (message: TopicMessage) => void,
  options: { logger: Logger; signal?: AbortSignal; groupPrefix?: string },
): Promise<void> {
  const { logger, signal } = options;
  const admin = kafka.admin();
  await admin.connect();
  const groupId = `${options.groupPrefix ?? 'pra-reader'}-${randomUUID()}`;
  try {
    const offsets = await admin.fetchTopicOffsets(topic);
    // Offset of the last record to read per partition (exclusive end minus one).
    const targets = new Map(offsets.filter((o) => BigInt(o.high) > BigInt(o.low)).map((o) => [o.partition, BigInt(o.high) - 1n]));
    if (targets.size === 0) return;
    const consumer = kafka.consumer({ groupId, readUncommitted: false, allowAutoTopicCreation: false });
    const reached = new Map<number, bigint>();
    let finish!: () => void;
    let fail!: (err: unknown) => void;
    const done = new Promise<void>((resolve, reject) => {
      finish = resolve;
      fail = reject;
    });
    const advance = (partition: number, offset: string) => {
      const value = BigInt(offset);
      if (value > (reached.get(partition) ?? -1n)) reached.set(partition, value);
      if ([...targets].every(([p, t]) => (reached.get(p) ?? -1n) >= t)) finish();
    };
    // Batches of only control records (transaction markers) never reach eachBatch; their end offset comes with this event.
    consumer.on(consumer.events.END_BATCH_PROCESS, (e) => advance(e.payload.partition, e.payload.lastOffset));
    consumer.on(consumer.events.CRASH, (e) => fail(e.payload.error));
    const onAbort = () => fail(signal?.reason ?? new Error('aborted'));
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      await consumer.run({
        autoCommit: false,
        eachBatch: async ({ batch }) => {
          for (const message of batch.messages) {
            if (BigInt(message.offset) <= (targets.get(batch.partition) ?? -1n)) onMessage({ ...message, partition: batch.partition });
          }
          advance(batch.partition, batch.lastOffset());
        },
      });
      await done;
    } finally {
      signal?.removeEventListener('abort', onAbort);
      await consumer.disconnect().catch((err: unknown) => logger.warn({ err, topic }, 'Disconnecting the topic reader failed.'));
      await admin.deleteGroups([groupId]).catch((err: unknown) => logger.debug({ err, groupId }, 'Deleting the topic reader group failed.'));
    }
  } finally {
    await admin.disconnect();
  }
}
