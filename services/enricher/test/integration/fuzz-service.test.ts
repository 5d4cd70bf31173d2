/**
 * Hostile session XML through the real enricher on the real broker and
 * registry: a few hundred inputs of every hostile class, each tagged with a
 * `pra.fuzz_case` header (the enricher carries `pra.*` headers to documents and
 * dead letters). Every input must end either as all of its documents on the
 * output topic or as one dead letter with a reason and an error code, never
 * both and never neither, and the enricher must still be ready afterwards.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import {
  buildOpsApp,
  DLQ_HEADERS,
  headerString,
  PipelineError,
} from '@pra-pipeline/shared';
import { enricherContext } from './context.js';
import { enrichRawRecord } from '../../src/raw-record.js';
import { HOSTILE_KINDS, hostileArbitraries, rawHeaders, type HostileCase } from '../hostile-xml.js';

const ctx = enricherContext('it-fuzz', 2);
const CASE_HEADER = 'pra.fuzz_case';
const PER_KIND = 25;
/** Below the broker's default message.max.bytes with room for headers. */
const MAX_INPUT_BYTES = 700_000;
const DEAD_LETTER_CODES = new Set(['PIPE_XML_MALFORMED', 'PIPE_XML_LIMIT', 'PIPE_SESSION_EMPTY', 'PIPE_RECORD_INVALID', 'PIPE_SCHEMA_REJECTED']);

/** The inputs: the same classes as the unit fuzz test, from a fixed seed so a failure replays. */
function cases(): HostileCase[] {
  // External references point at a closed port and a file that does not exist: nothing may be fetched either way.
  const arbitraries = hostileArbitraries({ fileUrl: 'file:///nonexistent/pra-fuzz', httpUrl: 'http://127.0.0.1:9' });
  return HOSTILE_KINDS.flatMap((kind) =>
    fc.sample(arbitraries[kind].filter((c) => c.bytes.length > 0 && c.bytes.length <= MAX_INPUT_BYTES), { numRuns: PER_KIND, seed: 20240404 }),
  );
}

test('every hostile input ends as its documents or as one dead letter with a reason; the enricher stays ready', async () => {
  const inputs = cases();
  assert.equal(inputs.length, PER_KIND * HOSTILE_KINDS.length);
  // What stage A+B make of each input in-process: the service must agree (the schema may still reject a document).
  const expected = inputs.map((c, i) => {
    try {
      return { documents: enrichRawRecord({ key: Buffer.from(`fuzz/${i}`), value: c.bytes, headers: rawHeaders('fuzz', c.preserveOriginal) }, undefined, {}).reduce((n, s) => n + s.documents.length, 0) };
    } catch (err) {
      assert.ok(err instanceof PipelineError, `case ${i} (${c.kind}, ${c.note}) threw ${String(err)}`);
      return { code: err.code };
    }
  });

  const producer = ctx.kafka.producer({ idempotent: true });
  await producer.connect();
  let batch: { key: string; value: Buffer; headers: Record<string, string> }[] = [];
  let bytes = 0;
  const flush = async () => {
    if (batch.length > 0) await producer.send({ topic: ctx.topics.input, acks: -1, messages: batch });
    batch = [];
    bytes = 0;
  };
  for (const [i, c] of inputs.entries()) {
    if (bytes + c.bytes.length > MAX_INPUT_BYTES) await flush();
    batch.push({ key: `fuzz/${i}`, value: c.bytes, headers: rawHeaders('fuzz', c.preserveOriginal, { [CASE_HEADER]: String(i) }) });
    bytes += c.bytes.length;
  }
  await flush();
  await producer.disconnect();

  const documents = new Map<number, number>();
  const deadLetters = new Map<number, { code: string | undefined; reason: string | undefined }[]>();
  const settled = (i: number) => deadLetters.has(i) || (expected[i]?.documents !== undefined && documents.get(i) === expected[i]?.documents);
  const consumer = ctx.kafka.consumer({ groupId: `it-fuzz-reader-${randomUUID()}`, readUncommitted: false });
  await consumer.connect();
  await consumer.subscribe({ topics: [ctx.topics.output, ctx.topics.dlq], fromBeginning: true });
  let done!: () => void;
  const allSettled = new Promise<void>((resolve) => (done = resolve));
  await consumer.run({
    eachMessage: async ({ topic, message }) => {
      const i = Number(headerString(message.headers?.[CASE_HEADER]));
      assert.ok(Number.isInteger(i) && i >= 0 && i < inputs.length, `a message on ${topic} without a known case header`);
      if (topic === ctx.topics.output) documents.set(i, (documents.get(i) ?? 0) + 1);
      else {
        const list = deadLetters.get(i) ?? [];
        list.push({ code: headerString(message.headers?.[DLQ_HEADERS.errorCode]), reason: headerString(message.headers?.[DLQ_HEADERS.reason]) });
        deadLetters.set(i, list);
      }
      if (inputs.every((_, k) => settled(k))) done();
    },
  });
  const timer = setTimeout(done, 180_000);
  await allSettled;
  clearTimeout(timer);
  await consumer.disconnect();

  let mapped = 0;
  for (const [i, c] of inputs.entries()) {
    const what = `case ${i} (${c.kind}, ${c.note})`;
    const dead = deadLetters.get(i) ?? [];
    const docs = documents.get(i) ?? 0;
    assert.ok(dead.length > 0 || docs > 0, `${what}: neither documents nor a dead letter`);
    if (dead.length > 0) {
      assert.equal(dead.length, 1, `${what}: ${dead.length} dead letters`);
      assert.equal(docs, 0, `${what}: dead-lettered and also ${docs} documents`);
      assert.ok(DEAD_LETTER_CODES.has(dead[0]!.code ?? ''), `${what}: dead letter code ${dead[0]!.code}`);
      assert.ok((dead[0]!.reason ?? '').trim().length > 0, `${what}: a dead letter without a reason`);
      if (expected[i]?.code !== undefined) assert.equal(dead[0]!.code, expected[i]?.code, what);
    } else {
      assert.equal(docs, expected[i]?.documents, `${what}: documents`);
      mapped++;
    }
  }
  assert.equal(mapped + deadLetters.size, inputs.length);
  console.log(`fuzz-service: ${inputs.length} inputs, ${mapped} mapped (${[...documents.values()].reduce((a, b) => a + b, 0)} documents), ${deadLetters.size} dead letters`);

  const ops = buildOpsApp({ metrics: ctx.metrics, readiness: ctx.app.readiness });
  const ready = await ops.inject({ method: 'GET', url: '/readyz' });
  assert.equal(ready.statusCode, 200, ready.body);
  assert.equal((await ops.inject({ method: 'GET', url: '/livez' })).statusCode, 200);
  await ops.close();
});
