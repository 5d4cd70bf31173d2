/**
 * Sink: documents per second from Kafka (Confluent wire format, schema from the
 * registry) into an Elasticsearch data stream by the `pra-pipeline sink`
 * process, next to @elastic/elasticsearch's bulk helper writing the same
 * documents from memory. Each run writes a new data stream (the harness's
 * Elasticsearch cannot delete data streams), so every run starts from an empty
 * one. Sink and helper alternate, so load changes hit both alike.
 */
import { performance } from 'node:perf_hooks';
import { Client } from '@elastic/elasticsearch';
import {
  CompressionTypes, createIdempotentProducer, createKafka, createLogger, createRegistry, documentJsonSchema, encodeValue, registerJsonSchema, type Message,
} from '@pra-pipeline/shared';
import { GeoIpDatabases, type EcsDocument, chunk } from '@pra-pipeline/enricher';
import { DATA_STREAM_PREFIX } from '@pra-pipeline/sink';
import { testdataDir, uniqueName } from '../test/harness/env.js';
import { deleteSubject, deleteTopics, searchableCount } from './cleanup.js';
import { needStack, type BenchContext, type Benchmark } from './context.js';
import { documentsOf, rawRecords } from './data.js';
import { startService } from './processes.js';
import { figure, measured, resultOf, type BenchResult } from './results.js';
import { summarize, waitFor } from './stats.js';

const logger = createLogger({ service: 'bench', level: 'error' });
const MIB = 1024 * 1024;

export async function sinkBench(ctx: BenchContext): Promise<BenchResult> {
  const stack = needStack(ctx);
  const startedAt = new Date();
  const quick = ctx.mode === 'quick';
  const iterations = quick ? 1 : 3;
  const run = uniqueName('bench-sink');
  const namespaceOf = (what: string, i: number) => `${run.replace(/[^a-z0-9]/g, '')}${what}${i}`;

  const input = await rawRecords(quick ? { historyMinutes: 40, sessionsPerMinute: 6, eventsPerSession: 24 } : { historyMinutes: 120, sessionsPerMinute: 8, eventsPerSession: 24 });
  const geo = await GeoIpDatabases.open({ dir: `${testdataDir()}/geoip`, pollIntervalMs: 0 });
  const documents: EcsDocument[] = documentsOf(input.records, geo);
  geo.close();
  const n = documents.length;

  const kafka = createKafka({ kafkaBrokers: stack.kafkaBrokers, kafkaClientId: 'pra-bench' }, logger);
  const registry = createRegistry({ schemaRegistryUrl: stack.schemaRegistryUrl });
  const topics: string[] = [];
  const subject = `${run}.ecs-value`;
  const subjects = [subject];
  const es = new Client({ node: stack.esNode, compression: true, requestTimeout: 60_000 });
  const sinkRates: number[] = [];
  const helperRates: number[] = [];
  const peaks: number[] = [];
  const startups: number[] = [];
  const notes: string[] = [];
  try {
    const schemaId = await registerJsonSchema(registry, subject, documentJsonSchema());
    // The registry validates every document once; a run's namespace is then set in the same wire format
    // (magic byte, schema id, JSON), which is what encoding a valid document produces.
    await Promise.all(documents.map((d) => encodeValue(registry, schemaId, d)));
    const header = Buffer.alloc(5);
    header.writeUInt32BE(schemaId, 1);
    const withNamespace = (namespace: string) => documents.map((d) => ({ ...d, data_stream: { ...(d.data_stream as object), namespace } }));
    const wire = (docs: EcsDocument[]): (Message & { value: Buffer })[] => docs.map((d) => ({ key: String((d.event as { id: string }).id), value: Buffer.concat([header, Buffer.from(JSON.stringify(d))]) }));
    const bytes = wire(documents).reduce((s, m) => s + (m.value as Buffer).length, 0);
    ctx.log(`sink: ${n} documents, ${(bytes / 1e6).toFixed(1)} MB in wire format`);

    for (let i = 0; i < iterations; i++) {
      // The sink: a topic filled beforehand, then the process drains it.
      const topic = `${run}.ecs.${i}`;
      // The sink takes only the schema ids of its topic's subject (<topic>-value).
      const topicSubject = `${topic}-value`;
      subjects.push(topicSubject);
      header.writeUInt32BE(await registerJsonSchema(registry, topicSubject, documentJsonSchema()), 1);
      const messages = wire(withNamespace(namespaceOf('sink', i)));
      topics.push(topic, `${run}.dlq.${i}`);
      const admin = kafka.admin();
      await admin.connect();
      await admin.createTopics({ topics: [{ topic, numPartitions: 6 }], waitForLeaders: true });
      await admin.disconnect();
      const producer = createIdempotentProducer(kafka);
      await producer.connect();
      for (const batch of chunk(messages, Number.MAX_SAFE_INTEGER, 768 * 1024)) {
        await producer.sendBatch({ topicMessages: [{ topic, messages: batch }], acks: -1, compression: CompressionTypes.GZIP });
      }
      await producer.disconnect();

      const t0 = performance.now();
      const sink = await startService({
        name: `sink-${i}`,
        command: 'sink',
        logDir: ctx.logDir,
        env: {
          KAFKA_BROKERS: stack.kafkaBrokers.join(','),
          SCHEMA_REGISTRY_URL: stack.schemaRegistryUrl,
          ES_NODE: stack.esNode,
          SINK_TOPIC: topic,
          SINK_GROUP_ID: `${run}-sink-${i}`,
          KAFKA_DLQ_TOPIC: `${run}.dlq.${i}`,
          INDEX_REFRESH_INTERVAL: '1s',
        },
      });
      try {
        const settled = async () =>
          (await sink.metric('pra_sink_documents_indexed_total')) + (await sink.metric('pra_sink_documents_duplicate_total')) + (await sink.metric('pra_dead_letters_total'));
        // Timed from the first document read (buffered or already settled) to the last settled, so process
        // start, template installation and the group join are left out and the first requests are not.
        const read = async () => (await settled()) + (await sink.metric('pra_sink_buffered_documents'));
        await waitFor('the sink\'s first document', read, (c) => c > 0 || sink.exited(), 120_000, 25);
        const tFirst = performance.now();
        startups.push((tFirst - t0) / 1000);
        await waitFor(`the sink to index ${n} documents`, settled, (c) => c >= n || sink.exited(), 300_000, 50);
        const seconds = (performance.now() - tFirst) / 1000;
        if (sink.exited()) throw new Error(`The sink exited; see ${sink.logFile}`);
        sinkRates.push(n / seconds);
        peaks.push(sink.memory()?.peak ?? 0);
        const dup = await sink.metric('pra_sink_documents_duplicate_total');
        const dead = await sink.metric('pra_dead_letters_total');
        if (dup + dead > 0) notes.push(`Iteration ${i + 1}: ${dup} duplicates and ${dead} dead letters (expected none).`);
      } finally {
        await sink.stop();
      }

      // The ceiling: the client's bulk helper, the same documents from memory, into a new data stream.
      const helperNamespace = namespaceOf('helper', i);
      const dataStream = `${DATA_STREAM_PREFIX}${helperNamespace}`;
      const helperDocs = withNamespace(helperNamespace);
      let dropped: unknown;
      const h0 = performance.now();
      const stats = await es.helpers.bulk<EcsDocument>({
        datasource: helperDocs,
        onDocument: (doc) => ({ create: { _index: dataStream, _id: (doc.event as { id: string }).id } }),
        flushBytes: 5 * MIB,
        concurrency: 4,
        refreshOnCompletion: false,
        onDrop: (d) => {
          dropped ??= d.error;
        },
      });
      helperRates.push(n / ((performance.now() - h0) / 1000));
      if (stats.failed > 0) notes.push(`Bulk helper iteration ${i + 1}: ${stats.failed} documents failed (${JSON.stringify(dropped)}).`);
      const count = await searchableCount(stack.esNode, dataStream).catch(() => -1);
      ctx.log(`sink iteration ${i + 1}: sink ${Math.round(sinkRates[i]!)} docs/s, helper ${Math.round(helperRates[i]!)} docs/s (${count} searchable)`);
    }

    const sinkFigure = measured('sink process, Kafka (wire format) to Elasticsearch', 'documents/s', sinkRates);
    const helperFigure = measured('client.helpers.bulk, same documents from memory', 'documents/s', helperRates);
    const peak = measured('sink peak RSS (VmHWM)', 'MB', peaks.map((p) => p / 1e6));
    return resultOf(ctx, startedAt, {
      benchmark: 'sink',
      title: 'Sink: Kafka to Elasticsearch',
      parameters: {
        documents: n,
        wireBytes: bytes,
        averageDocumentBytes: Math.round(bytes / n),
        iterations,
        partitions: 6,
        sink: 'defaults (BULK_MAX_DOCUMENTS 1000, BULK_MAX_BYTES 5 MiB, BULK_CONCURRENCY 4, SINK_PARTITIONS_CONCURRENCY 3, gzip), INDEX_REFRESH_INTERVAL 1s',
        helper: 'flushBytes 5 MiB, concurrency 4, gzip, create with _id = event.id',
        sinkStartupSeconds: summarize(startups),
      },
      figures: [figure('sink.throughput', sinkFigure, helperFigure), figure('sink.memory', peak)],
      notes: [
        'The sink is timed from the first document it holds (pra_sink_buffered_documents, read from its /metrics every 25 ms) to the last one settled (every 50 ms), so process start, template installation and the group join are left out (sinkStartupSeconds).',
        'The helper writes the same documents, already parsed, straight to Elasticsearch: no Kafka, no wire-format decoding, no offsets.',
        'Each run writes its own new data stream (same template, refresh 1 s) on the same single Elasticsearch node.',
        ...notes,
      ],
    });
  } finally {
    await es.close();
    await deleteTopics(kafka, topics);
    for (const s of subjects) await deleteSubject(stack.schemaRegistryUrl, s);
  }
}

export const sinkBenchmark: Benchmark = { name: 'sink', servers: true, run: sinkBench };
