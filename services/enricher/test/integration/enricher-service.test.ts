/**
 * The enricher on the real broker and registry: raw records in, registered ECS
 * documents out (decoded by an independent consumer with the registry's schema),
 * a malformed record dead-lettered with its reason while the records after it
 * are processed, and input offsets committed past all of them.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import {
  createRegistry,
  decodeValue,
  DLQ_HEADERS,
  headerString,
  RECORD_HEADERS,
} from '@pra-pipeline/shared';
import { enricherContext } from './context.js';
import { testdata } from '../testdata.js';

const ctx = enricherContext('it', 1);
const env = process.env;

function sessionXml(lsid: string): Buffer {
  const report = readFileSync(testdata('pra/report-single-session.xml'), 'utf8');
  const session = report.slice(report.indexOf('<session>'), report.lastIndexOf('</session>') + '</session>'.length);
  return Buffer.from(session.replace('<session>', `<session lsid="${lsid}">`));
}

function rawHeaders(site: string) {
  return {
    [RECORD_HEADERS.site]: site,
    [RECORD_HEADERS.siteHost]: `${site}.example.com`,
    [RECORD_HEADERS.namespace]: 'it',
    [RECORD_HEADERS.fetchedAt]: new Date().toISOString(),
    [RECORD_HEADERS.contentType]: 'application/xml',
  };
}

async function readTopic(topic: string, count: number, timeoutMs = 60_000) {
  const consumer = ctx.kafka.consumer({ groupId: `it-reader-${randomUUID()}`, readUncommitted: false });
  const messages: { key: string; value: Buffer; headers: Record<string, string | undefined> }[] = [];
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  let done!: () => void;
  const enough = new Promise<void>((resolve) => (done = resolve));
  await consumer.run({
    eachMessage: async ({ message }) => {
      const headers = Object.fromEntries(Object.entries(message.headers ?? {}).map(([k, v]) => [k, headerString(v)]));
      messages.push({ key: message.key?.toString() ?? '', value: message.value ?? Buffer.alloc(0), headers });
      if (messages.length >= count) done();
    },
  });
  const timer = setTimeout(done, timeoutMs);
  await enough;
  clearTimeout(timer);
  await consumer.disconnect();
  return messages;
}

test('raw records become registered ECS documents; a malformed one is dead-lettered and the rest go on', async () => {
  const producer = ctx.kafka.producer({ idempotent: true });
  await producer.connect();
  await producer.send({
    topic: ctx.topics.input,
    acks: -1,
    messages: [
      { key: 'east/lsid-1', value: sessionXml('lsid-1'), headers: rawHeaders('east') },
      { key: 'east/lsid-2', value: Buffer.from('<session lsid="lsid-2"><session_details><event timestamp="1"'), headers: rawHeaders('east') },
      { key: 'west/lsid-3', value: sessionXml('lsid-3'), headers: rawHeaders('west') },
    ],
  });
  await producer.disconnect();

  const outputs = await readTopic(ctx.topics.output, 2);
  assert.equal(outputs.length, 2);
  assert.deepEqual(outputs.map((m) => m.key).sort(), ['east/lsid-1', 'west/lsid-3']);

  // An independent reader: a fresh registry client that knows only the id in the wire format.
  const reader = createRegistry({ schemaRegistryUrl: env.SCHEMA_REGISTRY_URL! });
  const docs = await Promise.all(outputs.map((m) => decodeValue<Record<string, Record<string, unknown>>>(reader, m.value)));
  for (const doc of docs) {
    assert.equal(doc.event?.action, 'session-start');
    assert.equal(doc.data_stream?.namespace, 'it');
    assert.equal(typeof doc.event?.id, 'string');
    // 175.16.199.0, the representative's public IP, is Changchun in the MaxMind test database.
    assert.equal((doc.source?.geo as Record<string, unknown>)?.city_name, 'Changchun');
  }
  assert.notEqual(docs[0]!.event?.id, docs[1]!.event?.id);
  assert.deepEqual(docs.map((d) => d.observer?.hostname).sort(), ['east.example.com', 'west.example.com']);

  const res = await fetch(`${env.SCHEMA_REGISTRY_URL}/subjects/${ctx.topics.output}-value/versions/latest`);
  assert.equal(res.status, 200);
  const registered = (await res.json()) as { schemaType?: string; id: number };
  assert.equal(registered.schemaType, 'JSON');
  assert.equal(outputs[0]!.value.readInt32BE(1), registered.id);

  const dead = await readTopic(ctx.topics.dlq, 1);
  assert.equal(dead.length, 1);
  assert.equal(dead[0]!.key, 'east/lsid-2');
  assert.equal(dead[0]!.headers[DLQ_HEADERS.stage], 'enricher');
  assert.equal(dead[0]!.headers[DLQ_HEADERS.errorCode], 'PIPE_XML_MALFORMED');
  assert.equal(dead[0]!.headers[DLQ_HEADERS.sourceTopic], ctx.topics.input);
  assert.equal(dead[0]!.headers[DLQ_HEADERS.sourceOffset], '1');
  assert.ok((dead[0]!.headers[DLQ_HEADERS.reason] ?? '').length > 0);
  assert.equal(dead[0]!.value.toString(), '<session lsid="lsid-2"><session_details><event timestamp="1"');

  const admin = ctx.kafka.admin();
  await admin.connect();
  // The commit follows the acknowledged produce; give it a moment rather than racing it.
  let offset: string | undefined;
  for (let i = 0; i < 50 && offset !== '3'; i++) {
    const committed = await admin.fetchOffsets({ groupId: ctx.groupId, topics: [ctx.topics.input] });
    offset = committed[0]?.partitions[0]?.offset;
    if (offset !== '3') await new Promise((r) => setTimeout(r, 200));
  }
  await admin.disconnect();
  assert.equal(offset, '3');
});

test('a chunk whose documents exceed the broker\'s message size is produced in several requests, nothing lost', async () => {
  // 60 sessions of 40 events: about 5 MB of documents, five times the broker's default message.max.bytes.
  const one = sessionXml('big');
  const event = one.toString().match(/<event [\s\S]*?<\/event>/)![0];
  const producer = ctx.kafka.producer({ idempotent: true });
  await producer.connect();
  const messages = Array.from({ length: 60 }, (_, i) => ({
    key: `east/big-${i}`,
    value: Buffer.from(one.toString().replace('lsid="big"', `lsid="big-${i}"`).replace(event, event.repeat(40))),
    headers: rawHeaders('east'),
  }));
  for (const message of messages) await producer.send({ topic: ctx.topics.input, acks: -1, messages: [message] });
  await producer.disconnect();
  const outputs = await readTopic(ctx.topics.output, 2 + 60 * 40, 120_000);
  assert.equal(outputs.filter((m) => m.key.startsWith('east/big-')).length, 60 * 40);
});
