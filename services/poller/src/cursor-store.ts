/**
 * Reads back the latest value per key of a compacted topic (the cursors),
 * read committed, up to the end offsets taken at the start: a throwaway
 * consumer group that never commits, deleted afterwards.
 */
import { randomUUID } from 'node:crypto';
import type { Kafka, Logger } from '@pra-pipeline/shared';

export async function readLatestByKey(kafka: Kafka, topic: string, logger: Logger, signal?: AbortSignal): Promise<Map<string, Buffer | null>> {
  const admin = kafka.admin();
  await admin.connect();
  const groupId = `pra-poller-cursor-reader-${randomUUID()}`;
  const latest = new Map<string, Buffer | null>();
  try {
    const offsets = await admin.fetchTopicOffsets(topic);
    // Offset of the last record to read per partition (exclusive end minus one).
    const targets = new Map(offsets.filter((o) => BigInt(o.high) > BigInt(o.low)).map((o) => [o.partition, BigInt(o.high) - 1n]));
    if (targets.size === 0) return latest;
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
            if (message.key === null) continue;
            latest.set(message.key.toString(), message.value);
          }
          advance(batch.partition, batch.lastOffset());
        },
      });
      await done;
    } finally {
      signal?.removeEventListener('abort', onAbort);
      await consumer.disconnect().catch((err: unknown) => logger.warn({ err }, 'Disconnecting the cursor reader failed.'));
      await admin.deleteGroups([groupId]).catch((err: unknown) => logger.debug({ err, groupId }, 'Deleting the cursor reader group failed.'));
    }
    return latest;
  } finally {
    await admin.disconnect();
  }
}
