/**
 * A session that grows over several polls: the raw topic gets one record per
 * version of it, each saying how many events earlier records carried, and the
 * enriched topic, read committed, holds each event of the appliance exactly once.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createKafka, createLogger, createRegistry, decodeValue, headerString, Metrics, readTopicToEnd, RECORD_HEADERS, type Logger } from '@pra-pipeline/shared';
import { buildEnricher, type EnricherApp, loadEnricherConfig } from '@pra-pipeline/enricher';
import { PollerApp, loadPollerConfig } from '@pra-pipeline/poller';
import { startSimulator, type Simulator } from '@pra-pipeline/pra-simulator';
import { stackEnv, uniqueName } from '../harness/env.js';
import { compareIds, countIds, pipelineEnv, settle } from './support.js';

const stack = stackEnv();
const logger: Logger = createLogger({ service: 'e2e', level: (process.env.TEST_LOG_LEVEL as 'info' | undefined) ?? 'silent' });
const run = uniqueName('once');
const env = pipelineEnv(run, stack);
const kafka = createKafka({ kafkaBrokers: stack.kafkaBrokers, kafkaClientId: 'events-once-reader' }, logger);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let simulator: Simulator;
let poller: PollerApp;
let enricher: EnricherApp;
let ahead = 0;

before(async () => {
  simulator = await startSimulator({
    seed: 5,
    clock: { start: Date.parse('2024-06-01T12:00:00Z') },
    historySeconds: 600,
    sites: [{ name: 'grow', clientId: 'grow-client', clientSecret: 'grow-secret-value' }],
    // Long sessions with many events: most are seen running over many polls.
    profile: { sessionsPerMinute: 0.5, eventsPerSession: 30, runningShare: 0.6, sessionMinutes: 12 },
  });
  env.PRA_SITES = JSON.stringify(simulator.sites.map((s) => ({ name: s.pollerSite, url: s.url, client_id: s.clientId, client_secret: s.clientSecret, allow_insecure_http: true })));
  const metrics = new Metrics({ defaultMetrics: false });
  enricher = buildEnricher(loadEnricherConfig({ env }).config, { logger, metrics });
  poller = new PollerApp({ config: loadPollerConfig({ env }), logger, metrics, now: () => simulator.clock.now() + ahead });
  await enricher.start();
  await poller.start();
});

after(async () => {
  await poller?.stop();
  await enricher?.stop(10_000);
  await simulator?.stop();
});

interface RawVersion {
  offset: bigint;
  publishedBefore: number;
  events: number;
}

test('a growing session: raw records with rising published-before counts, each event once on the enriched topic', async () => {
  // Twenty simulated minutes, a poll or more each: sessions start, grow and end.
  for (let i = 0; i < 20; i++) {
    simulator.clock.advance(60_000);
    await sleep(1200);
  }
  ahead = 60_000;
  const expected = new Set(simulator.expectedEventIds());

  const registry = createRegistry({ schemaRegistryUrl: stack.schemaRegistryUrl });
  const readEnriched = async () => {
    const values: Buffer[] = [];
    await readTopicToEnd(kafka, `${run}.ecs`, (m) => void (m.value && values.push(m.value)), { logger }).catch((err: Error) => {
      if (!/does not host this topic-partition|not exist/i.test(err.message)) throw err;
    });
    const ids = await Promise.all(values.map(async (v) => (await decodeValue<{ event: { id: string } }>(registry, v)).event.id));
    return { records: ids.length, ...compareIds(expected, countIds(ids)) };
  };
  const final = await settle(readEnriched, (c) => c.missing === 0, 120_000, 1000);
  assert.deepEqual({ missing: final.missing, duplicated: final.duplicated, extra: final.extra }, { missing: 0, duplicated: 0, extra: 0 });
  assert.equal(final.records, expected.size, 'one record per event on the enriched topic');

  // The raw topic: every version of a session says how many events the versions before it carried.
  const versions = new Map<string, RawVersion[]>();
  await readTopicToEnd(
    kafka,
    `${run}.raw`,
    (m) => {
      const key = m.key!.toString();
      const list = versions.get(key) ?? [];
      list.push({
        offset: BigInt(m.offset),
        publishedBefore: Number(headerString(m.headers?.[RECORD_HEADERS.publishedBefore])),
        events: (m.value!.toString().match(/<(?:[\w.-]+:)?event\s/g) ?? []).length,
      });
      versions.set(key, list);
    },
    { logger },
  );
  const longest = Math.max(...[...versions.values()].map((v) => v.length));
  assert.ok(longest >= 5, `some session should have been published in five versions or more (at most ${longest})`);
  for (const [key, list] of versions) {
    list.sort((a, b) => (a.offset < b.offset ? -1 : 1));
    assert.equal(list[0]!.publishedBefore, 0, `${key}: the first version carries only new events`);
    for (let i = 1; i < list.length; i++) {
      assert.equal(list[i]!.publishedBefore, list[i - 1]!.events, `${key}: version ${i + 1} counts the events of version ${i}`);
      assert.ok(list[i]!.publishedBefore > list[i - 1]!.publishedBefore || list[i]!.events === list[i - 1]!.events, `${key}: counts rise while it grows`);
    }
  }
  const rawEvents = [...versions.values()].reduce((n, list) => n + list.reduce((m, v) => m + v.events, 0), 0);
  assert.ok(rawEvents > expected.size, `the raw topic repeats the sessions' earlier events (${rawEvents} for ${expected.size}); the enriched topic does not`);
});
