/**
 * Records produced straight onto the raw topic by someone other than the
 * poller, on the real broker and registry: a record claiming another tenant's
 * namespace, one from a site that is not configured, one without the poller's
 * signature, and a poison record larger than the dead letter topic takes. None
 * lands in another tenant's data stream, each unprocessable one is
 * dead-lettered with its reason, and the record after them is still mapped.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { decodeValue, createRegistry, DLQ_HEADERS, headerString, RECORD_HEADERS, signatureHeaders, verifyRecord } from '@pra-pipeline/shared';
import { enricherContext } from './context.js';
import { testdata } from '../testdata.js';

const signingKey = randomBytes(32).toString('base64url');
const ctx = enricherContext('hostile', 1, {
  ENRICHER_SITE_NAMESPACES: 'tenant-a=tenanta,tenant-b=tenantb',
  PIPELINE_SIGNING_KEY: signingKey,
  // The broker's default: a poison record of the raw topic's size does not fit whole.
  KAFKA_DLQ_MAX_MESSAGE_BYTES: String(1024 * 1024),
});

function sessionXml(lsid: string): Buffer {
  const report = readFileSync(testdata('pra/report-single-session.xml'), 'utf8');
  const session = report.slice(report.indexOf('<session>'), report.lastIndexOf('</session>') + '</session>'.length);
  return Buffer.from(session.replace('<session>', `<session lsid="${lsid}">`));
}

function raw(site: string, lsid: string, value: Buffer, options: { namespace?: string; sign?: boolean } = {}) {
  const key = `${site}/${lsid}`;
  const headers: Record<string, string> = {
    [RECORD_HEADERS.site]: site,
    [RECORD_HEADERS.namespace]: options.namespace ?? site.replace('-', ''),
    [RECORD_HEADERS.fetchedAt]: new Date().toISOString(),
  };
  return { key, value, headers: options.sign === false ? headers : { ...headers, ...signatureHeaders(signingKey, key, value) } };
}

async function read(topic: string, count: number, timeoutMs = 60_000) {
  const consumer = ctx.kafka.consumer({ groupId: `hostile-reader-${randomUUID()}`, readUncommitted: false });
  const out: { key: string; value: Buffer; headers: Record<string, string | undefined> }[] = [];
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  let done!: () => void;
  const enough = new Promise<void>((resolve) => (done = resolve));
  await consumer.run({
    eachMessage: async ({ message }) => {
      const headers = Object.fromEntries(Object.entries(message.headers ?? {}).map(([k, v]) => [k, headerString(v)]));
      out.push({ key: message.key?.toString() ?? '', value: message.value ?? Buffer.alloc(0), headers });
      if (out.length >= count) done();
    },
  });
  const timer = setTimeout(done, timeoutMs);
  await enough;
  clearTimeout(timer);
  await consumer.disconnect();
  return out;
}

test('no record chooses its tenant, unsigned and unknown ones are dead-lettered, a poison record too large for the dead letter topic keeps its head, and the next record is mapped', async () => {
  const admin = ctx.kafka.admin();
  await admin.connect();
  // The raw topic takes sessions larger than 1 MiB, as the poller creates it.
  await admin.alterConfigs({ validateOnly: false, resources: [{ type: 2, name: ctx.topics.input, configEntries: [{ name: 'max.message.bytes', value: String(8 * 1024 * 1024) }] }] });
  await admin.disconnect();

  const poison = Buffer.concat([Buffer.from('<session lsid="poison"><event>'), Buffer.alloc(3 * 1024 * 1024, 'x')]);
  const producer = ctx.kafka.producer();
  await producer.connect();
  for (const message of [
    raw('tenant-a', 'claims-b', sessionXml('claims-b'), { namespace: 'tenantb' }),
    raw('intruder', 'one', sessionXml('one')),
    raw('tenant-b', 'unsigned', sessionXml('unsigned'), { sign: false }),
    raw('tenant-b', 'poison', poison),
    raw('tenant-b', 'after', sessionXml('after')),
  ]) {
    await producer.send({ topic: ctx.topics.input, messages: [message] });
  }
  await producer.disconnect();

  const sessionEvents = (sessionXml('x').toString().match(/<event /g) ?? []).length;
  const documents = await read(ctx.topics.output, 2 * sessionEvents);
  const registry = createRegistry({ schemaRegistryUrl: process.env.SCHEMA_REGISTRY_URL! });
  const byKey = new Map<string, { namespace: string; signed: boolean }[]>();
  for (const d of documents) {
    const doc = await decodeValue<{ data_stream: { namespace: string } }>(registry, d.value);
    const list = byKey.get(d.key) ?? [];
    list.push({ namespace: doc.data_stream.namespace, signed: verifyRecord(signingKey, { key: d.key, value: d.value, headers: d.headers as Record<string, string> }).ok });
    byKey.set(d.key, list);
  }
  assert.deepEqual([...byKey.keys()].sort(), ['tenant-a/claims-b', 'tenant-b/after'], 'only the configured, signed, well-formed sessions were mapped');
  assert.ok(byKey.get('tenant-a/claims-b')!.every((d) => d.namespace === 'tenanta'), 'the configured namespace, not the one the header claimed');
  assert.ok(byKey.get('tenant-b/after')!.every((d) => d.namespace === 'tenantb'));
  assert.ok([...byKey.values()].flat().every((d) => d.signed), 'every document is signed for the sink');

  const letters = new Map((await read(ctx.topics.dlq, 3)).map((l) => [l.key, l]));
  assert.equal(letters.get('intruder/one')?.headers[DLQ_HEADERS.errorCode], 'PIPE_RECORD_UNTRUSTED');
  assert.match(letters.get('intruder/one')?.headers[DLQ_HEADERS.reason] ?? '', /ENRICHER_SITE_NAMESPACES/);
  assert.equal(letters.get('tenant-b/unsigned')?.headers[DLQ_HEADERS.errorCode], 'PIPE_RECORD_UNTRUSTED');
  assert.match(letters.get('tenant-b/unsigned')?.headers[DLQ_HEADERS.reason] ?? '', /pra\.signature/);
  const head = letters.get('tenant-b/poison');
  assert.ok(head, 'the poison record was dead-lettered, not dropped');
  assert.equal(head.headers[DLQ_HEADERS.errorCode], 'PIPE_XML_MALFORMED');
  assert.equal(head.headers[DLQ_HEADERS.originalBytes], String(poison.length));
  assert.ok(head.headers[DLQ_HEADERS.truncated], 'marked as cut');
  assert.ok(head.value.length < 1024 * 1024 && head.value.length > 0, `the head only: ${head.value.length} bytes`);
  assert.deepEqual(head.value, poison.subarray(0, head.value.length), 'the head of the original value');
});
