/** An enricher on the test servers with topics and a group of its own, for the integration tests. */
import { after, before } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { createKafka, createLogger, Metrics, type Kafka } from '@pra-pipeline/shared';
import { buildEnricher, type EnricherApp } from '../../src/app.js';
import { loadEnricherConfig } from '../../src/config.js';
import { testdata } from '../testdata.js';

export interface EnricherContext {
  topics: { input: string; output: string; dlq: string };
  groupId: string;
  kafka: Kafka;
  app: EnricherApp;
  metrics: Metrics;
}

/** Starts the enricher before the file's tests and stops it after; the fields are set once `before` ran. */
export function enricherContext(prefix: string, partitions: number, extraEnv: Record<string, string> = {}): EnricherContext {
  const env = process.env;
  const id = randomUUID().slice(0, 8);
  const context = {
    topics: { input: `${prefix}-raw-${id}`, output: `${prefix}-ecs-${id}`, dlq: `${prefix}-dlq-${id}` },
    groupId: `${prefix}-enricher-${id}`,
  } as EnricherContext;
  const quiet = createLogger({ service: 'test', level: 'warn', destination: new Writable({ write: (_c, _e, d) => d() }) });

  before(async () => {
    assert.ok(env.KAFKA_BROKERS && env.SCHEMA_REGISTRY_URL, 'KAFKA_BROKERS and SCHEMA_REGISTRY_URL must name the test servers (run through npm test)');
    const { config } = loadEnricherConfig({
      env: {
        KAFKA_BROKERS: env.KAFKA_BROKERS,
        SCHEMA_REGISTRY_URL: env.SCHEMA_REGISTRY_URL,
        ENRICHER_INPUT_TOPIC: context.topics.input,
        ENRICHER_OUTPUT_TOPIC: context.topics.output,
        KAFKA_DLQ_TOPIC: context.topics.dlq,
        ENRICHER_GROUP_ID: context.groupId,
        KAFKA_TOPIC_PARTITIONS: String(partitions),
        GEOIP_DIR: testdata('geoip'),
        HTTP_PORT: '0',
        ...extraEnv,
      },
    });
    context.kafka = createKafka(config, quiet);
    context.metrics = new Metrics({ defaultMetrics: false });
    context.app = buildEnricher(config, { logger: quiet, metrics: context.metrics });
    await context.app.start();
  });

  after(async () => {
    await context.app?.stop(10_000);
  });
  return context;
}
