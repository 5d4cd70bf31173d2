/**
 * The Kafka client's send path on retry (patches/kafkajs+2.2.4.patch). A send
 * that spans brokers and fails on one of them is retried; the retry must send
 * only what no broker has acknowledged. The broker here is a model of Kafka's
 * idempotent append: a batch whose first sequence was already appended for the
 * partition is a duplicate and is not appended again, any other is.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const createSendMessages = require('kafkajs/src/producer/sendMessages') as (options: unknown) => (request: unknown) => Promise<unknown[]>;
const createRetry = require('kafkajs/src/retry') as (options: unknown) => unknown;
type ErrorClass = new (message: string) => Error;
const { KafkaJSConnectionError, KafkaJSProtocolError } = require('kafkajs/src/errors') as { KafkaJSConnectionError: ErrorClass; KafkaJSProtocolError: ErrorClass };
const { createErrorFromCode } = require('kafkajs/src/protocol/error') as { createErrorFromCode(code: number): Error };

type Batch = { partition: number; firstSequence: number; messages: { value: string }[] };
type Log = Map<string, { sequences: Set<number>; values: string[] }>;

/** What each partition holds: appended values in order, and the first sequences seen. */
function append(log: Log, topic: string, batch: Batch): void {
  const key = `${topic}/${batch.partition}`;
  const entry = log.get(key) ?? { sequences: new Set<number>(), values: [] };
  if (!entry.sequences.has(batch.firstSequence)) {
    entry.sequences.add(batch.firstSequence);
    entry.values.push(...batch.messages.map((m) => m.value));
  }
  log.set(key, entry);
}

interface Scenario {
  /** Leader of each partition, per metadata refresh (the last one stays). */
  leaders: Record<number, number>[];
  /** Fails the n-th produce request to a node (counted from 0) before it reaches the log. */
  fail(nodeId: number, request: number): Error | undefined;
  /** A reconnect hands out new Broker objects, as the client's broker pool does. */
  newBrokersOnRefresh: boolean;
}

function cluster(scenario: Scenario, log: Log) {
  let refreshes = 0;
  let generation = 0;
  const requests = new Map<number, number>();
  const brokers = new Map<string, object>();
  const leaders = () => scenario.leaders[Math.min(refreshes, scenario.leaders.length - 1)]!;
  const broker = (nodeId: number) => {
    const id = `${generation}/${nodeId}`;
    if (!brokers.has(id)) {
      brokers.set(id, {
        nodeId,
        async produce({ topicData }: { topicData: { topic: string; partitions: Batch[] }[] }) {
          const n = requests.get(nodeId) ?? 0;
          requests.set(nodeId, n + 1);
          const error = scenario.fail(nodeId, n);
          if (error) throw error;
          for (const { topic, partitions } of topicData) for (const batch of partitions) append(log, topic, batch);
          return { topics: topicData.map(({ topic, partitions }) => ({ topicName: topic, partitions: partitions.map((p) => ({ partition: p.partition, errorCode: 0, baseOffset: '0' })) })) };
        },
      });
    }
    return brokers.get(id)!;
  };
  return {
    targetTopics: new Set<string>(),
    async addMultipleTargetTopics() {},
    async refreshMetadataIfNecessary() {},
    async refreshMetadata() {
      refreshes += 1;
      if (scenario.newBrokersOnRefresh) generation += 1;
    },
    isConnected: () => true,
    async connect() {},
    removeBroker() {},
    findTopicPartitionMetadata: () => Object.entries(leaders()).map(([partitionId, leader]) => ({ partitionId: Number(partitionId), leader })),
    findLeaderForPartitions(_topic: string, partitions: number[]) {
      const result: Record<number, number[]> = {};
      for (const p of partitions) (result[leaders()[Number(p)]!] ??= []).push(Number(p));
      return result;
    },
    findBroker: async ({ nodeId }: { nodeId: string }) => broker(Number(nodeId)),
  };
}

function eosManager() {
  const sequences = new Map<string, number>();
  return {
    isTransactional: () => true,
    getTransactionalId: () => 'txn',
    getProducerId: () => 1,
    getProducerEpoch: () => 0,
    async addPartitionsToTransaction() {},
    async acquireBrokerLock() {},
    async releaseBrokerLock() {},
    getSequence: (topic: string, partition: number) => sequences.get(`${topic}/${partition}`) ?? 0,
    updateSequence(topic: string, partition: number, increment: number) {
      const key = `${topic}/${partition}`;
      sequences.set(key, (sequences.get(key) ?? 0) + increment);
    },
  };
}

const silent = { debug() {}, info() {}, warn() {}, error() {} };

async function send(scenario: Scenario, values: { key: string; value: string; partition: number }[]) {
  const log: Log = new Map();
  const sendMessages = createSendMessages({
    logger: silent,
    cluster: cluster(scenario, log),
    partitioner: ({ message }: { message: { partition: number } }) => message.partition,
    eosManager: eosManager(),
    retrier: createRetry({ retries: 5, initialRetryTime: 1, maxRetryTime: 2 }),
  });
  const responses = await sendMessages({ acks: -1, timeout: 1000, compression: 0, topicMessages: [{ topic: 't', messages: values }] });
  return { log, responses };
}

const messages = [
  { key: 'a', value: 'a', partition: 0 },
  { key: 'b', value: 'b', partition: 1 },
  { key: 'c', value: 'c', partition: 0 },
  { key: 'd', value: 'd', partition: 1 },
];

function contents(log: Log): Record<string, string[]> {
  return Object.fromEntries([...log.entries()].sort().map(([key, entry]) => [key, entry.values]));
}

test('a retry after a reconnect does not append again what the other broker acknowledged', async () => {
  const { log, responses } = await send(
    { leaders: [{ 0: 1, 1: 2 }], newBrokersOnRefresh: true, fail: (node, n) => (node === 2 && n === 0 ? new KafkaJSConnectionError('reset') : undefined) },
    messages,
  );
  assert.deepEqual(contents(log), { 't/0': ['a', 'c'], 't/1': ['b', 'd'] });
  assert.equal(responses.length, 2, 'one response entry per partition');
});

test('a retry after a leader change sends the moved partition to its new leader, once', async () => {
  const notLeader = createErrorFromCode(6);
  assert.ok(notLeader instanceof KafkaJSProtocolError);
  const { log } = await send(
    { leaders: [{ 0: 1, 1: 2 }, { 0: 1, 1: 1 }], newBrokersOnRefresh: false, fail: (node, n) => (node === 2 && n === 0 ? notLeader : undefined) },
    messages,
  );
  assert.deepEqual(contents(log), { 't/0': ['a', 'c'], 't/1': ['b', 'd'] });
});

test('a request that fails before the broker has it is sent again under the same sequence', async () => {
  const { log } = await send(
    { leaders: [{ 0: 1, 1: 1 }], newBrokersOnRefresh: true, fail: (_node, n) => (n < 2 ? new KafkaJSConnectionError('reset') : undefined) },
    messages,
  );
  assert.deepEqual(contents(log), { 't/0': ['a', 'c'], 't/1': ['b', 'd'] });
  assert.deepEqual([...log.get('t/0')!.sequences], [0]);
});

test('each message keeps the partition it was given at the first attempt', async () => {
  let calls = 0;
  const log: Log = new Map();
  const sendMessages = createSendMessages({
    logger: silent,
    cluster: cluster({ leaders: [{ 0: 1, 1: 2 }], newBrokersOnRefresh: true, fail: (node, n) => (node === 2 && n === 0 ? new KafkaJSConnectionError('reset') : undefined) }, log),
    // A partitioner that would move every message on a second call (round robin).
    partitioner: () => (calls++ < 2 ? calls - 1 : 1 - ((calls - 1) % 2)),
    eosManager: eosManager(),
    retrier: createRetry({ retries: 5, initialRetryTime: 1, maxRetryTime: 2 }),
  });
  await sendMessages({ acks: -1, timeout: 1000, compression: 0, topicMessages: [{ topic: 't', messages: [{ value: 'x' }, { value: 'y' }] }] });
  assert.deepEqual(contents(log), { 't/0': ['x'], 't/1': ['y'] });
});
