/**
 * Certificates are verified unless verification is switched off explicitly,
 * and switching it off is logged as a warning: the poller's PRA client (against
 * the simulator over TLS with a self-signed certificate), the sink's
 * Elasticsearch client options and the Kafka client options; the registry
 * client trusts SCHEMA_REGISTRY_CA_FILE; an http:// PRA site is refused unless
 * allowed (then logged); credentials over plaintext Kafka, Elasticsearch or
 * registry connections draw a warning.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { createServer as createHttpsServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { createLogger, createRegistry, kafkaConfig, Metrics, PipelineError, plaintextCredentialWarnings, type Logger } from '@pra-pipeline/shared';
import { startSimulator, type Simulator } from '@pra-pipeline/pra-simulator';
import { loadPollerConfig, PraClient, createPollerMetrics } from '@pra-pipeline/poller';
import { esClientOptions } from '@pra-pipeline/sink';

function capture(): { logger: Logger; lines: () => Record<string, unknown>[] } {
  const chunks: string[] = [];
  const destination = new Writable({ write: (chunk, _e, done) => (chunks.push(String(chunk)), done()) });
  return { logger: createLogger({ service: 'tls-test', level: 'debug', destination }), lines: () => chunks.join('').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>) };
}
const warnings = (lines: Record<string, unknown>[]) => lines.filter((l) => l.level === 'warn').map((l) => String(l.message));

let dir: string;
let certFile: string;
let keyFile: string;
let sim: Simulator;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'pra-tls-'));
  certFile = join(dir, 'cert.pem');
  keyFile = join(dir, 'key.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', keyFile, '-out', certFile], { stdio: 'ignore' });
  sim = await startSimulator({ tls: { cert: readFileSync(certFile), key: readFileSync(keyFile) } });
});

after(async () => {
  await sim?.stop();
  rmSync(dir, { recursive: true, force: true });
});

function client(extra: Record<string, string>, logger: Logger): PraClient {
  const site = sim.sites[0]!;
  const { sites } = loadPollerConfig({
    env: { KAFKA_BROKERS: '127.0.0.1:9', PRA_URL: site.url, PRA_CLIENT_ID: site.clientId, PRA_CLIENT_SECRET: site.clientSecret, ...extra },
  });
  return new PraClient(sites[0]!, { metrics: createPollerMetrics(new Metrics({ defaultMetrics: false })), logger });
}

test('the PRA client refuses a certificate it cannot verify by default, without a warning', async () => {
  assert.ok(sim.url.startsWith('https://'));
  const { logger, lines } = capture();
  const pra = client({}, logger);
  try {
    await assert.rejects(pra.checkCredentials(), (err: unknown) => err instanceof PipelineError && err.code === 'PIPE_UPSTREAM_HTTP' && /CERT|certificate/i.test(err.message));
  } finally {
    await pra.close();
  }
  assert.deepEqual(warnings(lines()), []);
});

test('the PRA client trusts the configured CA and still verifies', async () => {
  const { logger, lines } = capture();
  const pra = client({ PRA_TLS_CA_FILE: certFile }, logger);
  try {
    await pra.checkCredentials();
  } finally {
    await pra.close();
  }
  assert.deepEqual(warnings(lines()), []);
});

test('PRA_TLS_VERIFY=false connects to the self-signed site and logs a warning', async () => {
  const { logger, lines } = capture();
  const pra = client({ PRA_TLS_VERIFY: 'false' }, logger);
  try {
    await pra.checkCredentials();
  } finally {
    await pra.close();
  }
  assert.equal(warnings(lines()).filter((m) => /TLS verification of the site is off/.test(m)).length, 1);
});

test('Elasticsearch certificates are verified unless ES_TLS_INSECURE, which is logged', () => {
  const { logger, lines } = capture();
  const base = { esNode: ['https://127.0.0.1:9200'], esRequestTimeout: 1000 };
  assert.equal(esClientOptions(base, logger).tls?.rejectUnauthorized, true);
  assert.equal(esClientOptions({ ...base, esTlsInsecure: false }, logger).tls?.rejectUnauthorized, true);
  assert.deepEqual(warnings(lines()), []);
  assert.equal(esClientOptions({ ...base, esTlsInsecure: true }, logger).tls?.rejectUnauthorized, false);
  assert.equal(warnings(lines()).filter((m) => /ES_TLS_INSECURE/.test(m)).length, 1);
});

test('Kafka broker certificates are verified unless KAFKA_TLS_INSECURE, which is logged', () => {
  const { logger, lines } = capture();
  const base = { kafkaBrokers: ['127.0.0.1:9093'], kafkaClientId: 'tls-test', kafkaTls: true };
  const ssl = (c: ReturnType<typeof kafkaConfig>) => c.ssl as { rejectUnauthorized?: boolean };
  assert.equal(ssl(kafkaConfig(base, logger)).rejectUnauthorized, true);
  assert.deepEqual(warnings(lines()), []);
  assert.equal(ssl(kafkaConfig({ ...base, kafkaTlsInsecure: true }, logger)).rejectUnauthorized, false);
  assert.equal(warnings(lines()).filter((m) => /KAFKA_TLS_INSECURE/.test(m)).length, 1);
  // Without TLS there is nothing to verify, and the insecure flag alone does not turn anything off silently.
  assert.equal(kafkaConfig({ ...base, kafkaTls: false }, logger).ssl, undefined);
});

test('the registry client refuses an https registry it cannot verify, and trusts SCHEMA_REGISTRY_CA_FILE', async () => {
  const server: Server = createHttpsServer({ cert: readFileSync(certFile), key: readFileSync(keyFile) }, (req, res) => {
    res.writeHead(200, { 'content-type': 'application/vnd.schemaregistry.v1+json' });
    res.end(JSON.stringify({ subject: 'x-value', id: 7, version: 1, schema: '{}', schemaType: 'JSON' }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  try {
    const untrusted = createRegistry({ schemaRegistryUrl: url });
    await assert.rejects(untrusted.getLatestSchemaId('x-value'), /self[- ]signed|certificate/i);
    const trusted = createRegistry({ schemaRegistryUrl: url, schemaRegistryCaFile: certFile });
    assert.equal(await trusted.getLatestSchemaId('x-value'), 7);
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

test('an http:// PRA site is refused unless PRA_ALLOW_INSECURE_HTTP, which is logged as a warning', async () => {
  const plain = await startSimulator({});
  try {
    const env = { KAFKA_BROKERS: '127.0.0.1:9', PRA_URL: plain.siteUrl(), PRA_CLIENT_ID: plain.sites[0]!.clientId, PRA_CLIENT_SECRET: plain.sites[0]!.clientSecret };
    assert.throws(() => loadPollerConfig({ env }), /PRA_URL: the http:\/\/ URL .* is refused/);
    const { logger, lines } = capture();
    const { sites } = loadPollerConfig({ env: { ...env, PRA_ALLOW_INSECURE_HTTP: 'true' } });
    const pra = new PraClient(sites[0]!, { metrics: createPollerMetrics(new Metrics({ defaultMetrics: false })), logger });
    try {
      await pra.checkCredentials();
    } finally {
      await pra.close();
    }
    assert.deepEqual(warnings(lines()).filter((m) => /PRA_ALLOW_INSECURE_HTTP: the site is polled over plain http/.test(m)).length, 1);
  } finally {
    await plain.stop();
  }
});

test('credentials over a plaintext Kafka, Elasticsearch or registry connection draw a warning', () => {
  const { logger, lines } = capture();
  const sasl = { kafkaBrokers: ['127.0.0.1:9092'], kafkaClientId: 'tls-test', kafkaSaslMechanism: 'plain' as const, kafkaSaslUsername: 'u', kafkaSaslPassword: 'p-secret' };
  kafkaConfig(sasl, logger);
  kafkaConfig(sasl, logger);
  assert.deepEqual(warnings(lines()).filter((m) => /KAFKA_SASL_MECHANISM is plain but KAFKA_TLS is off: the SASL password travels in clear/.test(m)).length, 1, 'once per logger');
  kafkaConfig({ ...sasl, kafkaTls: true }, capture().logger);
  const quiet = capture();
  kafkaConfig({ ...sasl, kafkaTls: true }, quiet.logger);
  assert.deepEqual(warnings(quiet.lines()), []);

  assert.deepEqual(plaintextCredentialWarnings({ esNode: ['http://elastic:pw-1@127.0.0.1:9200'], esUsername: 'elastic' }), [
    'ES_USERNAME/ES_PASSWORD is sent to http://elastic:[REDACTED]@127.0.0.1:9200 over plain http://: the credentials travel in clear.',
  ]);
  assert.match(plaintextCredentialWarnings({ esNode: ['http://127.0.0.1:9200'], esApiKey: 'a2V5' })[0] ?? '', /^ES_API_KEY is sent to http:\/\/127\.0\.0\.1:9200/);
  assert.deepEqual(plaintextCredentialWarnings({ esNode: ['https://127.0.0.1:9200'], esApiKey: 'a2V5' }), []);
  assert.deepEqual(plaintextCredentialWarnings({ esNode: ['http://127.0.0.1:9200'] }), [], 'no credentials, nothing to leak');
  assert.match(plaintextCredentialWarnings({ schemaRegistryUrl: 'http://r:8080', schemaRegistryUsername: 'u' })[0] ?? '', /^SCHEMA_REGISTRY_USERNAME\/SCHEMA_REGISTRY_PASSWORD are sent to http:\/\/r:8080/);
});
