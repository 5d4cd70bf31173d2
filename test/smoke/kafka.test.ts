/**
 * Smoke tests against the real Kafka broker: a consumer group with manual
 * offset commits, transactions seen through read-committed and
 * read-uncommitted consumers, and the SASL listener's mechanisms.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Kafka, logLevel, type Admin, type Consumer, type KafkaConfig, type SASLOptions } from 'kafkajs';
import { createTransactionalProducer, ensureTopics } from '@pra-pipeline/shared';
import { stackEnv, uniqueName } from '../harness/env.js';

const env = stackEnv();
const client = (extra: Partial<KafkaConfig> = {}) =>
  new Kafka({ clientId: uniqueName('smoke'), brokers: env.kafkaBrokers, logLevel: logLevel.NOTHING, ...extra });

/** Consumes `topic` from the beginning until `done(values)` holds; returns the values seen. */
async function consumeUntil(consumer: Consumer, topic: string, done: (values: string[]) => boolean): Promise<string[]> {
  const values: string[] = [];
  await consumer.subscribe({ topic, fromBeginning: true });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`Timed out on ${topic}; saw ${JSON.stringify(values)}`)), 60_000);
    void consumer
      .run({
        eachMessage: async ({ message }) => {
          values.push(message.value?.toString() ?? '');
          if (done(values)) {
            clearTimeout(timer);
            resolve();
          }
        },
      })
      .catch(reject);
  });
  return values;
}

describe('Kafka', () => {
  const kafka = client();
  // A short fetch wait: disconnect() waits for the fetch in flight.
  const consumer = (groupId: string, readUncommitted = false) => kafka.consumer({ groupId, readUncommitted, maxWaitTimeInMs: 200 });
  let admin: Admin;
  const cleanup: (() => Promise<unknown>)[] = [];

  before(async () => {
    admin = kafka.admin();
    await admin.connect();
  });
  after(async () => {
    for (const fn of cleanup.reverse()) await fn().catch(() => undefined);
    await admin.disconnect();
  });

  async function topic(partitions: number): Promise<string> {
    const name = uniqueName('smoke-topic');
    assert.deepEqual(await ensureTopics(admin, [{ topic: name, numPartitions: partitions, replicationFactor: 1 }]), [name]);
    cleanup.push(() => admin.deleteTopics({ topics: [name] }));
    return name;
  }

  test('produces and consumes with a consumer group and manual offset commits', async () => {
    const name = await topic(2);
    const groupId = uniqueName('smoke-group');
    const producer = kafka.producer({ allowAutoTopicCreation: false });
    await producer.connect();
    cleanup.push(() => producer.disconnect());
    const sent = Array.from({ length: 10 }, (_, i) => `m${i}`);
    await producer.send({ topic: name, messages: sent.map((value, i) => ({ key: `k${i}`, value })) });

    const first = consumer(groupId);
    await first.connect();
    cleanup.push(() => first.disconnect());
    const values: string[] = [];
    await first.subscribe({ topic: name, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`Timed out; saw ${JSON.stringify(values)}`)), 60_000);
      void first
        .run({
          autoCommit: false,
          eachMessage: async ({ topic: t, partition, message }) => {
            values.push(message.value!.toString());
            await first.commitOffsets([{ topic: t, partition, offset: (BigInt(message.offset) + 1n).toString() }]);
            if (values.length === sent.length) {
              clearTimeout(timer);
              resolve();
            }
          },
        })
        .catch(reject);
    });
    await first.disconnect();
    assert.deepEqual([...values].sort(), [...sent].sort());

    // The group's committed offsets are the partitions' ends: nothing left to read.
    const ends = await admin.fetchTopicOffsets(name);
    const [committed] = await admin.fetchOffsets({ groupId, topics: [name] });
    for (const end of ends) {
      const c = committed!.partitions.find((p) => p.partition === end.partition);
      assert.equal(c?.offset, end.high, `partition ${end.partition}`);
    }

    // A new member of the group starts from the commits: it sees only what comes after.
    await producer.send({ topic: name, messages: [{ key: 'k0', value: 'after-commit' }] });
    const second = consumer(groupId);
    await second.connect();
    cleanup.push(() => second.disconnect());
    const seen = await consumeUntil(second, name, (v) => v.includes('after-commit'));
    assert.deepEqual(seen, ['after-commit']);
  });

  test('a read-committed consumer sees committed transactions only', async () => {
    const name = await topic(1);
    const producer = createTransactionalProducer(kafka, uniqueName('smoke-tx'), 30_000);
    await producer.connect();
    cleanup.push(() => producer.disconnect());

    const committed = await producer.transaction();
    await committed.send({ topic: name, messages: [{ value: 'c1' }, { value: 'c2' }] });
    await committed.commit();
    const aborted = await producer.transaction();
    await aborted.send({ topic: name, messages: [{ value: 'a1' }, { value: 'a2' }] });
    await aborted.abort();
    const last = await producer.transaction();
    await last.send({ topic: name, messages: [{ value: 'end' }] });
    await last.commit();

    const readCommitted = consumer(uniqueName('smoke-rc'));
    await readCommitted.connect();
    cleanup.push(() => readCommitted.disconnect());
    assert.deepEqual(await consumeUntil(readCommitted, name, (v) => v.includes('end')), ['c1', 'c2', 'end']);

    // The aborted records are in the log all the same: a read-uncommitted consumer gets them.
    const readUncommitted = consumer(uniqueName('smoke-ru'), true);
    await readUncommitted.connect();
    cleanup.push(() => readUncommitted.disconnect());
    assert.deepEqual(await consumeUntil(readUncommitted, name, (v) => v.includes('end')), ['c1', 'c2', 'a1', 'a2', 'end']);
  });

  describe('SASL listener', () => {
    const brokers = env.kafkaSaslBrokers;
    assert.ok(brokers, 'KAFKA_SASL_BROKERS is not set');
    const saslAdmin = (sasl: SASLOptions) => client({ brokers, sasl, retry: { retries: 0 } }).admin();

    for (const mechanism of ['plain', 'scram-sha-256', 'scram-sha-512'] as const) {
      test(`${mechanism}: accepts the right password and rejects a wrong one`, async () => {
        const good = saslAdmin({ mechanism, username: env.kafkaSaslUsername, password: env.kafkaSaslPassword } as SASLOptions);
        await good.connect();
        try {
          assert.ok(Array.isArray(await good.listTopics()));
        } finally {
          await good.disconnect();
        }

        const bad = saslAdmin({ mechanism, username: env.kafkaSaslUsername, password: 'wrong-password' } as SASLOptions);
        await assert.rejects(bad.connect(), (err: Error) => {
          assert.match(err.name, /SASLAuthentication/);
          return true;
        });
        await bad.disconnect();
      });
    }
  });
});
