/**
 * Runs the enricher stage on a consumer group. Each fetched batch is cut into
 * chunks bounded by records and bytes; a chunk's documents and dead letters are
 * produced with acks=all, and only then is the chunk's last offset committed.
 * A crash between the two re-delivers the chunk; its documents carry the same
 * event.id, so the sink indexes each event once.
 */
import { CompressionTypes, type Consumer, type EachBatchPayload, type Logger, type Producer } from '@pra-pipeline/shared';
import { EnricherStage, type EnricherOutput, type OutMessage, type SourcedRecord } from './stage.js';
import type { EnricherMetrics } from './telemetry.js';

export interface KafkaRunnerOptions {
  consumer: Consumer;
  stage: EnricherStage;
  inputTopic: string;
  partitionsConcurrency: number;
  chunkRecords: number;
  chunkBytes: number;
  metrics: EnricherMetrics;
  logger: Logger;
}

/**
 * Produces documents and dead letters with acks=all. kafkajs puts a partition's
 * messages of one request into one record batch, which the broker refuses above
 * its message.max.bytes; requests are therefore cut at `maxRequestBytes`.
 */
export function kafkaOutput(producer: Producer, outputTopic: string, dlqTopic: string, maxRequestBytes: number): EnricherOutput {
  return {
    async send(documents: OutMessage[], deadLetters: OutMessage[]) {
      const all = [
        ...documents.map((message) => ({ topic: outputTopic, message })),
        ...deadLetters.map((message) => ({ topic: dlqTopic, message })),
      ];
      for (const part of chunk(all.map((item) => ({ ...item, value: asBuffer(item.message.value) })), Number.MAX_SAFE_INTEGER, maxRequestBytes)) {
        const byTopic = new Map<string, OutMessage[]>();
        for (const item of part) {
          const list = byTopic.get(item.topic) ?? [];
          list.push(item.message);
          byTopic.set(item.topic, list);
        }
        await producer.sendBatch({ topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })), acks: -1, compression: CompressionTypes.GZIP });
      }
    },
  };
}

function asBuffer(value: Buffer | string | null): Buffer | null {
  return value === null ? null : Buffer.isBuffer(value) ? value : Buffer.from(value);
}

/** Cuts messages into chunks of at most `maxRecords` and about `maxBytes`. */
export function chunk<T extends { value: Buffer | null }>(items: readonly T[], maxRecords: number, maxBytes: number): T[][] {
  const chunks: T[][] = [];
  let current: T[] = [];
  let bytes = 0;
  for (const item of items) {
    const size = item.value?.length ?? 0;
    if (current.length > 0 && (current.length >= maxRecords || bytes + size > maxBytes)) {
      chunks.push(current);
      current = [];
      bytes = 0;
    }
    current.push(item);
    bytes += size;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}

export class KafkaRunner {
  readonly #o: KafkaRunnerOptions;
  #joined = false;
  #crashed: string | undefined;

  constructor(options: KafkaRunnerOptions) {
    this.#o = options;
  }

  status(): { ok: boolean; detail: string } {
    if (this.#crashed) return { ok: false, detail: this.#crashed };
    return this.#joined ? { ok: true, detail: 'consuming' } : { ok: false, detail: 'not a member of the consumer group yet' };
  }

  async start(): Promise<void> {
    const { consumer, inputTopic } = this.#o;
    consumer.on(consumer.events.GROUP_JOIN, () => {
      this.#joined = true;
      this.#crashed = undefined;
    });
    consumer.on(consumer.events.CRASH, (e) => {
      this.#crashed = `consumer crashed: ${e.payload.error.message}`;
      this.#o.logger.error({ err: e.payload.error, restart: e.payload.restart }, 'The enricher consumer crashed.');
    });
    consumer.on(consumer.events.END_BATCH_PROCESS, (e) => {
      this.#o.metrics.consumerLag.set({ topic: e.payload.topic, partition: String(e.payload.partition) }, Number(e.payload.offsetLag));
    });
    await consumer.connect();
    await consumer.subscribe({ topic: inputTopic, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: this.#o.partitionsConcurrency,
      eachBatch: (payload) => this.#eachBatch(payload),
    });
  }

  async #eachBatch({ batch, resolveOffset, heartbeat, isRunning, isStale }: EachBatchPayload): Promise<void> {
    const { consumer, stage, metrics } = this.#o;
    for (const part of chunk(batch.messages, this.#o.chunkRecords, this.#o.chunkBytes)) {
      // Stop between chunks on shutdown or rebalance; the rest is re-delivered.
      if (!isRunning() || isStale()) return;
      const started = process.hrtime.bigint();
      const records: SourcedRecord[] = part.map((m) => ({
        key: m.key,
        value: m.value,
        headers: m.headers,
        topic: batch.topic,
        partition: batch.partition,
        offset: m.offset,
      }));
      await stage.process(records);
      const last = part[part.length - 1]!.offset;
      resolveOffset(last);
      await consumer.commitOffsets([{ topic: batch.topic, partition: batch.partition, offset: (BigInt(last) + 1n).toString() }]);
      await heartbeat();
      metrics.batchDuration.observe(Number(process.hrtime.bigint() - started) / 1e9);
    }
  }
}
