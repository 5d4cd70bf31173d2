/**
 * No secret in logs, error messages, /metrics or /readyz on the failure paths:
 * rejected PRA client credentials (the simulator answers 401), a wrong Kafka
 * SASL password (the harness's SASL listener), Elasticsearch with an API key or
 * a basic-auth password at a closed port, and registry basic auth at a closed
 * port. Each path runs in-process (logs captured, the thrown error inspected)
 * and as a service process (`pra-pipeline <service>`, stdout and stderr
 * captured, the operations endpoint read while it runs).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import {
  createKafka,
  createLogger,
  createRegistry,
  Metrics,
  PipelineError,
  registerJsonSchema,
  type Logger,
} from '@pra-pipeline/shared';
import { startSimulator, type Simulator } from '@pra-pipeline/pra-simulator';
import { loadPollerConfig, PraClient, createPollerMetrics } from '@pra-pipeline/poller';
import { bulkSender, createEsClient } from '@pra-pipeline/sink';
import { stackEnv, uniqueName } from '../harness/env.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const suffix = Math.random().toString(36).slice(2, 10);
const SECRETS = {
  praClientSecret: `pra-client-secret-${suffix}`,
  saslPassword: `sasl-wrong-password-${suffix}`,
  esApiKey: Buffer.from(`key-id:es-api-key-${suffix}`).toString('base64'),
  esPassword: `es-password-${suffix}`,
  registryPassword: `registry-password-${suffix}`,
};
/** Every secret, and the encodings a request would carry it in. */
function forms(secret: string, user = ''): string[] {
  return [secret, Buffer.from(`${user}:${secret}`).toString('base64'), encodeURIComponent(secret)];
}
const ALL_FORMS = [
  ...forms(SECRETS.praClientSecret, 'fuzz-client'),
  ...forms(SECRETS.saslPassword, 'pra-test'),
  ...forms(SECRETS.esApiKey),
  ...forms(SECRETS.esPassword, 'elastic'),
  ...forms(SECRETS.registryPassword, 'registry-user'),
];

function assertClean(text: string, where: string): void {
  for (const secret of ALL_FORMS) assert.ok(!text.includes(secret), `${where} contains a secret (${secret.slice(0, 12)}...): ${text.slice(Math.max(0, text.indexOf(secret) - 200), text.indexOf(secret) + 50)}`);
}

/** What an error shows wherever it goes: message, stack, context, and its causes'. */
function errorText(err: unknown, depth = 0): string {
  if (!(err instanceof Error) || depth > 5) return String(err);
  const own = [err.message, err.stack ?? '', err instanceof PipelineError ? JSON.stringify(err.context) : ''].join('\n');
  return `${own}\n${errorText((err as Error & { cause?: unknown }).cause, depth + 1)}`;
}

function captured(secrets: readonly string[]): { logger: Logger; text: () => string } {
  const chunks: string[] = [];
  const destination = new Writable({ write: (chunk, _e, done) => (chunks.push(String(chunk)), done()) });
  return { logger: createLogger({ service: 'security-test', level: 'trace', secrets, destination }), text: () => chunks.join('') };
}

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

let sim: Simulator;
before(async () => {
  sim = await startSimulator();
});
after(async () => {
  await sim?.stop();
});

test('PRA: rejected client credentials (HTTP 401) leave the secret out of errors, logs and metrics', async () => {
  const { logger, text } = captured([SECRETS.praClientSecret]);
  const metrics = new Metrics({ defaultMetrics: false });
  const { sites } = loadPollerConfig({ env: { KAFKA_BROKERS: '127.0.0.1:9', PRA_URL: sim.siteUrl(), PRA_ALLOW_INSECURE_HTTP: 'true', PRA_CLIENT_ID: 'fuzz-client', PRA_CLIENT_SECRET: SECRETS.praClientSecret } });
  const pra = new PraClient(sites[0]!, { metrics: createPollerMetrics(metrics), logger });
  try {
    let thrown: unknown;
    await pra.checkCredentials().catch((err: unknown) => (thrown = err));
    assert.ok(thrown instanceof PipelineError && thrown.code === 'PIPE_UPSTREAM_AUTH' && /HTTP 401/.test(thrown.message), String(thrown));
    assertClean(errorText(thrown), 'the credentials error');
    let reportError: unknown;
    await pra.report({ kind: 'start_time', start: 1712235600, duration: 60 }, () => undefined).catch((err: unknown) => (reportError = err));
    assert.ok(reportError instanceof PipelineError && reportError.code === 'PIPE_UPSTREAM_AUTH', String(reportError));
    assertClean(errorText(reportError), 'the report error');
    logger.error({ err: thrown, site: sites[0] }, 'The site rejected the credentials.');
  } finally {
    await pra.close();
  }
  assert.match(text(), /rejected the client credentials/);
  assertClean(text(), 'the logs');
  const exposition = await metrics.text();
  assert.match(exposition, /outcome="unauthorized"/);
  assertClean(exposition, '/metrics');
});

test('Kafka: a wrong SASL password stays out of the error and the logs', async () => {
  const env = stackEnv();
  assert.ok(env.kafkaSaslBrokers, 'KAFKA_SASL_BROKERS must name the harness\'s SASL listener');
  const { logger, text } = captured([SECRETS.saslPassword]);
  const kafka = createKafka(
    { kafkaBrokers: env.kafkaSaslBrokers, kafkaClientId: uniqueName('security'), kafkaSaslMechanism: 'plain', kafkaSaslUsername: env.kafkaSaslUsername, kafkaSaslPassword: SECRETS.saslPassword },
    logger,
  );
  const admin = kafka.admin();
  let thrown: unknown;
  await admin.connect().catch((err: unknown) => (thrown = err));
  await admin.disconnect().catch(() => undefined);
  assert.ok(thrown instanceof Error && /SASL|auth/i.test(thrown.message), String(thrown));
  assertClean(errorText(thrown), 'the SASL error');
  logger.error({ err: thrown }, 'Kafka refused the credentials.');
  assertClean(text(), 'the logs');
});

test('Elasticsearch: an API key or a basic-auth password at a closed port stays out of errors and logs', async () => {
  const node = `http://127.0.0.1:${await closedPort()}`;
  for (const auth of [{ esApiKey: SECRETS.esApiKey }, { esUsername: 'elastic', esPassword: SECRETS.esPassword }]) {
    const { logger, text } = captured([SECRETS.esApiKey, SECRETS.esPassword]);
    const client = createEsClient({ esNode: [node], esRequestTimeout: 2000, ...auth }, logger);
    let thrown: unknown;
    await bulkSender(client, 2000)(Buffer.from('{"index":{}}\n{}\n'), AbortSignal.timeout(5000)).catch((err: unknown) => (thrown = err));
    assert.ok(thrown instanceof Error, 'the request to a closed port must fail');
    assertClean(errorText(thrown), 'the Elasticsearch error');
    logger.error({ err: thrown }, 'Elasticsearch is unreachable.');
    assertClean(text(), 'the logs');
    await client.close();
  }
});

test('Registry: a basic-auth password at a closed port stays out of the error and the logs', async () => {
  const { logger, text } = captured([SECRETS.registryPassword]);
  const registry = createRegistry({ schemaRegistryUrl: `http://127.0.0.1:${await closedPort()}`, schemaRegistryUsername: 'registry-user', schemaRegistryPassword: SECRETS.registryPassword });
  let thrown: unknown;
  await registerJsonSchema(registry, 'security-value', { type: 'object' }).catch((err: unknown) => (thrown = err));
  assert.ok(thrown instanceof PipelineError && thrown.code === 'PIPE_REGISTRY', String(thrown));
  assertClean(errorText(thrown), 'the registry error');
  logger.error({ err: thrown }, 'The registry is unreachable.');
  assertClean(text(), 'the logs');
});

interface ServiceRun {
  output: string;
  metrics: string[];
  readyz: string[];
}

/** Runs `pra-pipeline <service>` for about `ms`, reading /metrics and /readyz while it lives; stops it by its pid. */
async function runService(service: string, env: Record<string, string>, ms: number): Promise<ServiceRun> {
  const port = await closedPort();
  const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', 'src/bin.ts', service], {
    cwd: root,
    env: { PATH: process.env.PATH ?? '', HTTP_HOST: '127.0.0.1', HTTP_PORT: String(port), LOG_LEVEL: 'debug', SHUTDOWN_GRACE: '2s', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  let alive = true;
  void exited.then(() => (alive = false));
  const run: ServiceRun = { output: '', metrics: [], readyz: [] };
  const deadline = Date.now() + ms;
  while (alive && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 500));
    for (const [path, into] of [['/metrics', run.metrics], ['/readyz', run.readyz]] as const) {
      const body = await fetch(`http://127.0.0.1:${port}${path}`, { signal: AbortSignal.timeout(3000) }).then((r) => r.text()).catch(() => undefined);
      if (body !== undefined) into.push(body);
    }
  }
  if (alive) child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
  run.output = output;
  return run;
}

function assertRunClean(run: ServiceRun, service: string): void {
  assert.ok(run.output.length > 0, `${service} wrote nothing`);
  assertClean(run.output, `${service}'s output`);
  for (const body of run.metrics) assertClean(body, `${service}'s /metrics`);
  for (const body of run.readyz) assertClean(body, `${service}'s /readyz`);
}

test('service processes: the poller with rejected credentials, the sink with Elasticsearch auth at a closed port, the enricher with a wrong SASL password and registry auth', async () => {
  const env = stackEnv();
  const id = uniqueName('security');
  const poller = await runService('poller', {
    KAFKA_BROKERS: env.kafkaBrokers.join(','),
    PRA_URL: sim.siteUrl(),
    PRA_ALLOW_INSECURE_HTTP: 'true',
    PRA_CLIENT_ID: 'fuzz-client',
    PRA_CLIENT_SECRET: SECRETS.praClientSecret,
    PRA_INITIAL_INTERVAL: '10m',
    PRA_INTERVAL: '2s',
    PRA_HTTP_TIMEOUT: '1s',
    PRA_SAFETY_LAG: '1s',
    POLLER_RAW_TOPIC: `${id}.raw`,
    POLLER_STATE_TOPIC: `${id}.state`,
    KAFKA_DLQ_TOPIC: `${id}.dlq`,
    POLLER_TRANSACTIONAL_ID_PREFIX: id,
    KAFKA_TOPIC_PARTITIONS: '1',
  }, 12_000);
  assertRunClean(poller, 'poller');
  assert.ok(poller.readyz.length > 0, 'the poller\'s /readyz was never read');
  assert.ok(poller.readyz.some((b) => /credentials rejected|refused/.test(b)), `the poller's /readyz does not say why: ${poller.readyz.at(-1)}`);
  assert.ok(poller.metrics.some((b) => /pra_/.test(b)));

  const esNode = `http://127.0.0.1:${await closedPort()}`;
  const esAuth: Record<string, string>[] = [{ ES_API_KEY: SECRETS.esApiKey }, { ES_USERNAME: 'elastic', ES_PASSWORD: SECRETS.esPassword }];
  for (const auth of esAuth) {
    const sink = await runService('sink', { KAFKA_BROKERS: env.kafkaBrokers.join(','), ES_NODE: esNode, SINK_TOPIC: `${id}.ecs`, SINK_GROUP_ID: id, KAFKA_DLQ_TOPIC: `${id}.dlq`, KAFKA_TOPIC_PARTITIONS: '1', ...auth }, 8000);
    assertRunClean(sink, 'sink');
  }

  const enricher = await runService('enricher', {
    KAFKA_BROKERS: (env.kafkaSaslBrokers ?? []).join(','),
    KAFKA_SASL_MECHANISM: 'scram-sha-256',
    KAFKA_SASL_USERNAME: env.kafkaSaslUsername,
    KAFKA_SASL_PASSWORD: SECRETS.saslPassword,
    SCHEMA_REGISTRY_URL: `http://127.0.0.1:${await closedPort()}`,
    SCHEMA_REGISTRY_USERNAME: 'registry-user',
    SCHEMA_REGISTRY_PASSWORD: SECRETS.registryPassword,
    ENRICHER_INPUT_TOPIC: `${id}.raw`,
    ENRICHER_OUTPUT_TOPIC: `${id}.ecs`,
    ENRICHER_GROUP_ID: id,
  }, 10_000);
  assertRunClean(enricher, 'enricher');
});
