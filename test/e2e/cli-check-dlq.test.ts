/**
 * `pra-pipeline check` and `pra-pipeline dlq` as an operator uses them, on the
 * real servers: check says what answers and what does not (and why), with the
 * documented exit codes; dlq lists dead letters with their reasons and replays
 * chosen ones to the topic they came from.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startSimulator } from '@pra-pipeline/pra-simulator';
import { createKafka, createLogger, deadLetterMessage, ensureTopics, readTopicToEnd, DLQ_HEADERS } from '@pra-pipeline/shared';
import { stackEnv, uniqueName } from '../harness/env.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const stack = stackEnv();
const logger = createLogger({ service: 'test', level: 'silent' });

function cli(args: string[], env: Record<string, string>): Promise<{ code: number | null; out: string }> {
  const base: NodeJS.ProcessEnv = { ...process.env };
  for (const name of Object.keys(base)) if (/^(KAFKA_|SCHEMA_REGISTRY_|ES_|PRA_|HARNESS_)/.test(name)) delete base[name];
  const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', 'src/bin.ts', ...args], { cwd: root, env: { ...base, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, out })));
}

test('check: every dependency answers -> exit 0, one line per dependency, no secret printed', async () => {
  const sim = await startSimulator({ seed: 3, sites: [{ name: 'east', clientId: 'east-id', clientSecret: 'east-secret-value' }] });
  try {
    const { code, out } = await cli(['check'], {
      PRA_URL: sim.siteUrl('east'),
      PRA_ALLOW_INSECURE_HTTP: 'true',
      PRA_SITE_NAME: 'east',
      PRA_CLIENT_ID: 'east-id',
      PRA_CLIENT_SECRET: 'east-secret-value',
      KAFKA_BROKERS: stack.kafkaBrokers.join(','),
      SCHEMA_REGISTRY_URL: stack.schemaRegistryUrl,
      ES_NODE: stack.esNode,
    });
    assert.equal(code, 0, out);
    assert.match(out, /^OK +PRA site east .*token issued/m);
    assert.match(out, /^OK +Kafka .*1 broker\(s\)/m);
    assert.match(out, /^OK +schema registry /m);
    assert.match(out, /^OK +Elasticsearch .*version 8\./m);
    assert.ok(!out.includes('east-secret-value'));
  } finally {
    await sim.stop();
  }
});

test('check: wrong credentials and a closed port -> FAIL with the reason, exit 1; a bad value -> exit 2 naming it', async () => {
  const sim = await startSimulator({ seed: 3, sites: [{ name: 'east', clientId: 'east-id', clientSecret: 'east-secret-value' }] });
  try {
    const failing = await cli(['check'], {
      PRA_URL: sim.siteUrl('east'),
      PRA_ALLOW_INSECURE_HTTP: 'true',
      PRA_SITE_NAME: 'east',
      PRA_CLIENT_ID: 'east-id',
      PRA_CLIENT_SECRET: 'not-the-secret',
      ES_NODE: 'http://127.0.0.1:9',
    });
    assert.equal(failing.code, 1, failing.out);
    assert.match(failing.out, /^FAIL +PRA site east .*401/m);
    assert.match(failing.out, /^FAIL +Elasticsearch /m);
    assert.ok(!failing.out.includes('not-the-secret'));

    const invalid = await cli(['check'], { ES_NODE: stack.esNode, ES_REQUEST_TIMEOUT: 'soon' });
    assert.equal(invalid.code, 2, invalid.out);
    assert.match(invalid.out, /ES_REQUEST_TIMEOUT: "soon" is not a duration/);
  } finally {
    await sim.stop();
  }
});

test('check: passwords written into URLs are printed redacted, and credentials over plain http:// draw a WARN line', async () => {
  const password = `es-url-password-${process.pid}`;
  const registryPassword = `registry-url-password-${process.pid}`;
  const { code, out } = await cli(['check'], {
    ES_NODE: `http://elastic:${password}@127.0.0.1:9`,
    ES_USERNAME: 'elastic',
    ES_PASSWORD: password,
    KAFKA_BROKERS: stack.kafkaBrokers.join(','),
    SCHEMA_REGISTRY_URL: `http://registry-user:${encodeURIComponent(registryPassword)}@127.0.0.1:9/apis/ccompat/v7`,
  });
  assert.equal(code, 1, out);
  for (const secret of [password, registryPassword, encodeURIComponent(registryPassword)]) assert.ok(!out.includes(secret), out);
  assert.match(out, /^FAIL +Elasticsearch \(http:\/\/elastic:\[REDACTED\]@127\.0\.0\.1:9\)/m);
  assert.match(out, /^FAIL +schema registry \(http:\/\/registry-user:\[REDACTED\]@127\.0\.0\.1:9\/apis\/ccompat\/v7\)/m);
  assert.match(out, /^WARN +plaintext credentials: ES_USERNAME\/ES_PASSWORD is sent to http:\/\/elastic:\[REDACTED\]@127\.0\.0\.1:9 over plain http:\/\//m);
});

test('the last-resort handler scrubs what a failing command prints: a registry that quotes the credentials back', async () => {
  const password = `registry-password-${process.pid}`;
  const basic = Buffer.from(`registry-user:${password}`).toString('base64');
  let requests = 0;
  // A registry that answers every request with an error quoting the credentials it was sent, decoded and not.
  const registry = createServer((req, res) => {
    requests++;
    const sent = String(req.headers.authorization ?? '').replace(/^Basic /, '');
    res.writeHead(500, { 'content-type': 'application/vnd.schemaregistry.v1+json' });
    res.end(JSON.stringify({ error_code: 50001, message: `refused ${sent} = ${Buffer.from(sent, 'base64').toString('utf8')}` }));
  });
  await new Promise<void>((resolve) => registry.listen(0, '127.0.0.1', resolve));
  const dataDir = mkdtempSync(join(tmpdir(), 'pra-last-resort-'));
  try {
    const run = uniqueName('last-resort');
    const { code, out } = await cli(['start'], {
      PRA_DATA_DIR: dataDir,
      HTTP_PORT: '0',
      HTTP_HOST: '127.0.0.1',
      KAFKA_BROKERS: stack.kafkaBrokers.join(','),
      ENRICHER_INPUT_TOPIC: `${run}.raw`,
      ENRICHER_OUTPUT_TOPIC: `${run}.ecs`,
      POLLER_RAW_TOPIC: `${run}.raw`,
      POLLER_STATE_TOPIC: `${run}.state`,
      KAFKA_DLQ_TOPIC: `${run}.dlq`,
      SCHEMA_REGISTRY_URL: `http://127.0.0.1:${(registry.address() as AddressInfo).port}`,
      SCHEMA_REGISTRY_USERNAME: 'registry-user',
      SCHEMA_REGISTRY_PASSWORD: password,
    });
    assert.equal(code, 1, out);
    assert.ok(requests > 0, 'the registry was asked');
    assert.match(out, /pra-pipeline start failed: .*refused/);
    for (const secret of [password, basic, `registry-user:${password}`]) assert.ok(!out.includes(secret), `a secret was printed:\n${out}`);
  } finally {
    registry.closeAllConnections();
    await new Promise((resolve) => registry.close(resolve));
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test('dlq: lists dead letters with their reasons and replays the chosen one to its source topic', async () => {
  const run = uniqueName('dlq');
  const dlqTopic = `${run}.dlq`;
  const source = `${run}.raw`;
  const kafka = createKafka({ kafkaBrokers: stack.kafkaBrokers, kafkaClientId: 'dlq-test' }, logger);
  const admin = kafka.admin();
  await admin.connect();
  await ensureTopics(admin, [{ topic: dlqTopic, numPartitions: 1 }, { topic: source, numPartitions: 1 }]);
  await admin.disconnect();
  const producer = kafka.producer({ idempotent: true });
  await producer.connect();
  const letter = (n: number, code: 'PIPE_XML_MALFORMED' | 'PIPE_ES_ITEM_REJECTED') =>
    deadLetterMessage(
      { key: Buffer.from(`east/lsid-${n}`), value: Buffer.from(`<session lsid="lsid-${n}">`), headers: { 'pra.site': 'east' } },
      { stage: code === 'PIPE_XML_MALFORMED' ? 'enricher' : 'sink', errorCode: code, errorType: 'parser_failed', reason: `reason number ${n}`, sourceTopic: source, sourcePartition: 0, sourceOffset: String(n) },
    );
  await producer.send({ topic: dlqTopic, acks: -1, messages: [letter(1, 'PIPE_XML_MALFORMED'), letter(2, 'PIPE_ES_ITEM_REJECTED'), letter(3, 'PIPE_XML_MALFORMED')] });
  await producer.disconnect();
  const env = { KAFKA_BROKERS: stack.kafkaBrokers.join(','), KAFKA_DLQ_TOPIC: dlqTopic, ENRICHER_INPUT_TOPIC: source };

  const list = await cli(['dlq', 'list', '--code', 'PIPE_XML_MALFORMED'], env);
  assert.equal(list.code, 0, list.out);
  assert.match(list.out, /^0:0 .* enricher {2}PIPE_XML_MALFORMED .* from .*\.raw\/0\/1 {2}key=east\/lsid-1\n {4}reason number 1$/m);
  assert.match(list.out, /^0:2 .*key=east\/lsid-3/m);
  assert.ok(!list.out.includes('lsid-2'), 'the filter let another code through');
  assert.match(list.out, /2 dead letter\(s\) in /);

  const replay = await cli(['dlq', 'replay', '--offsets', '0:2'], env);
  assert.equal(replay.code, 0, replay.out);
  assert.match(replay.out, /Replayed 1 record\(s\)\./);
  const replayed: { key: string; value: string; headers: Record<string, string> }[] = [];
  await readTopicToEnd(
    kafka,
    source,
    (m) => replayed.push({ key: String(m.key), value: String(m.value), headers: Object.fromEntries(Object.entries(m.headers ?? {}).map(([k, v]) => [k, String(v)])) }),
    { logger },
  );
  assert.equal(replayed.length, 1);
  assert.equal(replayed[0]!.key, 'east/lsid-3');
  assert.equal(replayed[0]!.value, '<session lsid="lsid-3">');
  const headers = replayed[0]!.headers;
  assert.equal(headers['pra.site'], 'east');
  assert.ok(!(DLQ_HEADERS.reason in headers), 'dead letter headers travelled with the replay');
  // The record says where it was replayed from, when, why it had been dead-lettered, and how often.
  assert.equal(headers['pra.replay.from'], `${dlqTopic}/0/2`);
  assert.equal(headers['pra.replay.error_code'], 'PIPE_XML_MALFORMED');
  assert.equal(headers['pra.replay.count'], '1');
  assert.ok(Math.abs(Date.parse(headers['pra.replay.time'] ?? '') - Date.now()) < 120_000, headers['pra.replay.time']);
  // And the replay is logged, one JSON line per record.
  const audit = replay.out.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { message: string; replay?: Record<string, unknown> });
  assert.deepEqual(
    audit.filter((l) => l.message === 'Replayed a dead letter.').map((l) => l.replay),
    [{ from: `${dlqTopic}/0/2`, to: source, key: 'east/lsid-3', stage: 'enricher', errorCode: 'PIPE_XML_MALFORMED', reason: 'reason number 3', count: 1 }],
  );

  const missing = await cli(['dlq', 'replay', '--offsets', '0:99'], env);
  assert.equal(missing.code, 1);
  assert.match(missing.out, /Not in .*: 0:99/);
  const usage = await cli(['dlq', 'replay'], env);
  assert.equal(usage.code, 2);
});

test('dlq replay writes only to the pipeline\'s input topics: never the cursor topic or another one, nothing when one is refused', async () => {
  const run = uniqueName('dlq-guard');
  const dlqTopic = `${run}.dlq`;
  const raw = `${run}.raw`;
  const enriched = `${run}.ecs`;
  const state = `${run}.state`;
  const kafka = createKafka({ kafkaBrokers: stack.kafkaBrokers, kafkaClientId: 'dlq-test' }, logger);
  const admin = kafka.admin();
  await admin.connect();
  await ensureTopics(admin, [{ topic: dlqTopic, numPartitions: 1 }, { topic: raw, numPartitions: 1 }, { topic: enriched, numPartitions: 1 }, { topic: state, numPartitions: 1 }]);
  await admin.disconnect();
  const producer = kafka.producer({ idempotent: true });
  await producer.connect();
  await producer.send({ topic: state, acks: -1, messages: [{ key: 'east', value: '{"start":1}' }] });
  const letter = (n: number, stage: string, sourceTopic: string) =>
    deadLetterMessage(
      { key: Buffer.from(`east/lsid-${n}`), value: Buffer.from(`value ${n}`), headers: { 'pra.site': 'east' } },
      { stage, errorCode: 'PIPE_XML_MALFORMED', errorType: 'parser_failed', reason: `reason ${n}`, sourceTopic, sourcePartition: 0, sourceOffset: String(n) },
    );
  await producer.send({
    topic: dlqTopic,
    acks: -1,
    messages: [
      letter(0, 'enricher', state), // a crafted dead letter naming the cursor topic
      letter(1, 'enricher', `${run}.elsewhere`), // an unknown topic
      letter(2, 'sink', raw), // the raw topic is not the sink's input
      letter(3, 'enricher', raw), // a good one
      letter(4, 'enricher', dlqTopic), // the dead letter topic itself
    ],
  });
  await producer.disconnect();
  const env = { KAFKA_BROKERS: stack.kafkaBrokers.join(','), KAFKA_DLQ_TOPIC: dlqTopic, ENRICHER_INPUT_TOPIC: raw, POLLER_RAW_TOPIC: raw, ENRICHER_OUTPUT_TOPIC: enriched, SINK_TOPIC: enriched, POLLER_STATE_TOPIC: state };
  const count = async (topic: string) => {
    let n = 0;
    await readTopicToEnd(kafka, topic, () => void n++, { logger });
    return n;
  };

  const all = await cli(['dlq', 'replay', '--all'], env);
  assert.equal(all.code, 1, all.out);
  assert.match(all.out, /^0:0 cannot be replayed: its source topic ".*\.state" is the poller's cursor topic \(POLLER_STATE_TOPIC\)\.$/m);
  assert.match(all.out, /^0:1 cannot be replayed: its source topic ".*\.elsewhere" is not the enricher's input topic/m);
  assert.match(all.out, /^0:2 cannot be replayed: its source topic ".*\.raw" is not the sink's input topic/m);
  assert.match(all.out, /^0:4 cannot be replayed: its source topic ".*\.dlq" is the dead letter topic itself\.$/m);
  assert.doesNotMatch(all.out, /^0:3 /m);
  assert.match(all.out, /Nothing was replayed\./);
  assert.equal(await count(raw), 0, 'the good one was not sent either');
  assert.equal(await count(state), 1, 'nothing reached the cursor topic');

  const cursorOnly = await cli(['dlq', 'replay', '--offsets', '0:0'], env);
  assert.equal(cursorOnly.code, 1, cursorOnly.out);
  assert.equal(await count(state), 1);

  const good = await cli(['dlq', 'replay', '--offsets', '0:3'], env);
  assert.equal(good.code, 0, good.out);
  assert.equal(await count(raw), 1);
});

test('dlq replay to a topic that does not exist ends in one clear line', async () => {
  const run = uniqueName('dlq-missing');
  const dlqTopic = `${run}.dlq`;
  const kafka = createKafka({ kafkaBrokers: stack.kafkaBrokers, kafkaClientId: 'dlq-test' }, logger);
  const admin = kafka.admin();
  await admin.connect();
  await ensureTopics(admin, [{ topic: dlqTopic, numPartitions: 1 }]);
  await admin.disconnect();
  const producer = kafka.producer({ idempotent: true });
  await producer.connect();
  await producer.send({
    topic: dlqTopic,
    acks: -1,
    messages: [deadLetterMessage({ key: Buffer.from('k'), value: Buffer.from('v'), headers: {} }, { stage: 'enricher', errorCode: 'PIPE_XML_MALFORMED', errorType: 'parser_failed', reason: 'r', sourceTopic: `${run}.raw`, sourcePartition: 0, sourceOffset: '0' })],
  });
  await producer.disconnect();
  const { code, out } = await cli(['dlq', 'replay', '--all'], { KAFKA_BROKERS: stack.kafkaBrokers.join(','), KAFKA_DLQ_TOPIC: dlqTopic, ENRICHER_INPUT_TOPIC: `${run}.raw` });
  assert.equal(code, 1, out);
  assert.match(out, new RegExp(`^Topic ${run}\\.raw does not exist; nothing was replayed\\.$`, 'm'));
  assert.doesNotMatch(out, /^\s+at /m, 'a stack trace was printed');
});
