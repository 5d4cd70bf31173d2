/**
 * Records produced straight onto the enriched topic by someone other than the
 * enricher, and records that cannot be processed, on the real broker, registry
 * and Elasticsearch: each is dead-lettered with its reason, none stalls its
 * partition (the record after it is indexed and the offsets move past it), and
 * nothing lands in a data stream its site is not configured for.
 */
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { createRegistry, DLQ_HEADERS, parseDeadLetter, registerJsonSchema, signatureHeaders, type DeadLetter } from '@pra-pipeline/shared';
import {
  allIds,
  countDocs,
  createTopics,
  deleteDataStream,
  deleteTopics,
  integrationContext,
  makeDocument,
  metricValue,
  produce,
  readTopic,
  registerTopicSchema,
  sinkEnv,
  stackEnv,
  startSink,
  suffix,
  waitFor,
  wireValue,
} from './helpers.js';

const { kafka, es, cleanups } = integrationContext();
const MIB = 1024 * 1024;

interface Names {
  topic: string;
  group: string;
  dlq: string;
  namespace: string;
}

function names(prefix: string): Names {
  const s = suffix();
  const n = { topic: `sink-${prefix}-${s}`, group: `sink-${prefix}-${s}`, dlq: `sink-${prefix}-dlq-${s}`, namespace: `${prefix}${s}` };
  cleanups.push(() => deleteTopics(kafka, [n.topic, n.dlq]), () => deleteDataStream(es, n.namespace));
  return n;
}

/** A one-partition topic, so that "the record after it" is well defined; it takes records up to 4 MiB. */
async function createSourceTopic(topic: string): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.createTopics({
      topics: [{ topic, numPartitions: 1, replicationFactor: 1, configEntries: [{ name: 'max.message.bytes', value: String(4 * MIB) }] }],
      waitForLeaders: true,
    });
  } finally {
    await admin.disconnect();
  }
}

async function committedOffset(group: string, topic: string): Promise<string | undefined> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const [offsets] = await admin.fetchOffsets({ groupId: group, topics: [topic] });
    return offsets?.partitions[0]?.offset;
  } finally {
    await admin.disconnect();
  }
}

const waitForCommit = (n: Names, offset: number) =>
  waitFor(`offset ${offset} committed`, async () => ((await committedOffset(n.group, n.topic)) === String(offset) ? true : undefined), 90_000);

async function ids(namespace: string): Promise<Set<string>> {
  return (await countDocs(es, namespace)) === 0 ? new Set() : new Set(await allIds(es, namespace));
}

/**
 * A record that is not a document (no event.id, so it is dead-lettered before it
 * reaches Elasticsearch), of `bytes` bytes of padding, then a good one; the sink
 * starts; resolves with the one dead letter and the poison value.
 */
async function poisonThenGood(n: Names, bytes: number): Promise<{ letter: DeadLetter; poison: Buffer; sink: Awaited<ReturnType<typeof startSink>> }> {
  const id = await registerTopicSchema(n.topic);
  const poison = wireValue(id, { padding: 'p'.repeat(bytes), data_stream: { namespace: n.namespace } });
  await produce(kafka, n.topic, [
    { key: 'site/poison', value: poison, headers: { 'pra.site': 'site' } },
    { key: 'site/next', value: wireValue(id, makeDocument(n.namespace, 1)) },
  ]);
  const sink = await startSink(sinkEnv(n));
  cleanups.push(sink.stop);
  const [letter] = await deadLetters(n.dlq, 1);
  assert.ok(letter);
  assert.equal(letter.errorCode, 'PIPE_RECORD_INVALID');
  assert.match(letter.reason, /event\.id/);
  assert.equal(letter.sourceOffset, '0');
  assert.equal(letter.key?.toString(), 'site/poison');
  assert.equal(letter.headers['pra.site'], 'site');
  // The partition goes on: the next record is indexed and the offsets move past both.
  await waitFor('the next record', async () => ((await ids(n.namespace)).has(`${n.namespace}-1`) ? true : undefined), 60_000);
  await waitForCommit(n, 2);
  return { letter, poison, sink };
}

async function deadLetters(dlq: string, count: number): Promise<DeadLetter[]> {
  const letters = (await readTopic(kafka, dlq, count, 90_000)).map((l) => parseDeadLetter(l));
  assert.ok(letters.every((l) => l !== undefined));
  return (letters as DeadLetter[]).sort((a, b) => Number(a.sourceOffset) - Number(b.sourceOffset));
}

test('a dead letter over 1 MiB arrives whole on the dead letter topic the sink creates; the record after it is indexed', { timeout: 180_000 }, async () => {
  const n = names('dlqbig');
  await createSourceTopic(n.topic);
  const { letter, poison, sink } = await poisonThenGood(n, 1.5 * MIB);
  assert.equal(letter.truncated, undefined);
  assert.deepEqual(letter.value, poison, 'the whole original value');

  const admin = kafka.admin();
  await admin.connect();
  try {
    const { resources } = await admin.describeConfigs({ includeSynonyms: false, resources: [{ type: 2, name: n.dlq, configNames: ['max.message.bytes'] }] });
    assert.equal(resources[0]?.configEntries[0]?.configValue, String(sink.config.kafkaDlqMaxMessageBytes));
  } finally {
    await admin.disconnect();
  }
});

test('a dead letter too large for an existing 1 MiB dead letter topic arrives as its head with the reason; the record after it is indexed', { timeout: 180_000 }, async () => {
  const n = names('dlqcut');
  await createSourceTopic(n.topic);
  await createTopics(kafka, [n.dlq], 1);
  const admin = kafka.admin();
  await admin.connect();
  await admin.alterConfigs({ validateOnly: false, resources: [{ type: 2, name: n.dlq, configEntries: [{ name: 'max.message.bytes', value: String(MIB) }] }] });
  await admin.disconnect();
  const { letter, poison } = await poisonThenGood(n, 2 * MIB);
  assert.equal(letter.truncated, 'value');
  assert.equal(letter.originalBytes, poison.length);
  const head = letter.value as Buffer;
  assert.ok(head.length > MIB / 2 && head.length < MIB, `${head.length} bytes kept`);
  assert.deepEqual(head, poison.subarray(0, head.length), 'the head of the original value');
});

test('a schema id the registry does not know is dead-lettered after a bounded retry, and one of another subject too; the records after them are indexed', { timeout: 180_000 }, async () => {
  const n = names('schema');
  await createSourceTopic(n.topic);
  const id = await registerTopicSchema(n.topic);
  const registry = createRegistry({ schemaRegistryUrl: stackEnv().SCHEMA_REGISTRY_URL });
  const foreign = await registerJsonSchema(registry, `${n.topic}-foreign-value`, { $schema: 'http://json-schema.org/draft-07/schema#', type: 'object', title: `foreign ${n.topic}` });
  assert.notEqual(foreign, id);
  await produce(kafka, n.topic, [
    { key: 'site/unknown', value: wireValue(2_000_000_000, makeDocument(n.namespace, 1)) },
    { key: 'site/after-unknown', value: wireValue(id, makeDocument(n.namespace, 2)) },
    { key: 'site/foreign', value: wireValue(foreign, makeDocument(n.namespace, 3)) },
    { key: 'site/after-foreign', value: wireValue(id, makeDocument(n.namespace, 4)) },
  ]);
  const started = Date.now();
  const sink = await startSink(sinkEnv(n, { SINK_UNKNOWN_SCHEMA_ATTEMPTS: '3' }));
  cleanups.push(sink.stop);

  const letters = await deadLetters(n.dlq, 2);
  assert.deepEqual(letters.map((l) => [l.sourceOffset, l.errorCode]), [['0', 'PIPE_SCHEMA_UNKNOWN'], ['2', 'PIPE_SCHEMA_UNKNOWN']]);
  assert.match(letters[0]?.reason ?? '', /^Gave up after 3 attempts: .*2000000000/);
  assert.match(letters[1]?.reason ?? '', new RegExp(`^Gave up after 3 attempts: Schema id ${foreign} is not a version of subject ${n.topic}-value`));
  await waitFor('the records after them', async () => ((await countDocs(es, n.namespace)) === 2 ? true : undefined), 60_000);
  assert.deepEqual(await ids(n.namespace), new Set([`${n.namespace}-2`, `${n.namespace}-4`]));
  await waitForCommit(n, 4);
  assert.ok(Date.now() - started < 60_000, 'bounded: well within a minute');
});

test('plain JSON without the wire format, and the namespace "..", are dead-lettered and not indexed; the records after them are', { timeout: 180_000 }, async () => {
  const n = names('plain');
  await createSourceTopic(n.topic);
  const id = await registerTopicSchema(n.topic);
  cleanups.push(() => deleteDataStream(es, '..'));
  await produce(kafka, n.topic, [
    { key: 'site/plain', value: Buffer.from(JSON.stringify(makeDocument(n.namespace, 1))) },
    { key: 'site/dots', value: wireValue(id, makeDocument('..', 2, { event: { id: `${n.namespace}-2` } })) },
    { key: 'site/good', value: wireValue(id, makeDocument(n.namespace, 3)) },
  ]);
  const sink = await startSink(sinkEnv(n));
  cleanups.push(sink.stop);

  const letters = await deadLetters(n.dlq, 2);
  assert.equal(letters[0]?.errorCode, 'PIPE_RECORD_UNTRUSTED');
  assert.match(letters[0]?.reason ?? '', /plain JSON without the wire-format header/);
  assert.equal(letters[1]?.errorCode, 'PIPE_RECORD_INVALID');
  assert.match(letters[1]?.reason ?? '', /namespace "\.\." is not a name/);
  await waitFor('the good record', async () => ((await ids(n.namespace)).has(`${n.namespace}-3`) ? true : undefined), 60_000);
  assert.deepEqual(await ids(n.namespace), new Set([`${n.namespace}-3`]));
  assert.equal((await countDocs(es, '..')) > 0 && (await allIds(es, '..')).includes(`${n.namespace}-2`), false, 'nothing in a data stream named ..');
  await waitForCommit(n, 3);
});

const SIGNING_KEY = `signing-key-for-tests-${'x'.repeat(32)}`;

interface Tenants extends Names {
  other: string;
  id: number;
  sink: Awaited<ReturnType<typeof startSink>>;
}

let tenants: Tenants;

before(async () => {
  const n = names('tenant');
  const other = `${n.namespace}b`;
  cleanups.push(() => deleteDataStream(es, other));
  await createSourceTopic(n.topic);
  const id = await registerTopicSchema(n.topic);
  const sink = await startSink(
    sinkEnv(n, { SINK_SITE_NAMESPACES: `site-a=${n.namespace},site-b=${other}`, PIPELINE_SIGNING_KEY: SIGNING_KEY }),
  );
  cleanups.push(sink.stop);
  tenants = { ...n, other, id, sink };
});

/** A record as the enricher writes it: wire format, signed with the pipeline's key (or the one given). */
function signed(key: string, doc: unknown, signingKey = SIGNING_KEY) {
  const value = wireValue(tenants.id, doc);
  return { key, value, headers: signatureHeaders(signingKey, key, value) };
}

test('a document whose data_stream.namespace is not its site\'s configured one is dead-lettered; nothing lands in the other namespace', { timeout: 180_000 }, async () => {
  const t = tenants;
  const before = (await committedOffset(t.group, t.topic)) ?? '0';
  const base = Number(before === '-1' ? '0' : before);
  const contradicted = signed('site-a/hdr', makeDocument(t.namespace, 3, { event: { id: `${t.namespace}-hdr` } }));
  await produce(kafka, t.topic, [
    // Site a claims site b's namespace.
    signed('site-a/cross', makeDocument(t.other, 1, { event: { id: `${t.namespace}-cross` } })),
    // A site with no namespace configured.
    signed('site-c/1', makeDocument(t.namespace, 2, { event: { id: `${t.namespace}-sitec` } })),
    // The pra.site header contradicts the key.
    { ...contradicted, headers: { ...contradicted.headers, 'pra.site': 'site-b' } },
    signed('site-a/ok', makeDocument(t.namespace, 4, { event: { id: `${t.namespace}-ok` } })),
    signed('site-b/ok', makeDocument(t.other, 5, { event: { id: `${t.other}-ok` } })),
  ]);
  await waitFor('both genuine documents', async () => ((await ids(t.namespace)).has(`${t.namespace}-ok`) && (await ids(t.other)).has(`${t.other}-ok`) ? true : undefined), 60_000);
  const letters = (await deadLetters(t.dlq, 3)).filter((l) => Number(l.sourceOffset) >= base);
  assert.deepEqual(letters.map((l) => [l.key?.toString(), l.errorCode]), [
    ['site-a/cross', 'PIPE_RECORD_UNTRUSTED'],
    ['site-c/1', 'PIPE_RECORD_UNTRUSTED'],
    ['site-a/hdr', 'PIPE_RECORD_UNTRUSTED'],
  ]);
  assert.match(letters[0]?.reason ?? '', new RegExp(`data_stream.namespace "${t.other}" is not "${t.namespace}", the namespace configured for site "site-a"`));
  assert.match(letters[1]?.reason ?? '', /Site "site-c" has no namespace in SINK_SITE_NAMESPACES/);
  assert.match(letters[2]?.reason ?? '', /pra.site header/);
  assert.deepEqual(await ids(t.other), new Set([`${t.other}-ok`]), 'site b\'s data stream holds only site b\'s document');
  assert.deepEqual(await ids(t.namespace), new Set([`${t.namespace}-ok`]));
  await waitForCommit(t, base + 5);
});

test('forged documents carrying the id of a future event, unsigned or badly signed, are not indexed; the genuine event later is', { timeout: 180_000 }, async () => {
  const t = tenants;
  const start = Number((await committedOffset(t.group, t.topic)) ?? '0');
  const futureId = `${t.namespace}-future-${suffix()}`;
  const forged = makeDocument(t.namespace, 7, { event: { id: futureId }, message: 'forged' });
  const forgedValue = wireValue(t.id, forged);
  const genuine = makeDocument(t.namespace, 8, { event: { id: futureId }, message: 'genuine' });
  const duplicatesBefore = await metricValue(t.sink.metrics, 'pra_sink_documents_duplicate_total');
  await produce(kafka, t.topic, [
    { key: 'site-a/forged-unsigned', value: forgedValue },
    signed('site-a/forged-badkey', forged, `an-attacker-guessed-key-${'y'.repeat(32)}`),
    // A genuine signature moved onto another value.
    { key: 'site-a/forged-moved', value: forgedValue, headers: signed('site-a/forged-moved', makeDocument(t.namespace, 9)).headers },
  ]);
  await waitForCommit(t, start + 3);
  assert.equal((await ids(t.namespace)).has(futureId), false, 'no forged document indexed');

  await produce(kafka, t.topic, [signed('site-a/genuine', genuine)]);
  await waitFor('the genuine event', async () => ((await ids(t.namespace)).has(futureId) ? true : undefined), 60_000);
  const hit = await es.search({ index: `logs-beyondtrust_pra.access_session-${t.namespace}`, query: { ids: { values: [futureId] } } });
  assert.equal(hit.hits.hits.length, 1);
  assert.equal((hit.hits.hits[0]?._source as { message?: string }).message, 'genuine');
  assert.equal(await metricValue(t.sink.metrics, 'pra_sink_documents_duplicate_total'), duplicatesBefore, 'the genuine event is not counted as a duplicate');

  const letters = (await deadLetters(t.dlq, 6)).filter((l) => Number(l.sourceOffset) >= start);
  assert.deepEqual(letters.map((l) => [l.key?.toString(), l.errorCode]), [
    ['site-a/forged-unsigned', 'PIPE_RECORD_UNTRUSTED'],
    ['site-a/forged-badkey', 'PIPE_RECORD_UNTRUSTED'],
    ['site-a/forged-moved', 'PIPE_RECORD_UNTRUSTED'],
  ]);
  assert.match(letters[0]?.reason ?? '', /no pra.signature header/);
  assert.match(letters[1]?.reason ?? '', /signature does not match/);
  assert.match(letters[2]?.reason ?? '', /signature does not match/);
  assert.ok(letters.every((l) => l.headers[DLQ_HEADERS.reason] === undefined), 'reason headers are parsed, not carried');
});
