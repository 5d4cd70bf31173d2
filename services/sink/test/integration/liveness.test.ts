/**
 * /livez on the real broker: 200 while the consumer runs, 503 once it has crashed
 * in a way kafkajs does not restart from (here: the group already runs another
 * assignment protocol, which the broker answers with INCONSISTENT_GROUP_PROTOCOL),
 * so that the orchestrator restarts the process instead of leaving it idle.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PartitionAssigners, type PartitionAssigner } from 'kafkajs';
import { buildOpsApp } from '@pra-pipeline/shared';
import { createTopics, deleteTopics, integrationContext, sinkEnv, startSink, suffix, waitFor } from './helpers.js';

const { kafka, cleanups } = integrationContext();

/** Round robin under another name: a group member the sink cannot share a group with. */
const foreignAssigner: PartitionAssigner = (config) => {
  const assigner = PartitionAssigners.roundRobin(config);
  return { ...assigner, name: 'ForeignAssigner', protocol: (subscription) => ({ ...assigner.protocol(subscription), name: 'ForeignAssigner' }) };
};

async function livez(sink: Awaited<ReturnType<typeof startSink>>) {
  const ops = buildOpsApp({ metrics: sink.metrics, readiness: sink.app.readiness, live: () => sink.app.live().ok });
  try {
    const response = await ops.inject({ method: 'GET', url: '/livez' });
    return response.statusCode;
  } finally {
    await ops.close();
  }
}

test('/livez is 200 while the consumer runs, and 503 once it crashed and will not restart', { timeout: 180_000 }, async () => {
  const s = suffix();
  const n = { topic: `sink-live-${s}`, group: `sink-live-${s}`, dlq: `sink-live-dlq-${s}` };
  cleanups.push(() => deleteTopics(kafka, [n.topic, n.dlq]));
  await createTopics(kafka, [n.topic, n.dlq], 1);

  const healthy = await startSink(sinkEnv({ ...n, group: `${n.group}-healthy` }));
  cleanups.push(healthy.stop);
  await waitFor('the healthy sink to join', () => (healthy.app.readiness.kafka?.() as { ok: boolean }).ok || undefined, 60_000);
  assert.equal(healthy.app.live().ok, true);
  assert.equal(await livez(healthy), 200);
  await healthy.stop();

  const foreign = kafka.consumer({ groupId: n.group, partitionAssigners: [foreignAssigner] });
  cleanups.push(() => foreign.disconnect());
  let joined = false;
  foreign.on(foreign.events.GROUP_JOIN, () => {
    joined = true;
  });
  await foreign.connect();
  await foreign.subscribe({ topics: [n.topic] });
  await foreign.run({ eachMessage: async () => undefined });
  await waitFor('the foreign member to join', () => joined || undefined, 60_000);

  const sink = await startSink(sinkEnv(n));
  cleanups.push(sink.stop);
  await waitFor('the sink to report its consumer dead', () => (sink.app.live().ok ? undefined : true), 60_000);
  assert.match(sink.app.live().detail ?? '', /crashed and does not restart/);
  assert.equal(await livez(sink), 503);
  assert.equal((await sink.app.readiness.kafka?.())?.ok, false);
});
