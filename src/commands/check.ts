/**
 * `pra-pipeline check`: validates the configuration in the environment and tries
 * every dependency it names (a token from each PRA site, Kafka, the registry,
 * Elasticsearch), saying what fails and why. Exit 0 all good, 1 a dependency
 * failed, 2 the configuration is invalid.
 */
import { get as httpGet } from 'node:http';
import { get as httpsGet, type Agent } from 'node:https';
import { Writable } from 'node:stream';
import {
  ConfigError,
  createKafka,
  createLogger,
  kafkaVars,
  loadConfig,
  Metrics,
  plaintextCredentialWarnings,
  registryAgent,
  registryVars,
  scrubText,
  type TransportSettings,
  type Logger,
} from '@pra-pipeline/shared';
import { loadEnricherConfig } from '@pra-pipeline/enricher';
import { loadPollerConfig, type PollerConfig, PraClient, createPollerMetrics } from '@pra-pipeline/poller';
import { createEsClient, loadSinkConfig } from '@pra-pipeline/sink';
import { detectModes, inProcessEnv } from '../all-in-one/modes.js';
import { environmentSecrets } from '../environment-secrets.js';
import { UsageError, type Command } from './command.js';

/** GET with node:http(s), so an https registry can be checked with SCHEMA_REGISTRY_CA_FILE's agent; the body is capped at 1 MiB. */
function getJson(url: string, headers: Record<string, string>, agent: Agent | undefined): Promise<{ status: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    const req = (url.startsWith('https:') ? httpsGet : httpGet)(url, { headers, ...(agent ? { agent } : {}) }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > 1024 * 1024) req.destroy(new Error(`the answer from ${url} is larger than 1 MiB`));
        else chunks.push(chunk);
      });
      res.on('end', () => {
        try {
          resolve({ status: res.statusCode ?? 0, body: res.statusCode === 200 ? JSON.parse(Buffer.concat(chunks).toString('utf8')) : undefined });
        } catch (err) {
          reject(err as Error);
        }
      });
      res.on('error', reject);
    });
    req.on('error', reject);
  });
}

export interface CheckResult {
  name: string;
  ok: boolean;
  detail: string;
  /** A warning, not a failure: printed WARN, the exit code unchanged. */
  warning?: boolean;
}

const TIMEOUT_MS = 15_000;

async function attempt(name: string, fn: () => Promise<string>): Promise<CheckResult> {
  let timer: NodeJS.Timeout | undefined;
  try {
    const detail = await Promise.race([
      fn(),
      new Promise<string>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${TIMEOUT_MS / 1000} s`)), TIMEOUT_MS);
      }),
    ]);
    return { name, ok: true, detail };
  } catch (err) {
    return { name, ok: false, detail: (err as Error).message.split('\n')[0] ?? String(err) };
  } finally {
    clearTimeout(timer);
  }
}

function configCheck(name: string, load: () => unknown): CheckResult {
  try {
    load();
    return { name: `configuration: ${name}`, ok: true, detail: 'valid' };
  } catch (err) {
    if (err instanceof ConfigError) return { name: `configuration: ${name}`, ok: false, detail: err.problems.map((p) => `${p.variable}: ${p.message}`).join('; ') };
    throw err;
  }
}

/** Credentials that would travel in clear, as the services warn at start. */
function transportWarnings(env: Record<string, string | undefined>, stageEnv: Record<string, string | undefined>, modes: ReturnType<typeof detectModes>): CheckResult[] {
  const settings: TransportSettings = {};
  if (modes.kafka) Object.assign(settings, loadConfig('kafka', kafkaVars, { env }).config);
  if (env.SCHEMA_REGISTRY_URL) Object.assign(settings, loadConfig('registry', registryVars, { env }).config);
  if (modes.elasticsearch) Object.assign(settings, loadSinkConfig({ env: stageEnv }).config);
  return plaintextCredentialWarnings(settings).map((detail) => ({ name: 'plaintext credentials', ok: true, warning: true, detail }));
}

async function siteChecks(config: PollerConfig, logger: Logger): Promise<CheckResult[]> {
  const metrics = createPollerMetrics(new Metrics({ defaultMetrics: false }));
  return Promise.all(
    config.sites.map((site) =>
      attempt(`PRA site ${site.name} (${site.url})`, async () => {
        const client = new PraClient(site, { logger, metrics });
        try {
          await client.checkCredentials();
          return 'token issued for the API account';
        } finally {
          await client.close();
        }
      }),
    ),
  );
}

/** A URL as check prints it: a password written into it is replaced (the user name stays, to say which account). */
export function redactUrl(text: string): string {
  return text.replace(/(:\/\/[^\s/:@]*:)[^\s/@]+@/g, '$1[REDACTED]@');
}

/** Each result's name and detail with URL passwords and every secret of the environment scrubbed. */
export async function runChecks(env: Record<string, string | undefined>): Promise<{ results: CheckResult[]; configValid: boolean }> {
  const { results, configValid } = await runAllChecks(env);
  const secrets = environmentSecrets(env);
  const clean = (text: string) => scrubText(redactUrl(text), secrets);
  return { results: results.map((r) => ({ ...r, name: clean(r.name), detail: clean(r.detail) })), configValid };
}

async function runAllChecks(env: Record<string, string | undefined>): Promise<{ results: CheckResult[]; configValid: boolean }> {
  const logger = createLogger({ service: 'check', level: 'silent', destination: new Writable({ write: (_c, _e, done) => done() }) });
  const modes = detectModes(env);
  const results: CheckResult[] = [];
  let poller: PollerConfig | undefined;
  // The schemas require Kafka and registry addresses; where none is configured, placeholders stand in.
  const stageEnv = inProcessEnv(env, modes);
  if (modes.sites) {
    results.push(configCheck('poller', () => (poller = loadPollerConfig({ env: stageEnv }))));
  }
  if (modes.kafka) {
    results.push(configCheck('Kafka', () => loadConfig('kafka', kafkaVars, { env })));
    if (env.SCHEMA_REGISTRY_URL) results.push(configCheck('enricher', () => loadEnricherConfig({ env })));
  }
  if (modes.elasticsearch) {
    results.push(configCheck('sink', () => loadSinkConfig({ env: stageEnv })));
  }
  const configValid = results.every((r) => r.ok);
  if (!configValid) return { results, configValid };
  results.push(...transportWarnings(env, stageEnv, modes));

  if (poller) results.push(...(await siteChecks(poller, logger)));
  if (modes.kafka) {
    const { config } = loadConfig('kafka', kafkaVars, { env });
    results.push(
      await attempt(`Kafka (${config.kafkaBrokers.join(',')})`, async () => {
        const admin = createKafka({ ...config, kafkaClientId: 'pra-pipeline-check' }, logger).admin();
        await admin.connect();
        try {
          const cluster = await admin.describeCluster();
          const topics = await admin.listTopics();
          return `${cluster.brokers.length} broker(s), controller ${cluster.controller}, ${topics.length} topic(s)`;
        } finally {
          await admin.disconnect();
        }
      }),
    );
  }
  if (env.SCHEMA_REGISTRY_URL) {
    const { config } = loadConfig('registry', registryVars, { env });
    results.push(
      await attempt(`schema registry (${config.schemaRegistryUrl})`, async () => {
        const headers: Record<string, string> = {};
        if (config.schemaRegistryUsername) {
          headers.authorization = `Basic ${Buffer.from(`${config.schemaRegistryUsername}:${config.schemaRegistryPassword ?? ''}`).toString('base64')}`;
        }
        const res = await getJson(`${config.schemaRegistryUrl}/subjects`, headers, registryAgent(config));
        if (res.status !== 200) throw new Error(`HTTP ${res.status} from ${config.schemaRegistryUrl}/subjects`);
        return `${(res.body as unknown[]).length} subject(s)`;
      }),
    );
  }
  if (modes.elasticsearch) {
    const { config } = loadSinkConfig({ env: stageEnv });
    results.push(
      await attempt(`Elasticsearch (${config.esNode?.join(',') ?? 'cloud id'})`, async () => {
        const client = createEsClient(config, logger);
        try {
          // Cluster health and node info exist in every distribution; the root endpoint does not.
          const health = await client.cluster.health();
          const nodes = await client.nodes.info({ node_id: '_local', metric: '_none' });
          const version = Object.values(nodes.nodes)[0]?.version ?? 'unknown';
          return `${health.cluster_name} (${health.status}), version ${version}`;
        } finally {
          await client.close();
        }
      }),
    );
  }
  return { results, configValid };
}

export const checkCommand: Command = {
  name: 'check',
  summary: 'Validate the configuration and try every configured dependency.',
  help: [
    'Usage: pra-pipeline check [--json]',
    '',
    'Validates the configuration in the environment (the same variables the services read) and tries',
    'every dependency it names: a token from each PRA site (PRA_SITES / PRA_URL), Kafka (KAFKA_BROKERS),',
    'the schema registry (SCHEMA_REGISTRY_URL) and Elasticsearch (ES_NODE / ES_CLOUD_ID). Each line says',
    'OK or FAIL and why. Secrets are never printed.',
    '',
    '  --json   one JSON object instead of lines: {"ok", "configValid", "results": [{"name", "ok",',
    '           "warning", "detail"}]}, for scripts and readiness gates; the same exit codes.',
    '',
    'Exit codes: 0 everything answered, 1 a dependency failed, 2 the configuration is invalid.',
  ].join('\n'),
  async run(args) {
    const unknown = args.filter((a) => a !== '--json');
    if (unknown.length > 0) throw new UsageError(`Unknown argument ${unknown[0]}.`);
    const json = args.includes('--json');
    const { results, configValid } = await runChecks(process.env);
    const code = results.length === 0 || !configValid ? 2 : results.every((r) => r.ok) ? 0 : 1;
    if (json) {
      const out = results.map((r) => ({ name: r.name, ok: r.ok, warning: r.warning === true, detail: r.detail }));
      console.log(JSON.stringify({ ok: code === 0, configValid: results.length > 0 && configValid, results: out }));
      return code;
    }
    if (results.length === 0) {
      console.log('Nothing is configured: set PRA_URL or PRA_SITES, KAFKA_BROKERS, SCHEMA_REGISTRY_URL and/or ES_NODE (see docs/configuration.md).');
      return 2;
    }
    for (const r of results) console.log(`${r.warning ? 'WARN' : r.ok ? 'OK  ' : 'FAIL'}  ${r.name}: ${r.detail}`);
    return code;
  },
};
