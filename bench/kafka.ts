/**
 * Kafka hops: records per second through kafkajs produce (idempotent, acks=all,
 * gzip, byte-bounded batches like the services) and consume (a fresh group
 * reading the topic from the start) on the harness broker. These are the
 * ceilings of the raw hop (session XML, poller -> enricher) and of the
 * enriched hop (ECS documents, enricher -> sink).
 */
import { performance } from 'node:perf_hooks';
import { CompressionTypes, createIdempotentProducer, createKafka, createLogger, type Message } from '@pra-pipeline/shared';
import { GeoIpDatabases, chunk } from '@pra-pipeline/enricher';
import { testdataDir, uniqueName } from '../test/harness/env.js';
import { needStack, type BenchContext, type Benchmark } from './context.js';
import { documentsOf, rawRecords } from './data.js';
import { figure, measured, resultOf, type BenchResult, type Figure } from './results.js';
import { summarize } from './stats.js';

const logger = createLogger({ service: 'bench', level: 'error' });

interface Hop {
  name: 'raw' | 'ecs';
  label: string;
  messages: Message[];
  batchBytes: number;
}

export async function kafkaBench(ctx: BenchContext): Promise<BenchResult> {
  const stack = needStack(ctx);
  const startedAt = new Date();
  const quick = ctx.mode === 'quick';
  const warmup = 1;
  const iterations = quick ? 3 : 5;
  const input = await rawRecords(quick ? { historyMinutes: 30, sessionsPerMinute: 4, eventsPerSession: 24 } : { historyMinutes: 120, sessionsPerMinute: 8, eventsPerSession: 24 });
  const geo = await GeoIpDatabases.open({ dir: `${testdataDir()}/geoip`, pollIntervalMs: 0 });
  const documents = documentsOf(input.records, geo);
  geo.close();
  const hops: Hop[] = [
    {
      name: 'raw',
      label: 'raw session XML (poller -> enricher)',
      messages: input.records.map((r) => ({ key: r.key, value: r.value, headers: r.headers })),
      batchBytes: 1024 * 1024,
    },
    {
      name: 'ecs',
      label: 'ECS documents (enricher -> sink)',
      messages: documents.map((d) => ({ key: 'bench/x', value: Buffer.from(JSON.stringify(d)) })),
      batchBytes: 768 * 1024,
    },
  ];

  const kafka = createKafka({ kafkaBrokers: stack.kafkaBrokers, kafkaClientId: 'pra-bench' }, logger);
  const admin = kafka.admin();
  await admin.connect();
  const topics: string[] = [];
  const figures: Figure[] = [];
  const parameters: Record<string, unknown> = { partitions: 3, warmup, iterations, compression: 'gzip', acks: 'all' };
  try {
    for (const hop of hops) {
      const topic = uniqueName(`bench-kafka-${hop.name}`);
      topics.push(topic);
      await admin.createTopics({ topics: [{ topic, numPartitions: 3 }], waitForLeaders: true });
      const producer = createIdempotentProducer(kafka);
      await producer.connect();
      const bytes = hop.messages.reduce((n, m) => n + (m.value as Buffer).length, 0);
      const chunks = chunk(hop.messages as (Message & { value: Buffer })[], Number.MAX_SAFE_INTEGER, hop.batchBytes);
      const produceRates: number[] = [];
      const produceMBs: number[] = [];
      for (let i = 0; i < warmup + iterations; i++) {
        const t0 = performance.now();
        for (const messages of chunks) await producer.sendBatch({ topicMessages: [{ topic, messages }], acks: -1, compression: CompressionTypes.GZIP });
        const s = (performance.now() - t0) / 1000;
        if (i >= warmup) {
          produceRates.push(hop.messages.length / s);
          produceMBs.push(bytes / s / 1e6);
        }
      }
      await producer.disconnect();
      const total = hop.messages.length * (warmup + iterations);

      const consumeRates: number[] = [];
      for (let i = 0; i < warmup + iterations; i++) {
        const consumer = kafka.consumer({ groupId: uniqueName('bench-consume'), maxBytesPerPartition: 8 * 1024 * 1024 });
        await consumer.connect();
        await consumer.subscribe({ topic, fromBeginning: true });
        let seen = 0;
        let first = 0;
        // Timed from the moment the group is joined: the join is not the hop's throughput.
        consumer.on(consumer.events.GROUP_JOIN, () => {
          first = performance.now();
        });
        const seconds = await new Promise<number>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error(`Consuming ${total} records timed out (${seen} read)`)), 120_000);
          consumer
            .run({
              autoCommit: false,
              eachBatch: async ({ batch }) => {
                seen += batch.messages.length;
                if (seen >= total) {
                  clearTimeout(timer);
                  resolve((performance.now() - first) / 1000);
                }
              },
            })
            .catch(reject);
        });
        await consumer.disconnect();
        if (i >= warmup) consumeRates.push(total / seconds);
      }
      parameters[hop.name] = { records: hop.messages.length, bytes, averageRecordBytes: Math.round(bytes / hop.messages.length), batchBytes: hop.batchBytes, consumedPerIteration: total };
      const produce = measured(`kafkajs produce, ${hop.label}`, 'records/s', produceRates);
      const consume = measured(`kafkajs consume, ${hop.label}`, 'records/s', consumeRates);
      figures.push(figure(`kafka.${hop.name}.produce`, produce, undefined, `${summarize(produceMBs).median.toFixed(1)} MB/s uncompressed`));
      figures.push(figure(`kafka.${hop.name}.consume`, consume, undefined, `${((consume.median * bytes) / hop.messages.length / 1e6).toFixed(1)} MB/s uncompressed`));
      ctx.log(`kafka ${hop.name}: produce ${Math.round(produce.median)} records/s, consume ${Math.round(consume.median)} records/s`);
    }
  } finally {
    await admin.deleteTopics({ topics }).catch(() => undefined);
    await admin.disconnect();
  }
  return resultOf(ctx, startedAt, {
    benchmark: 'kafka',
    title: 'Kafka hops: kafkajs produce and consume',
    parameters,
    figures,
    notes: [
      'Produce: one idempotent producer, acks=all, gzip, batches bounded by bytes as the poller (1 MiB) and the enricher (768 KiB) bound theirs, one request at a time.',
      'Consume: a new consumer group per iteration reads the whole topic from the start; timed from the group join to the last record.',
      'These are the ceilings of each hop: a stage cannot move records faster than kafkajs moves them on this broker.',
    ],
  });
}

export const kafkaBenchmark: Benchmark = { name: 'kafka', servers: true, run: kafkaBench };
