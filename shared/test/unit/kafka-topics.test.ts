import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { createLogger, dlqTopicSpec, ensurePipelineTopics, topicSpec, type Admin } from '@pra-pipeline/shared';

function fakeAdmin(existing: string[]): { admin: Admin; created: unknown[] } {
  const created: unknown[] = [];
  const admin = {
    listTopics: async () => existing,
    createTopics: async ({ topics }: { topics: unknown[] }) => {
      created.push(...topics);
      return true;
    },
  } as unknown as Admin;
  return { admin, created };
}

function capturingLogger(): { logger: ReturnType<typeof createLogger>; lines: string[] } {
  const lines: string[] = [];
  const stream = new Writable({ write(chunk: Buffer, _enc, done) { lines.push(String(chunk)); done(); } });
  return { logger: createLogger({ service: 'test', level: 'info', destination: stream }), lines };
}

const sizes = { kafkaTopicPartitions: 3, kafkaReplicationFactor: -1 };

test('ensurePipelineTopics creates only the missing topics and logs them', async () => {
  const { admin, created } = fakeAdmin(['pra.raw.access-session.v1']);
  const { logger, lines } = capturingLogger();
  const names = await ensurePipelineTopics(admin, [topicSpec('pra.raw.access-session.v1', sizes), topicSpec('pra.ecs.access-session.v1', sizes)], logger);
  assert.deepEqual(names, ['pra.ecs.access-session.v1']);
  assert.deepEqual(created, [{ topic: 'pra.ecs.access-session.v1', numPartitions: 3, replicationFactor: -1, configEntries: [] }]);
  assert.equal(lines.filter((l) => l.includes('Created topics.') && l.includes('pra.ecs.access-session.v1')).length, 1);
});

test('ensurePipelineTopics creates and logs nothing when every topic exists', async () => {
  const { admin, created } = fakeAdmin(['pra.dlq.v1']);
  const { logger, lines } = capturingLogger();
  const spec = dlqTopicSpec({ kafkaDlqTopic: 'pra.dlq.v1', kafkaDlqMaxMessageBytes: 1000, ...sizes });
  assert.deepEqual(spec, { topic: 'pra.dlq.v1', numPartitions: 3, replicationFactor: -1, configs: { 'max.message.bytes': '1000' } });
  assert.deepEqual(await ensurePipelineTopics(admin, [spec], logger), []);
  assert.deepEqual(created, []);
  assert.equal(lines.some((l) => l.includes('Created topics.')), false);
});
