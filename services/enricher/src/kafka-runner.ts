/**
 * Runs the enricher stage on a consumer group, exactly once on the enriched
 * topic: each chunk of a fetched batch (bounded by records and bytes) is one
 * Kafka transaction holding its documents, its dead letters and the input
 * position after it (consume-transform-produce). A read_committed consumer of
 * the enriched topic therefore sees a chunk's documents once, or not at all; a
 * crash or a failed commit re-delivers the chunk, and its old transaction is
 * aborted or completed before anyone processes it again (see
 * partition-producers.ts for the transactional ids and the fencing).
 */
import {
  CompressionTypes,
  isFencedError,
  PipelineError,
  type Consumer,
  type EachBatchPayload,
  type Logger,
  type Transaction,
} from '@pra-pipeline/shared';
import type { PartitionProducers } from './partition-producers.js';
import type { EnricherOutput, EnricherStage, OutMessage, SourcedRecord } from './stage.js';
import type { EnricherMetrics } from './telemetry.js';

export interface KafkaRunnerOptions {
  consumer: Consumer;
  producers: PartitionProducers;
  stage: EnricherStage;
  groupId: string;
  inputTopic: string;
  outputTopic: string;
  dlqTopic: string;
  /** Largest produce request; see transactionOutput. */
  produceMaxBytes: number;
  partitionsConcurrency: number;
  chunkRecords: number;
  chunkBytes: number;
  metrics: EnricherMetrics;
  logger: Logger;
}

/**
 * Sends documents and dead letters inside the chunk's transaction. kafkajs puts
 * a partition's messages of one request into one record batch, which the broker
 * refuses above its message.max.bytes; requests are therefore cut at
 * `maxRequestBytes`.
 */
export function transactionOutput(tx: Transaction, outputTopic: string, dlqTopic: string, maxRequestBytes: number): EnricherOutput {
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
        await tx.sendBatch({ topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })), compression: CompressionTypes.GZIP });
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
  /** Set when the consumer crashed and kafkajs will not restart it: only a new process helps. */
  #dead: string | undefined;

  constructor(options: KafkaRunnerOptions) {
    this.#o = options;
  }

  status(): { ok: boolean; detail: string } {
    if (this.#dead) return { ok: false, detail: this.#dead };
    if (this.#crashed) return { ok: false, detail: this.#crashed };
    return this.#joined ? { ok: true, detail: 'consuming' } : { ok: false, detail: 'not a member of the consumer group yet' };
  }

  /** False once the consumer has stopped for good, so that /livez makes the orchestrator restart the process. */
  live(): boolean {
    return this.#dead === undefined;
  }

  async start(): Promise<void> {
    const { consumer, inputTopic, producers } = this.#o;
    consumer.on(consumer.events.GROUP_JOIN, () => {
      producers.newGeneration();
      this.#joined = true;
      this.#crashed = undefined;
    });
    consumer.on(consumer.events.CRASH, (e) => {
      this.#crashed = `consumer crashed: ${e.payload.error.message}`;
      if (!e.payload.restart) this.#dead = `consumer stopped after a crash and does not restart: ${e.payload.error.message}`;
      this.#o.logger.error({ err: e.payload.error, restart: e.payload.restart }, 'The enricher consumer crashed.');
    });
    consumer.on(consumer.events.END_BATCH_PROCESS, (e) => {
      this.#o.metrics.stage.lag(e.payload.topic, e.payload.partition, Number(e.payload.offsetLag));
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
    const { stage, metrics, producers } = this.#o;
    const { topic, partition } = batch;
    const owner = await producers.claim(topic, partition);
    // Records below the position were committed by an earlier owner (or by us before a failed commit's retry).
    const fresh = batch.messages.filter((m) => BigInt(m.offset) >= owner.position);
    if (fresh.length < batch.messages.length) {
      const skipped = batch.messages.length - fresh.length;
      this.#o.logger.debug({ topic, partition, skipped, position: String(owner.position) }, 'Skipped records committed before this claim.');
      if (fresh.length === 0) {
        resolveOffset(batch.messages[batch.messages.length - 1]!.offset);
        return;
      }
    }
    for (const part of chunk(fresh, this.#o.chunkRecords, this.#o.chunkBytes)) {
      // Stop between chunks on shutdown or rebalance; the rest is re-delivered.
      if (!isRunning() || isStale()) return;
      const started = process.hrtime.bigint();
      const records: SourcedRecord[] = part.map((m) => ({ key: m.key, value: m.value, headers: m.headers, topic, partition, offset: m.offset }));
      const next = BigInt(part[part.length - 1]!.offset) + 1n;
      await this.#transaction(owner.producer, topic, partition, next, (output) => stage.process(records, output));
      owner.position = next;
      resolveOffset(part[part.length - 1]!.offset);
      await heartbeat();
      metrics.batchDuration.observe(Number(process.hrtime.bigint() - started) / 1e9);
    }
  }

  async #transaction(
    producer: Awaited<ReturnType<PartitionProducers['claim']>>['producer'],
    topic: string,
    partition: number,
    next: bigint,
    work: (output: EnricherOutput) => Promise<unknown>,
  ): Promise<void> {
    const { metrics, producers } = this.#o;
    let tx: Transaction | undefined;
    try {
      tx = await producer.transaction();
      await work(transactionOutput(tx, this.#o.outputTopic, this.#o.dlqTopic, this.#o.produceMaxBytes));
      await tx.sendOffsets({ consumerGroupId: this.#o.groupId, topics: [{ topic, partitions: [{ partition, offset: next.toString() }] }] });
      await tx.commit();
      metrics.transactions.inc({ outcome: 'committed' });
    } catch (err) {
      if (tx?.isActive()) await tx.abort().catch(() => undefined);
      metrics.transactions.inc({ outcome: 'aborted' });
      // What is not ours (a kafkajs error) failed on the way to Kafka.
      metrics.stage.error(isFencedError(err) ? 'PIPE_KAFKA_FENCED' : err instanceof PipelineError ? err.code : 'PIPE_KAFKA_DELIVERY');
      // Whatever failed (a send, the offsets, a commit whose outcome is unknown, fencing), the partition is
      // claimed again before its next batch: that settles the transaction and re-reads the committed position.
      await producers.release(topic, partition);
      if (isFencedError(err)) {
        throw new PipelineError('PIPE_KAFKA_FENCED', `Another enricher took over ${topic}[${partition}]; its records are not processed here.`, {
          cause: err,
          retryable: true,
          context: { topic, partition },
        });
      }
      throw err;
    }
  }
}
