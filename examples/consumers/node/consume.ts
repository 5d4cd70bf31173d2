/**
 * Reads the enriched topic as another team would: read_committed, values
 * decoded with the schema the registry holds for the id in each record, one
 * JSON line per record on stdout. Stops after MAX_RECORDS records, or when no
 * record arrived for IDLE_TIMEOUT_MS. Offsets are committed for the records
 * printed, so the same GROUP_ID continues where it stopped.
 *
 *   KAFKA_BROKERS=host:9092 SCHEMA_REGISTRY_URL=http://registry:8080/apis/ccompat/v7 \
 *   GROUP_ID=my-team npx tsx examples/consumers/node/consume.ts
 */
import { Kafka, logLevel, type SASLOptions } from 'kafkajs';
import { SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import { fullFormats } from 'ajv-formats/dist/formats.js';

const env = process.env;
function required(name: string): string {
  const value = env[name];
  if (!value) throw new Error(`${name} is required`);
  return value;
}

const topic = env.TOPIC ?? 'pra.ecs.access-session.v1';
const maxRecords = Number(env.MAX_RECORDS ?? '0'); // 0: no limit
const idleTimeoutMs = Number(env.IDLE_TIMEOUT_MS ?? '30000');

const sasl = env.KAFKA_SASL_MECHANISM
  ? ({ mechanism: env.KAFKA_SASL_MECHANISM.toLowerCase(), username: required('KAFKA_SASL_USERNAME'), password: required('KAFKA_SASL_PASSWORD') } as SASLOptions)
  : undefined;
const kafka = new Kafka({
  clientId: 'pra-consumer-example',
  brokers: required('KAFKA_BROKERS').split(','),
  ssl: env.KAFKA_TLS === 'true',
  ...(sasl ? { sasl } : {}),
  logLevel: logLevel.WARN,
});
const registry = new SchemaRegistry(
  {
    host: required('SCHEMA_REGISTRY_URL'),
    ...(env.SCHEMA_REGISTRY_USERNAME ? { auth: { username: env.SCHEMA_REGISTRY_USERNAME, password: env.SCHEMA_REGISTRY_PASSWORD ?? '' } } : {}),
  },
  // decode() validates each value against its schema; the schema uses formats such as date-time and ipv4.
  { [SchemaType.JSON]: { strict: false, formats: fullFormats } },
);

// readUncommitted: false is read_committed: records of aborted or open transactions are never delivered.
// restartOnFailure false: a record that cannot be decoded ends the example instead of being retried forever.
const consumer = kafka.consumer({ groupId: required('GROUP_ID'), readUncommitted: false, retry: { retries: 2, restartOnFailure: async () => false } });

let count = 0;
let stop!: () => void;
let fail!: (err: unknown) => void;
const stopped = new Promise<void>((resolve, reject) => ((stop = resolve), (fail = reject)));
let idle = setTimeout(stop, idleTimeoutMs);
consumer.on(consumer.events.CRASH, ({ payload }) => fail(payload.error));

await consumer.connect();
await consumer.subscribe({ topic, fromBeginning: true });
await consumer.run({
  // Offsets are resolved one by one, after the record is printed: a record past MAX_RECORDS is not committed.
  eachBatchAutoResolve: false,
  eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning, isStale }) => {
    for (const message of batch.messages) {
      if (!isRunning() || isStale() || (maxRecords > 0 && count >= maxRecords)) break;
      const document = await registry.decode(message.value!);
      const headers = Object.fromEntries(Object.entries(message.headers ?? {}).map(([name, value]) => [name, value?.toString()]));
      const line = { key: message.key?.toString(), partition: batch.partition, offset: message.offset, headers, document };
      process.stdout.write(`${JSON.stringify(line)}\n`);
      resolveOffset(message.offset);
      await heartbeat();
      count++;
      clearTimeout(idle);
      idle = setTimeout(stop, idleTimeoutMs);
      if (maxRecords > 0 && count >= maxRecords) stop();
    }
  },
});

try {
  await stopped;
} finally {
  clearTimeout(idle);
  await consumer.disconnect(); // waits for the batch in hand; the offsets resolved are committed after each batch
  console.error(`Read ${count} records from ${topic}.`);
}
