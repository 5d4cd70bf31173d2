/**
 * One transactional producer per input partition, with the transactional id
 * `<prefix>-<topic>-<partition>`. Whoever processes a partition owns its id, so
 * a zombie (an enricher that lost the partition in a rebalance, or one that
 * froze and came back after a SIGKILL'd twin was replaced) is fenced as soon as
 * the new owner registers the id.
 *
 * A partition is claimed at its first batch after each group join: a new
 * producer registers the id, which makes the coordinator finish the previous
 * owner's transaction (committed, or aborted) before it answers; only then is
 * the group's committed position read. Records below that position were
 * committed by the previous owner after this consumer learnt where to start, and
 * are skipped. Reading the position any earlier could miss that commit and
 * process its records twice.
 */
import { createTransactionalProducer, type Admin, type Kafka, type Producer } from '@pra-pipeline/shared';

export interface PartitionOwner {
  producer: Producer;
  /** The next offset to process: the committed position when claimed, then advanced by each commit. */
  position: bigint;
}

export interface PartitionProducersOptions {
  kafka: Kafka;
  admin: Admin;
  groupId: string;
  transactionalIdPrefix: string;
  transactionTimeoutMs: number;
}

export function transactionalIdFor(prefix: string, topic: string, partition: number): string {
  return `${prefix}-${topic}-${partition}`;
}

export class PartitionProducers {
  readonly #o: PartitionProducersOptions;
  readonly #owners = new Map<string, PartitionOwner>();
  /** Partitions claimed since the last group join. */
  readonly #claimed = new Set<string>();

  constructor(options: PartitionProducersOptions) {
    this.#o = options;
  }

  /** After a group join every partition is claimed again: another member may have owned it meanwhile. */
  newGeneration(): void {
    this.#claimed.clear();
  }

  async claim(topic: string, partition: number): Promise<PartitionOwner> {
    const key = `${topic}/${partition}`;
    const owner = this.#owners.get(key);
    if (owner && this.#claimed.has(key)) return owner;
    await this.release(topic, partition);
    const producer = createTransactionalProducer(this.#o.kafka, transactionalIdFor(this.#o.transactionalIdPrefix, topic, partition), this.#o.transactionTimeoutMs);
    try {
      await producer.connect();
      // The first transaction() registers the id (InitProducerId), which fences and settles the previous owner.
      await (await producer.transaction()).abort();
      const position = await this.#committed(topic, partition);
      const claimed = { producer, position };
      this.#owners.set(key, claimed);
      this.#claimed.add(key);
      return claimed;
    } catch (err) {
      await producer.disconnect().catch(() => undefined);
      throw err;
    }
  }

  /** Drops the partition's producer: the next batch claims it again (after a failed or uncertain commit, or fencing). */
  async release(topic: string, partition: number): Promise<void> {
    const key = `${topic}/${partition}`;
    const owner = this.#owners.get(key);
    this.#owners.delete(key);
    this.#claimed.delete(key);
    await owner?.producer.disconnect().catch(() => undefined);
  }

  async #committed(topic: string, partition: number): Promise<bigint> {
    const offsets = await this.#o.admin.fetchOffsets({ groupId: this.#o.groupId, topics: [topic] });
    const found = offsets.find((t) => t.topic === topic)?.partitions.find((p) => p.partition === partition)?.offset;
    // -1: the group has committed nothing for the partition; every record the consumer hands over is new.
    return found === undefined || Number(found) < 0 ? -1n : BigInt(found);
  }

  async close(): Promise<void> {
    await Promise.all([...this.#owners.values()].map((o) => o.producer.disconnect().catch(() => undefined)));
    this.#owners.clear();
    this.#claimed.clear();
  }
}
