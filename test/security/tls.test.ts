/**
 * Certificates are verified unless verification is switched off explicitly,
 * and switching it off is logged as a warning: the poller's PRA client (against
 * the simulator over TLS with a self-signed certificate), the sink's
 * Elasticsearch client options and the Kafka client options.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { createLogger, kafkaConfig, Metrics, PipelineError, type Logger } from '@pra-pipeline/shared';
import { startSimulator, type Simulator } from '@pra-pipeline/pra-simulator';
import { loadPollerConfig } from '@pra-pipeline/poller/config';
import { PraClient } from '@pra-pipeline/poller/pra-client';
import { createPollerMetrics } from '@pra-pipeline/poller/telemetry';
import { esClientOptions } from '@pra-pipeline/sink/es-client';

function capture(): { logger: Logger; lines: () => Record<string, unknown>[] } {
  const chunks: string[] = [];
  const destination = new Writable({ write: (chunk, _e, done) => (chunks.push(String(chunk)), done()) });
  return { logger: createLogger({ service: 'tls-test', level: 'debug', destination }), lines: () => chunks.join('').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>) };
}
const warnings = (lines: Record<string, unknown>[]) => lines.filter((l) => l.level === 'warn').map((l) => String(l.message));

let dir: string;
let certFile: string;
let sim: Simulator;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'pra-tls-'));
  certFile = join(dir, 'cert.pem');
  const keyFile = join(dir, 'key.pem');
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
