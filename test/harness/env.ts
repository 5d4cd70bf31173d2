/**
 * What integration tests need from their surroundings: the servers' addresses
 * (set by `npm test`, or by hand from `npm run stack`), unique names so tests
 * never share topics, subjects or indices, and the shared test data folder.
 */
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';

export interface StackEnv {
  kafkaBrokers: string[];
  /** The SASL_PLAINTEXT listener (PLAIN, SCRAM-SHA-256, SCRAM-SHA-512). */
  kafkaSaslBrokers: string[] | undefined;
  kafkaSaslUsername: string;
  kafkaSaslPassword: string;
  /** Confluent-compatible base URL, e.g. http://127.0.0.1:PORT/apis/ccompat/v7. */
  schemaRegistryUrl: string;
  esNode: string;
  /** The harness's fault-injection API; absent when the servers were not started by the harness. */
  harnessControlUrl: string | undefined;
}

/** The one user the harness's SASL listener knows (PLAIN and both SCRAM mechanisms). */
export const SASL_USERNAME = 'pra-test';
export const SASL_PASSWORD = 'pra-test-secret';

const REQUIRED = ['KAFKA_BROKERS', 'SCHEMA_REGISTRY_URL', 'ES_NODE'] as const;

/** The server addresses from the environment; throws saying how to get them when missing. */
export function stackEnv(env: NodeJS.ProcessEnv = process.env): StackEnv {
  const missing = REQUIRED.filter((name) => !env[name]);
  if (missing.length > 0) {
    throw new Error(
      `${missing.join(', ')} not set. Integration tests run against real servers: run them through \`npm test\` ` +
        '(which starts the servers), or start them with `npm run stack -- --env-file FILE` and source FILE, ' +
        'or set KAFKA_BROKERS, SCHEMA_REGISTRY_URL and ES_NODE to running servers.',
    );
  }
  const list = (value: string) => value.split(',').map((s) => s.trim()).filter(Boolean);
  return {
    kafkaBrokers: list(env.KAFKA_BROKERS!),
    kafkaSaslBrokers: env.KAFKA_SASL_BROKERS ? list(env.KAFKA_SASL_BROKERS) : undefined,
    kafkaSaslUsername: env.KAFKA_SASL_USERNAME ?? SASL_USERNAME,
    kafkaSaslPassword: env.KAFKA_SASL_PASSWORD ?? SASL_PASSWORD,
    schemaRegistryUrl: env.SCHEMA_REGISTRY_URL!.replace(/\/+$/, ''),
    esNode: env.ES_NODE!.replace(/\/+$/, ''),
    harnessControlUrl: env.HARNESS_CONTROL_URL || undefined,
  };
}

/** `prefix-` plus a random suffix: a topic, group, subject or index no other test uses. Lower case, Kafka- and ES-safe. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
}

/**
 * The shared test data folder: `../shared/testdata` beside the repository
 * (PRA_TESTDATA_DIR overrides it).
 */
export function testdataDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.PRA_TESTDATA_DIR ?? fileURLToPath(new URL('../../../shared/testdata', import.meta.url));
}
