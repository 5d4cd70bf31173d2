/**
 * After a commit whose outcome it did not learn, the poller calls `recover`:
 * on the real broker this settles the site's open transaction (a new producer
 * with the same transactional id) and returns the cursor that is committed, so
 * neither a committed unit is published again nor an uncommitted one skipped.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { KafkaPublisher } from '../../src/kafka-publisher.js';
import { newCursor } from '../../src/cursor.js';
import { allRecords, quietLogger, testKafka, testTopics } from './helpers.js';

test('recover returns the committed cursor, and a transaction left open is aborted, not committed', async () => {
  const { kafka } = testKafka();
  const topics = testTopics();
  const options = {
    kafka,
    logger: quietLogger,
    rawTopic: topics.raw,
    stateTopic: topics.state,
    dlqTopic: topics.dlq,
    transactionalIdPrefix: topics.prefix,
    transactionTimeoutMs: 60_000,
    compression: 'none' as const,
    createTopics: true,
    partitions: 1,
    replicationFactor: 1,
    rawTopicMaxMessageBytes: 1 << 20,
    dlqMaxMessageBytes: 1 << 20,
  };
  const publisher = new KafkaPublisher(options);
  after(() => publisher.close());
  await publisher.start(['site']);
  const record = (key: string) => ({ destination: 'raw' as const, key, value: Buffer.from(`<session lsid="${key}"/>`), headers: {} });

  const committed = { ...newCursor('site', 1000), start: 2000 };
  const first = await publisher.begin('site');
  await first.send([record('site/committed')]);
  await first.commit(committed);

  // A unit whose commit never got through: its records are in an open transaction.
  const open = await publisher.begin('site');
  await open.send([record('site/never-committed')]);

  const recovered = await publisher.recover('site');
  assert.equal(recovered?.start, 2000, 'the cursor committed last');
  // The publisher goes on with its new producer.
  const next = await publisher.begin('site');
  await next.send([record('site/after')]);
  await next.commit({ ...committed, start: 3000 });

  const keys = (await allRecords(kafka, topics.raw)).map(([k]) => k);
  assert.deepEqual(keys, ['site/committed', 'site/after'], 'the open transaction was aborted before the cursor was read');
  assert.equal((await publisher.recover('site'))?.start, 3000);
});
