import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DLQ_HEADERS, parseDeadLetter } from '@pra-pipeline/shared';
import {
  allIds,
  countDocs,
  createTopics,
  dataStream,
  deleteDataStream,
  deleteTopics,
  makeDocument,
  metricValue,
  produce,
  readTopic,
  sinkEnv,
  startSink,
  integrationContext,
  suffix,
  waitFor,
  wireEncoder,
  wireFormat,
} from './helpers.js';

const { kafka, es, cleanups } = integrationContext();

function names() {
  const s = suffix();
  const n = { topic: `sink-it-${s}`, group: `sink-it-${s}`, dlq: `sink-it-dlq-${s}`, namespace: `it${s}` };
  cleanups.push(() => deleteTopics(kafka, [n.topic, n.dlq]), () => deleteDataStream(es, n.namespace));
  return n;
}

test('documents from the enriched topic are searchable with the template\'s mappings', async () => {
  const n = names();
  await createTopics(kafka, [n.topic, n.dlq]);
  const encode = await wireEncoder(n.topic);
  const docs = Array.from({ length: 300 }, (_, i) => makeDocument(n.namespace, i));
  // Wire format as the enricher writes it.
  const messages = await Promise.all(docs.map(async (d, i) => ({ key: `site/${i % 7}`, value: await encode(d) })));
  await produce(kafka, n.topic, messages);
  const sink = await startSink(sinkEnv(n));
  cleanups.push(sink.stop);

  await waitFor('300 documents', async () => ((await countDocs(es, n.namespace)) === 300 ? true : undefined));
  const ids = await allIds(es, n.namespace);
  assert.deepEqual(new Set(ids), new Set(docs.map((d) => (d.event as { id: string }).id)));

  const mapping = await es.indices.getMapping({ index: dataStream(n.namespace) });
  const props = (Object.values(mapping)[0] as { mappings: { properties: Record<string, { properties: Record<string, { type?: string; properties?: Record<string, { type: string }> }> }> } }).mappings.properties;
  assert.equal(props.source?.properties.ip?.type, 'ip');
  assert.equal(props.source?.properties.geo?.properties?.location?.type, 'geo_point');
  assert.equal(props.event?.properties.id?.type, 'keyword');

  // The types work in queries: a CIDR match on the ip field and a distance query on the point.
  const cidr = await es.count({ index: dataStream(n.namespace), query: { term: { 'source.ip': '10.0.0.0/24' } } });
  assert.equal(cidr.count, 250);
  const near = await es.count({ index: dataStream(n.namespace), query: { geo_distance: { distance: '50km', 'source.geo.location': { lat: 48.1, lon: 11.5 } } } });
  assert.equal(near.count, 300);

  const template = await es.indices.getIndexTemplate({ name: sink.config.indexTemplateName });
  const t = template.index_templates[0]?.index_template;
  // Below Fleet's integration template (200), which wins where both are installed.
  assert.ok(t && (t.priority ?? 0) > 100 && (t.priority ?? 0) < 200);
  assert.ok(t.data_stream);
  assert.ok(t.composed_of.includes(`${sink.config.indexTemplateName}@package`));
  // event.ingested on every document: by the final pipeline, or by the sink where the cluster has no ingest processors.
  const stamped = await es.count({ index: dataStream(n.namespace), query: { range: { 'event.ingested': { gte: 'now-10m', lte: 'now+1m' } } } });
  assert.equal(stamped.count, 300);
  assert.equal(await metricValue(sink.metrics, 'pra_sink_documents_indexed_total'), 300);
});

test('the same documents delivered twice give one document each', async () => {
  const n = names();
  await createTopics(kafka, [n.topic, n.dlq]);
  const wire = await wireFormat(n.topic);
  const docs = Array.from({ length: 200 }, (_, i) => makeDocument(n.namespace, i));
  const messages = docs.map((d) => ({ key: 'site/1', value: wire(d) }));
  await produce(kafka, n.topic, messages);
  await produce(kafka, n.topic, messages);
  const sink = await startSink(sinkEnv(n));
  cleanups.push(sink.stop);

  await waitFor('400 records settled', async () => {
    const settled = (await metricValue(sink.metrics, 'pra_sink_documents_indexed_total')) + (await metricValue(sink.metrics, 'pra_sink_documents_duplicate_total'));
    return settled === 400 ? true : undefined;
  });
  assert.equal(await metricValue(sink.metrics, 'pra_sink_documents_indexed_total'), 200);
  assert.equal(await metricValue(sink.metrics, 'pra_sink_documents_duplicate_total'), 200);
  const ids = await allIds(es, n.namespace);
  assert.equal(ids.length, 200);
  assert.equal(new Set(ids).size, 200);
  await sink.stop();

  // A second sink in the same group finds everything committed: nothing is sent again.
  const again = await startSink(sinkEnv(n));
  cleanups.push(again.stop);
  await produce(kafka, n.topic, [{ key: 'site/1', value: wire(makeDocument(n.namespace, 999)) }]);
  await waitFor('the new document', async () => ((await countDocs(es, n.namespace)) === 201 ? true : undefined));
  assert.equal(await metricValue(again.metrics, 'pra_sink_documents_duplicate_total'), 0);
  assert.equal(await metricValue(again.metrics, 'pra_sink_documents_indexed_total'), 1);
});

test('a document Elasticsearch rejects goes to the dead letter topic with the reason; its neighbours are indexed', async () => {
  const n = names();
  await createTopics(kafka, [n.topic, n.dlq], 1);
  const wire = await wireFormat(n.topic);
  const docs = Array.from({ length: 41 }, (_, i) => makeDocument(n.namespace, i));
  docs[20] = makeDocument(n.namespace, 20, { source: { ip: 'not-an-ip-address' } });
  const messages: { key: string; value: Buffer }[] = docs.map((d, i) => ({ key: `site/${i}`, value: wire(d) }));
  // And a record that is not a document at all.
  messages.push({ key: 'site/broken', value: wire({ event: { id: 5 } }) });
  await produce(kafka, n.topic, messages);
  const sink = await startSink(sinkEnv(n));
  cleanups.push(sink.stop);

  const letters = await readTopic(kafka, n.dlq, 2);
  await waitFor('40 documents', async () => ((await countDocs(es, n.namespace)) === 40 ? true : undefined));
  const ids = new Set(await allIds(es, n.namespace));
  assert.equal(ids.has(`${n.namespace}-20`), false);
  assert.equal(ids.has(`${n.namespace}-19`) && ids.has(`${n.namespace}-21`), true);

  const parsed = letters.map((l) => parseDeadLetter(l));
  const rejected = parsed.find((p) => p?.errorCode === 'PIPE_ES_ITEM_REJECTED');
  assert.ok(rejected, 'the mapping rejection is a dead letter');
  assert.equal(rejected.stage, 'sink');
  assert.match(rejected.errorType, /^(document_parsing_exception|mapper_parsing_exception)$/);
  assert.match(rejected.reason, /source\.ip/);
  assert.equal(rejected.sourceTopic, n.topic);
  assert.equal(rejected.sourcePartition, 0);
  assert.equal(rejected.sourceOffset, '20');
  assert.equal(rejected.key?.toString(), 'site/20');
  assert.deepEqual(rejected.value, messages[20]?.value, 'the original bytes');
  const invalid = parsed.find((p) => p?.errorCode === 'PIPE_RECORD_INVALID');
  assert.ok(invalid);
  assert.equal(invalid.sourceOffset, '41');
  assert.match(invalid.reason, /event\.id/);
  assert.ok(letters.every((l) => l.headers[DLQ_HEADERS.time] !== undefined));
  assert.equal(await metricValue(sink.metrics, 'pra_dead_letters_total', 'code="PIPE_ES_ITEM_REJECTED"'), 1);
  assert.equal(await metricValue(sink.metrics, 'pra_dead_letters_total', 'code="PIPE_RECORD_INVALID"'), 1);

  // Everything is settled, so everything is committed: the group has no lag.
  await waitFor('offsets committed', async () => {
    const admin = kafka.admin();
    await admin.connect();
    try {
      const [offsets] = await admin.fetchOffsets({ groupId: n.group, topics: [n.topic] });
      return offsets?.partitions[0]?.offset === '42' ? true : undefined;
    } finally {
      await admin.disconnect();
    }
  });
});
