/**
 * The Kafka publisher: one transactional producer per site (transactional id
 * `<prefix>-<site>`), so a second poller for a site fences the first, and a
 * unit of work is one transaction holding the session records and the new
 * cursor. The cursor can therefore never point past records that were not
 * committed; consumers read committed.
 */
import {
  CompressionTypes,
  createTransactionalProducer,
  dlqTopicSpec,
  ensurePipelineTopics,
  isFencedError,
  PipelineError,
  signatureHeaders,
  type Kafka,
  type Logger,
  type Producer,
} from '@pra-pipeline/shared';
import { parseCursor, serializeCursor, type Cursor } from './cursor.js';
import { readLatestByKey } from './cursor-store.js';
import type { OutRecord, Publisher, PublishUnit } from './publisher.js';

export interface KafkaPublisherOptions {
  kafka: Kafka;
  logger: Logger;
  rawTopic: string;
  stateTopic: string;
  dlqTopic: string;
  transactionalIdPrefix: string;
  transactionTimeoutMs: number;
  compression: 'gzip' | 'none';
  createTopics: boolean;
  partitions: number;
  replicationFactor: number;
  rawTopicMaxMessageBytes: number;
  dlqMaxMessageBytes: number;
  /** PIPELINE_SIGNING_KEY: each raw record is signed, so the enricher can tell the poller's records from others. */
  signingKey?: string | undefined;
  onTransaction?: (site: string, outcome: 'committed' | 'aborted' | 'unknown') => void;
}

interface SiteProducer {
  producer: Producer;
  fenced: boolean;
  detail: string;
}

export class KafkaPublisher implements Publisher {
  readonly #o: KafkaPublisherOptions;
  readonly #producers = new Map<string, SiteProducer>();
  readonly #compression: CompressionTypes;

  constructor(options: KafkaPublisherOptions) {
    this.#o = options;
    this.#compression = options.compression === 'gzip' ? CompressionTypes.GZIP : CompressionTypes.None;
  }

  transactionalId(site: string): string {
    return `${this.#o.transactionalIdPrefix}-${site}`;
  }

  async ensureTopics(): Promise<void> {
    const admin = this.#o.kafka.admin();
    await admin.connect();
    try {
      const common = { numPartitions: this.#o.partitions, replicationFactor: this.#o.replicationFactor };
      await ensurePipelineTopics(admin, [
        { topic: this.#o.rawTopic, ...common, configs: { 'max.message.bytes': String(this.#o.rawTopicMaxMessageBytes) } },
        // One partition: the cursors are few and small.
        { topic: this.#o.stateTopic, numPartitions: 1, replicationFactor: this.#o.replicationFactor, compacted: true },
        dlqTopicSpec({
          kafkaDlqTopic: this.#o.dlqTopic,
          kafkaDlqMaxMessageBytes: this.#o.dlqMaxMessageBytes,
          kafkaTopicPartitions: this.#o.partitions,
          kafkaReplicationFactor: this.#o.replicationFactor,
        }),
      ], this.#o.logger);
    } finally {
      await admin.disconnect();
    }
  }

  async start(sites: readonly string[]): Promise<Map<string, Cursor | undefined>> {
    if (this.#o.createTopics) await this.ensureTopics();
    for (const site of sites) {
      const producer = createTransactionalProducer(this.#o.kafka, this.transactionalId(site), this.#o.transactionTimeoutMs);
      await producer.connect();
      // Registering the transactional id fences an older poller of the site and aborts its open transaction,
      // so what is read next is everything it committed.
      const tx = await producer.transaction();
      await tx.abort();
      this.#producers.set(site, { producer, fenced: false, detail: 'ok' });
    }
    const stored = await this.#readCursors();
    const cursors = new Map<string, Cursor | undefined>();
    for (const site of sites) {
      const bytes = stored.get(site);
      if (!bytes) {
        cursors.set(site, undefined);
        continue;
      }
      try {
        cursors.set(site, parseCursor(bytes, site));
      } catch (err) {
        // Starting over re-publishes, which downstream de-duplicates; refusing to start would lose the site's events.
        this.#o.logger.error({ err, site }, 'The stored cursor is unreadable; starting the site from its initial interval.');
        cursors.set(site, undefined);
      }
    }
    return cursors;
  }

  #site(site: string): SiteProducer {
    const entry = this.#producers.get(site);
    if (!entry) throw new PipelineError('PIPE_INTERNAL', `No producer for site ${site}.`);
    if (entry.fenced) throw new PipelineError('PIPE_KAFKA_FENCED', `Another poller took over site ${site}.`, { context: { site } });
    return entry;
  }

  #wrap(site: string, entry: SiteProducer, err: unknown, what: string): PipelineError {
    if (isFencedError(err)) {
      entry.fenced = true;
      entry.detail = 'fenced by another poller of this site';
      return new PipelineError('PIPE_KAFKA_FENCED', `Another poller took over site ${site} (${what}).`, { cause: err, context: { site } });
    }
    return new PipelineError('PIPE_KAFKA_DELIVERY', `Kafka ${what} failed for site ${site}: ${(err as Error).message}`, { cause: err, context: { site } });
  }

  /**
   * A new producer with the same transactional id. Registering it makes the
   * coordinator finish the old producer's transaction (commit it when EndTxn
   * got through, abort it otherwise) before it answers, as at start.
   */
  async #replace(site: string, entry: SiteProducer): Promise<void> {
    const old = entry.producer;
    entry.producer = createTransactionalProducer(this.#o.kafka, this.transactionalId(site), this.#o.transactionTimeoutMs);
    await old.disconnect().catch(() => undefined);
    try {
      await entry.producer.connect();
      await (await entry.producer.transaction()).abort();
    } catch (err) {
      throw this.#wrap(site, entry, err, 'begin');
    }
  }

  async #readCursors(): Promise<Map<string, Buffer | null>> {
    return readLatestByKey(this.#o.kafka, this.#o.stateTopic, this.#o.logger);
  }

  async recover(site: string): Promise<Cursor | undefined> {
    const entry = this.#site(site);
    await this.#replace(site, entry);
    const bytes = (await this.#readCursors()).get(site);
    return bytes ? parseCursor(bytes, site) : undefined;
  }

  async begin(site: string): Promise<PublishUnit> {
    const entry = this.#site(site);
    let tx: Awaited<ReturnType<Producer['transaction']>>;
    try {
      tx = await entry.producer.transaction();
    } catch (first) {
      if (isFencedError(first)) throw this.#wrap(site, entry, first, 'begin');
      // A commit or abort that failed half-way (the broker went away during EndTxn) leaves the kafkajs
      // producer in COMMITTING or ABORTING for good, and every later transaction() throws.
      this.#o.logger.warn({ err: first, site }, 'The Kafka producer of the site is stuck in a transaction; replacing it.');
      await this.#replace(site, entry);
      try {
        tx = await entry.producer.transaction();
      } catch (err) {
        throw this.#wrap(site, entry, err, 'begin');
      }
    }
    const topicOf = (r: OutRecord) => (r.destination === 'raw' ? this.#o.rawTopic : this.#o.dlqTopic);
    const finish = (outcome: 'committed' | 'aborted' | 'unknown') => this.#o.onTransaction?.(site, outcome);
    return {
      send: async (records) => {
        if (records.length === 0) return;
        const byTopic = new Map<string, OutRecord[]>();
        for (const r of records) byTopic.set(topicOf(r), [...(byTopic.get(topicOf(r)) ?? []), r]);
        try {
          await tx.sendBatch({
            compression: this.#compression,
            topicMessages: [...byTopic].map(([topic, rs]) => ({
              topic,
              messages: rs.map((r) => ({ key: r.key, value: r.value, headers: this.#signed(r) })),
            })),
          });
        } catch (err) {
          throw this.#wrap(site, entry, err, 'send');
        }
      },
      commit: async (cursor) => {
        try {
          await tx.send({ topic: this.#o.stateTopic, messages: [{ key: site, value: serializeCursor(cursor) }] });
          await tx.commit();
          finish('committed');
        } catch (err) {
          const wrapped = this.#wrap(site, entry, err, 'commit');
          if (tx.isActive()) await tx.abort().catch(() => undefined);
          finish('unknown');
          throw wrapped;
        }
      },
      abort: async () => {
        if (!tx.isActive()) return;
        try {
          await tx.abort();
        } catch (err) {
          throw this.#wrap(site, entry, err, 'abort');
        } finally {
          finish('aborted');
        }
      },
    };
  }

  #signed(r: OutRecord): Record<string, string> {
    const key = this.#o.signingKey;
    return key === undefined || r.destination !== 'raw' ? r.headers : { ...r.headers, ...signatureHeaders(key, r.key, r.value) };
  }

  healthy(site: string): { ok: boolean; detail: string } {
    const entry = this.#producers.get(site);
    if (!entry) return { ok: false, detail: 'not started' };
    return { ok: !entry.fenced, detail: entry.detail };
  }

  async close(): Promise<void> {
    await Promise.all([...this.#producers.values()].map((e) => e.producer.disconnect().catch(() => undefined)));
    this.#producers.clear();
  }
}
