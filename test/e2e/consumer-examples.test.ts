/**
 * The consumer examples of docs/consuming.md, run as their readers run them,
 * against the real broker and registry. The real enricher turns raw session
 * records into documents on a topic of this test; each example then reads
 * every event once, with its `<site>/<lsid>` key, one session on one partition
 * in position order; the same group reads nothing more, and after a reset of
 * its offsets (a replay) it reads the same ids again.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createKafka, createLogger, Metrics, readTopicToEnd, RECORD_HEADERS, type Kafka } from '@pra-pipeline/shared';
import { buildEnricher, type EnricherApp, loadEnricherConfig, recordsToDocuments, xmlToRecords } from '@pra-pipeline/enricher';
import { stackEnv, testdataDir, uniqueName } from '../harness/env.js';
import { settle } from './support.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const stack = stackEnv();
const run = uniqueName('consumers');
const topics = { raw: `${run}.raw`, ecs: `${run}.ecs`, dlq: `${run}.dlq` };
const quiet = createLogger({ service: 'test', level: (process.env.TEST_LOG_LEVEL as 'info' | undefined) ?? 'silent' });
const FETCHED_AT = '2024-04-04T15:00:00.000Z';
const EVENTS_PER_SESSION = 6;

/** The Python of the venv `.ci/run` makes (PRA_CONSUMER_VENV names another one). */
const venv = process.env.PRA_CONSUMER_VENV ?? join(root, '.venv-consumers');
const python = join(venv, 'bin', 'python');

interface Session {
  site: string;
  lsid: string;
  xml: string;
}

/** The test data's session with its own lsid and EVENTS_PER_SESSION events one second apart. */
function session(site: string, lsid: string): Session {
  const report = readFileSync(join(testdataDir(), 'pra', 'report-single-session.xml'), 'utf8');
  const one = report.slice(report.indexOf('<session>'), report.lastIndexOf('</session>') + '</session>'.length);
  const event = one.match(/<event [\s\S]*?<\/event>/)![0];
  const events = Array.from({ length: EVENTS_PER_SESSION }, (_, i) =>
    event.replace(/timestamp="[^"]*"/, `timestamp="2024-04-04T13:30:${String(i * 7).padStart(2, '0')}Z"`),
  ).join('');
  return { site, lsid, xml: one.replace('<session>', `<session lsid="${lsid}">`).replace(event, events) };
}

const sessions = ['east', 'west'].flatMap((site) => Array.from({ length: 5 }, (_, i) => session(site, `${site}-lsid-${i}`)));

/** event.id -> key, as stage A and B compute them for each session (the enricher's own mapping). */
const expected = new Map<string, string>();
for (const s of sessions) {
  for (const doc of recordsToDocuments(xmlToRecords(s.xml), { site: s.site, fetchedAt: FETCHED_AT })) {
    expected.set((doc.event as { id: string }).id, `${s.site}/${s.lsid}`);
  }
}

let kafka: Kafka;
let enricher: EnricherApp;

before(async () => {
  const { config } = loadEnricherConfig({
    env: {
      KAFKA_BROKERS: stack.kafkaBrokers.join(','),
      SCHEMA_REGISTRY_URL: stack.schemaRegistryUrl,
      ENRICHER_INPUT_TOPIC: topics.raw,
      ENRICHER_OUTPUT_TOPIC: topics.ecs,
      KAFKA_DLQ_TOPIC: topics.dlq,
      ENRICHER_GROUP_ID: `${run}-enricher`,
      KAFKA_TOPIC_PARTITIONS: '3',
      GEOIP_DIR: join(testdataDir(), 'geoip'),
      HTTP_PORT: '0',
    },
  });
  kafka = createKafka(config, quiet);
  enricher = buildEnricher(config, { logger: quiet, metrics: new Metrics({ defaultMetrics: false }) });
  await enricher.start();

  const producer = kafka.producer({ idempotent: true });
  await producer.connect();
  await producer.send({
    topic: topics.raw,
    acks: -1,
    messages: sessions.map((s) => ({
      key: `${s.site}/${s.lsid}`,
      value: s.xml,
      headers: {
        [RECORD_HEADERS.site]: s.site,
        [RECORD_HEADERS.siteHost]: `${s.site}.example.com`,
        [RECORD_HEADERS.namespace]: 'consumers',
        [RECORD_HEADERS.fetchedAt]: FETCHED_AT,
        [RECORD_HEADERS.contentType]: 'application/xml',
      },
    })),
  });
  await producer.disconnect();

  // The examples start once the enricher has published every document (read committed).
  const count = async () => {
    let n = 0;
    await readTopicToEnd(kafka, topics.ecs, () => void n++, { logger: quiet });
    return n;
  };
  const published = await settle(count, (n) => n >= expected.size, 90_000, 1000);
  assert.equal(published, expected.size, 'the enricher should publish one document per event');
});

after(async () => {
  await enricher?.stop(10_000);
});

interface Line {
  key: string;
  partition: number;
  offset: string | number;
  headers: Record<string, string | null>;
  document: { '@timestamp': string; event: { id: string }; observer?: { hostname?: string } };
}

/** Runs an example to its end; its stdout as parsed lines (each line must be JSON). */
function runExample(command: string, args: string[], env: Record<string, string>): Promise<Line[]> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { cwd: root, env: { PATH: process.env.PATH, ...env }, timeout: 120_000, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`${command} ${args.join(' ')} failed: ${err.message}\n${stderr}`));
      const lines = stdout.split('\n').filter((l) => l.length > 0);
      try {
        resolve(lines.map((l) => JSON.parse(l) as Line));
      } catch (parseError) {
        reject(new Error(`A line of output is not JSON: ${(parseError as Error).message}\n${stdout.slice(0, 2000)}`));
      }
    });
  });
}

/** The examples' connection settings: the harness's SASL listener, with the given mechanism. */
function connection(mechanism: string): Record<string, string> {
  assert.ok(stack.kafkaSaslBrokers, "KAFKA_SASL_BROKERS must name the harness's SASL listener");
  return {
    KAFKA_BROKERS: stack.kafkaSaslBrokers.join(','),
    KAFKA_SASL_MECHANISM: mechanism,
    KAFKA_SASL_USERNAME: stack.kafkaSaslUsername,
    KAFKA_SASL_PASSWORD: stack.kafkaSaslPassword,
    SCHEMA_REGISTRY_URL: stack.schemaRegistryUrl,
    TOPIC: topics.ecs,
  };
}

const node = (env: Record<string, string>) =>
  runExample(process.execPath, ['--import', 'tsx', 'examples/consumers/node/consume.ts'], { ...connection('SCRAM-SHA-256'), ...env });

function pythonExample(env: Record<string, string>): Promise<Line[]> {
  assert.ok(
    existsSync(python),
    `No Python venv for the consumer examples at ${venv}. .ci/run makes it; by hand: ` +
      'python3 -m venv .venv-consumers && .venv-consumers/bin/pip install -r examples/consumers/python/requirements.txt ' +
      '(or set PRA_CONSUMER_VENV to a venv with those requirements).',
  );
  return runExample(python, ['examples/consumers/python/consume.py'], { ...connection('SCRAM-SHA-512'), ...env });
}

/** What every reader must see: each expected event once under its session's key, sessions on one partition, in order. */
function assertReadsEveryEventOnce(lines: Line[]): void {
  const seen = new Map<string, number>();
  for (const line of lines) seen.set(line.document.event.id, (seen.get(line.document.event.id) ?? 0) + 1);
  const duplicated = [...seen].filter(([, n]) => n > 1).map(([id]) => id);
  const missing = [...expected.keys()].filter((id) => !seen.has(id));
  const extra = [...seen.keys()].filter((id) => !expected.has(id));
  assert.deepEqual({ missing, duplicated, extra }, { missing: [], duplicated: [], extra: [] });
  assert.equal(lines.length, expected.size);

  const bySession = new Map<string, Line[]>();
  for (const line of lines) {
    assert.equal(line.key, expected.get(line.document.event.id), `event ${line.document.event.id} has the key of its session`);
    const site = line.key.split('/')[0]!;
    assert.equal(line.headers[RECORD_HEADERS.site], site, 'the site header travels with the document');
    assert.equal(line.headers[RECORD_HEADERS.contentType], undefined, 'the raw content type is not forwarded');
    assert.equal(line.document.observer?.hostname, `${site}.example.com`);
    bySession.set(line.key, [...(bySession.get(line.key) ?? []), line]);
  }
  assert.equal(bySession.size, sessions.length);
  for (const [key, docs] of bySession) {
    assert.equal(new Set(docs.map((d) => d.partition)).size, 1, `${key}: one partition`);
    const byOffset = [...docs].sort((a, b) => Number(a.offset) - Number(b.offset));
    const times = byOffset.map((d) => d.document['@timestamp']);
    assert.deepEqual(times, [...times].sort(), `${key}: documents in position order`);
    assert.equal(new Set(times).size, EVENTS_PER_SESSION);
  }
}

const examples = [
  { name: 'Node (kafkajs, over SASL SCRAM-SHA-256)', run: node },
  { name: 'Python (confluent-kafka, JSONDeserializer with the registry, over SASL SCRAM-SHA-512)', run: pythonExample },
];

for (const example of examples) {
  test(`the ${example.name} example reads each event once; its group then has nothing more to read`, async () => {
    const group = uniqueName(`${run}-all`);
    assertReadsEveryEventOnce(await example.run({ GROUP_ID: group, IDLE_TIMEOUT_MS: '10000' }));
    const again = await example.run({ GROUP_ID: group, IDLE_TIMEOUT_MS: '6000' });
    assert.equal(again.length, 0, 'the group committed what it printed');
  });

  test(`the ${example.name} example stops after MAX_RECORDS and commits only what it printed`, async () => {
    const group = uniqueName(`${run}-part`);
    const part = await example.run({ GROUP_ID: group, MAX_RECORDS: '7', IDLE_TIMEOUT_MS: '30000' });
    assert.equal(part.length, 7);
    const rest = await example.run({ GROUP_ID: group, IDLE_TIMEOUT_MS: '6000' });
    assertReadsEveryEventOnce([...part, ...rest]);
  });
}

test("a replay: once its group's offsets are reset, the Node example reads the same ids again", async () => {
  const group = uniqueName(`${run}-replay`);
  const first = await node({ GROUP_ID: group, MAX_RECORDS: String(expected.size), IDLE_TIMEOUT_MS: '30000' });
  assertReadsEveryEventOnce(first);
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.resetOffsets({ groupId: group, topic: topics.ecs, earliest: true });
  } finally {
    await admin.disconnect();
  }
  const replay = await node({ GROUP_ID: group, MAX_RECORDS: String(expected.size), IDLE_TIMEOUT_MS: '30000' });
  assertReadsEveryEventOnce(replay);
  assert.deepEqual(replay.map((l) => l.document.event.id).sort(), first.map((l) => l.document.event.id).sort());
});
