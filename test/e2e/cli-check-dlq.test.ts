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
  const env = { KAFKA_BROKERS: stack.kafkaBrokers.join(','), KAFKA_DLQ_TOPIC: dlqTopic };

  const list = await cli(['dlq', 'list', '--code', 'PIPE_XML_MALFORMED'], env);
  assert.equal(list.code, 0, list.out);
  assert.match(list.out, /^0:0 .* enricher {2}PIPE_XML_MALFORMED .* from .*\.raw\/0\/1 {2}key=east\/lsid-1\n {4}reason number 1$/m);
  assert.match(list.out, /^0:2 .*key=east\/lsid-3/m);
  assert.ok(!list.out.includes('lsid-2'), 'the filter let another code through');
  assert.match(list.out, /2 dead letter\(s\) in /);

  const replay = await cli(['dlq', 'replay', '--offsets', '0:2'], env);
  assert.equal(replay.code, 0, replay.out);
  assert.match(replay.out, /Replayed 1 record\(s\)\./);
  const replayed: { key: string; value: string; headers: string[] }[] = [];
  await readTopicToEnd(kafka, source, (m) => replayed.push({ key: String(m.key), value: String(m.value), headers: Object.keys(m.headers ?? {}) }), { logger });
  assert.equal(replayed.length, 1);
  assert.equal(replayed[0]!.key, 'east/lsid-3');
  assert.equal(replayed[0]!.value, '<session lsid="lsid-3">');
  assert.ok(replayed[0]!.headers.includes('pra.site'));
  assert.ok(!replayed[0]!.headers.includes(DLQ_HEADERS.reason), 'dead letter headers travelled with the replay');

  const missing = await cli(['dlq', 'replay', '--offsets', '0:99'], env);
  assert.equal(missing.code, 1);
  assert.match(missing.out, /Not in .*: 0:99/);
  const usage = await cli(['dlq', 'replay'], env);
  assert.equal(usage.code, 2);
});
