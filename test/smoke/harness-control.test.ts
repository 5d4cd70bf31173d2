/**
 * The harness's fault-injection API against the real servers: Elasticsearch
 * and Kafka stop (unreachable), start again on the same address with their
 * data, and Kafka restarts in one call.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Kafka, logLevel } from 'kafkajs';
import { ensureTopics } from '@pra-pipeline/shared';
import { restartServer, startServer, stopServer } from '../harness/control.js';
import { stackEnv, uniqueName } from '../harness/env.js';

const env = stackEnv();

async function esStatus(path: string): Promise<number | undefined> {
  try {
    return (await fetch(`${env.esNode}${path}`, { signal: AbortSignal.timeout(5_000) })).status;
  } catch {
    return undefined;
  }
}

describe('harness control API', () => {
  test('Elasticsearch stops and starts on the same address with its data', async () => {
    const index = uniqueName('smoke-control');
    assert.equal((await fetch(`${env.esNode}/${index}`, { method: 'PUT' })).status, 200);
    await stopServer('elasticsearch');
    assert.equal(await esStatus('/_cluster/health'), undefined, 'still answering after stop');
    await startServer('elasticsearch');
    assert.equal(await esStatus(`/${index}`), 200);
    assert.equal((await fetch(`${env.esNode}/${index}`, { method: 'DELETE' })).status, 200);
  });

  test('Kafka restarts on the same address with its topics', async () => {
    const kafka = new Kafka({ clientId: uniqueName('smoke'), brokers: env.kafkaBrokers, logLevel: logLevel.NOTHING });
    const topic = uniqueName('smoke-control');
    const admin = kafka.admin();
    await admin.connect();
    await ensureTopics(admin, [{ topic, numPartitions: 1, replicationFactor: 1 }]);
    await admin.disconnect();

    await stopServer('kafka');
    const down = new Kafka({ clientId: uniqueName('smoke'), brokers: env.kafkaBrokers, logLevel: logLevel.NOTHING, retry: { retries: 0 } }).admin();
    await assert.rejects(down.connect());
    await startServer('kafka');
    await restartServer('kafka');

    const again = kafka.admin();
    await again.connect();
    try {
      assert.ok((await again.listTopics()).includes(topic));
      await again.deleteTopics({ topics: [topic] });
    } finally {
      await again.disconnect();
    }
  });
});
