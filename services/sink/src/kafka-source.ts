/**
 * Feeds the stage from a consumer group and commits, per partition, only the
 * contiguous prefix of records that are settled. kafkajs runs with autoCommit
 * off and eachBatchAutoResolve off: `resolveOffset` moves the fetch position as
 * records enter the buffer, `commitOffsets` moves the group's position only as
 * they leave it. When the buffer is full (or documents wait for a retry) the
 * partition is paused and resumed once there is room, so memory stays bounded
 * while the consumer keeps heartbeating. A rebalance starts a new generation of
 * offset state: late outcomes of revoked work can never be committed. The stage
 * is seen only through `Delivery`: records go in, acknowledgements come back.
 */
import { backoffDelay, sleep, type Consumer, type DependencyStatus, type EachBatchPayload, type Logger } from '@pra-pipeline/shared';
import { OffsetTracker, type PartitionOffsets } from './offset-tracker.js';
import type { Acknowledgement, Delivery, SinkRecord } from './stage.js';
import type { SinkMetrics } from './telemetry.js';

export interface KafkaSourceOptions {
  consumer: Consumer;
  topic: string;
  stage: Delivery;
  partitionsConcurrency: number;
  commitIntervalMs: number;
  metrics: SinkMetrics;
  logger: Logger;
}

const HEARTBEAT_EVERY = 200;

export class KafkaSource {
  readonly #o: KafkaSourceOptions;
  #tracker = new OffsetTracker();
  #paused = new Set<number>();
  #highWatermarks = new Map<number, number>();
  #assigned = new Set<number>();
  #commitTimer: NodeJS.Timeout | undefined;
  #committing: Promise<void> | undefined;
  #stopping = false;
  #joined = false;
  #failed: string | undefined;
  /** Why the consumer is gone for good (a crash it will not restart from, or a stop nobody asked for). */
  #dead: string | undefined;
  #deadByStop = false;
  #roomWait: Promise<void> | undefined;

  constructor(options: KafkaSourceOptions) {
    this.#o = options;
  }

  status(): DependencyStatus {
    if (this.#failed) return { ok: false, detail: this.#failed };
    if (!this.#joined) return { ok: false, detail: 'not a member of the consumer group yet' };
    return { ok: true, detail: `consuming ${this.#assigned.size} partitions` };
  }

  /**
   * Liveness: false once the consumer has crashed and kafkajs will not restart it,
   * or it stopped without being asked to; only a new process recovers from that.
   */
  live(): DependencyStatus {
    return this.#dead === undefined ? { ok: true, detail: 'consumer running' } : { ok: false, detail: this.#dead };
  }

  /** Records read and not yet settled, over all partitions. */
  get pending(): number {
    return this.#tracker.pending;
  }

  async start(): Promise<void> {
    const { consumer, topic } = this.#o;
    const { events } = consumer;
    consumer.on(events.GROUP_JOIN, (e) => this.#onJoin(e.payload.memberAssignment[topic] ?? []));
    consumer.on(events.REBALANCING, () => {
      this.#joined = false;
    });
    consumer.on(events.CRASH, (e) => {
      this.#joined = false;
      if (e.payload.restart) {
        // kafkajs stops the consumer before it restarts it: that stop was not the end.
        if (this.#deadByStop) this.#dead = undefined;
        this.#o.logger.warn({ err: e.payload.error }, 'The Kafka consumer crashed; it restarts by itself.');
        return;
      }
      this.#failed = `consumer stopped: ${e.payload.error.message}`;
      this.#dead = `the consumer crashed and does not restart: ${e.payload.error.message}`.slice(0, 300);
      this.#deadByStop = false;
      this.#o.logger.error({ err: e.payload.error }, 'The Kafka consumer crashed and does not restart; /livez fails so that the process is restarted.');
    });
    consumer.on(events.STOP, () => {
      if (this.#stopping || this.#dead !== undefined) return;
      // A crash stops the consumer first; its CRASH event then says whether it restarts.
      this.#dead = 'the consumer stopped';
      this.#deadByStop = true;
      this.#failed = this.#dead;
      this.#o.logger.debug('The Kafka consumer stopped unasked.');
    });
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    this.#commitTimer = setInterval(() => {
      this.#resumeIfRoom();
      void this.commit();
    }, this.#o.commitIntervalMs);
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: this.#o.partitionsConcurrency,
      eachBatch: (payload) => this.#eachBatch(payload),
    });
  }

  /**
   * Stops fetching, lets the stage finish within `graceMs`, commits what is settled,
   * and leaves the group. Work still open at the deadline is abandoned uncommitted:
   * it is delivered again to whoever owns the partition next.
   */
  async stop(graceMs: number): Promise<void> {
    if (this.#stopping) return;
    this.#stopping = true;
    const { consumer, topic, stage, logger } = this.#o;
    try {
      consumer.pause([{ topic }]);
    } catch {
      // Not running yet: nothing to pause.
    }
    const drained = await stage.drain(graceMs);
    if (!drained) {
      logger.warn({ documents: stage.bufferedDocuments }, 'Shutdown grace ran out; unfinished documents stay uncommitted and will be delivered again.');
      stage.abandon();
    }
    clearInterval(this.#commitTimer);
    await this.commit();
    await consumer.disconnect();
  }

  /** Commits the settled prefix of every partition that moved. */
  async commit(): Promise<void> {
    while (this.#committing) await this.#committing;
    const due = this.#tracker.committable();
    if (due.length === 0) return;
    this.#committing = this.#commit(due).finally(() => {
      this.#committing = undefined;
    });
    await this.#committing;
  }

  async #commit(due: { state: PartitionOffsets; offset: number }[]): Promise<void> {
    try {
      await this.#o.consumer.commitOffsets(due.map(({ state, offset }) => ({ topic: state.topic, partition: state.partition, offset: String(offset) })));
      for (const { state, offset } of due) {
        state.markCommitted(offset);
        this.#updateLag(state.partition, offset);
      }
    } catch (err) {
      // A rebalance in progress: the next generation starts from the last good commit.
      this.#o.logger.warn({ err }, 'Committing offsets failed; the records will be delivered again if this persists.');
    }
  }

  #onJoin(partitions: number[]): void {
    const revoked = this.#tracker.revokeAll();
    const now = new Set(partitions);
    for (const state of revoked) {
      if (!now.has(state.partition)) this.#o.metrics.stage.forgetLag(this.#o.topic, state.partition);
    }
    for (const p of this.#assigned) {
      if (!now.has(p)) this.#highWatermarks.delete(p);
    }
    this.#assigned = now;
    this.#joined = true;
    this.#failed = undefined;
    if (this.#deadByStop) this.#dead = undefined;
    this.#o.logger.info({ topic: this.#o.topic, partitions }, 'Joined the consumer group.');
  }

  async #eachBatch(payload: EachBatchPayload): Promise<void> {
    const { batch, resolveOffset, heartbeat, isRunning, isStale } = payload;
    const { stage } = this.#o;
    const state = this.#tracker.partition(batch.topic, batch.partition);
    this.#highWatermarks.set(batch.partition, Number(batch.highWatermark));
    this.#updateLag(batch.partition, state.committed ?? Number(batch.firstOffset()));
    let count = 0;
    for (const message of batch.messages) {
      if (this.#stopping || !isRunning() || isStale() || state.revoked) break;
      // The check and the hand-over below run without a pause in between, so the room seen is still there.
      if (!stage.hasRoom(message)) {
        this.#pause(batch.partition);
        break;
      }
      const offset = Number(message.offset);
      const last = state.lastTracked;
      if (last !== undefined && offset <= last) {
        // Delivered again within this generation: the first copy is tracked and will settle.
        resolveOffset(message.offset);
        continue;
      }
      state.track(offset);
      const record = {
        topic: batch.topic,
        partition: batch.partition,
        offset: message.offset,
        key: message.key,
        value: message.value,
        headers: message.headers,
      };
      const ack = await this.#writeWithRetry(record, payload);
      if (!ack) break;
      // The commit timer commits what is complete; a revoked partition's late outcomes land on its old state.
      void ack.settled.then(() => state.complete(offset));
      resolveOffset(message.offset);
      if (++count % HEARTBEAT_EVERY === 0) await heartbeat();
    }
  }

  /** Undefined when the consumer stops first; the record then stays pending and uncommitted. */
  async #writeWithRetry(record: SinkRecord, payload: EachBatchPayload): Promise<Acknowledgement | undefined> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.#o.stage.write(record, attempt);
      } catch (err) {
        if (this.#stopping || !payload.isRunning() || payload.isStale()) return undefined;
        this.#o.logger.warn({ err, attempt, partition: record.partition, offset: record.offset }, 'Decoding a record needs the schema registry, which failed; trying again.');
        await sleep(backoffDelay(attempt, { baseMs: 500, maxMs: 10_000 }));
        // A long wait must not cost the group membership.
        await payload.heartbeat();
      }
    }
  }

  #pause(partition: number): void {
    this.#o.consumer.pause([{ topic: this.#o.topic, partitions: [partition] }]);
    this.#paused.add(partition);
    // Room may have opened between the check and the pause.
    this.#resumeIfRoom();
  }

  #resumeIfRoom(): void {
    if (this.#paused.size === 0 || this.#stopping) return;
    if (!this.#o.stage.hasRoom()) {
      this.#waitForRoom();
      return;
    }
    const partitions = [...this.#paused];
    this.#paused.clear();
    this.#o.consumer.resume([{ topic: this.#o.topic, partitions }]);
  }

  /** One wait at a time: whoever is paused resumes together once there is room. */
  #waitForRoom(): void {
    if (this.#roomWait) return;
    this.#roomWait = this.#o.stage.whenRoom().then(() => {
      this.#roomWait = undefined;
      this.#resumeIfRoom();
    });
  }

  #updateLag(partition: number, committed: number): void {
    const high = this.#highWatermarks.get(partition);
    if (high === undefined) return;
    this.#o.metrics.stage.lag(this.#o.topic, partition, Math.max(0, high - committed));
  }
}
