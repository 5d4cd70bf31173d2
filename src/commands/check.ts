/**
 * `pra-pipeline check`: validates the configuration in the environment and tries
 * every dependency it names (a token from each PRA site, Kafka, the registry,
 * Elasticsearch), saying what fails and why. Exit 0 all good, 1 a dependency
 * failed, 2 the configuration is invalid.
 */
import { Writable } from 'node:stream';
import {
  ConfigError,
  createKafka,
  createLogger,
  kafkaVars,
  loadConfig,
  Metrics,
  registryVars,
  type Logger,
} from '@pra-pipeline/shared';
import { loadEnricherConfig } from '@pra-pipeline/enricher/config';
import { loadPollerConfig, type PollerConfig } from '@pra-pipeline/poller';
import { PraClient } from '@pra-pipeline/poller/pra-client';
import { createPollerMetrics } from '@pra-pipeline/poller/telemetry';
import { createEsClient, loadSinkConfig } from '@pra-pipeline/sink';
import { detectModes, inProcessEnv } from '../all-in-one/modes.js';
import type { Command } from './command.js';

export interface CheckResult {
  name: string;
  ok: boolean;
  detail: string;
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

export async function runChecks(env: Record<string, string | undefined>): Promise<{ results: CheckResult[]; configValid: boolean }> {
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
        const res = await fetch(`${config.schemaRegistryUrl}/subjects`, { headers });
        if (!res.ok) throw new Error(`HTTP ${res.status} from ${config.schemaRegistryUrl}/subjects`);
        const subjects = (await res.json()) as unknown[];
        return `${subjects.length} subject(s)`;
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
    'Usage: pra-pipeline check',
    '',
    'Validates the configuration in the environment (the same variables the services read) and tries',
    'every dependency it names: a token from each PRA site (PRA_SITES / PRA_URL), Kafka (KAFKA_BROKERS),',
    'the schema registry (SCHEMA_REGISTRY_URL) and Elasticsearch (ES_NODE / ES_CLOUD_ID). Each line says',
    'OK or FAIL and why. Secrets are never printed.',
    '',
    'Exit codes: 0 everything answered, 1 a dependency failed, 2 the configuration is invalid.',
  ].join('\n'),
  async run() {
    const { results, configValid } = await runChecks(process.env);
    if (results.length === 0) {
      console.log('Nothing is configured: set PRA_URL or PRA_SITES, KAFKA_BROKERS, SCHEMA_REGISTRY_URL and/or ES_NODE (see docs/configuration.md).');
      return 2;
    }
    for (const r of results) console.log(`${r.ok ? 'OK  ' : 'FAIL'}  ${r.name}: ${r.detail}`);
    if (!configValid) return 2;
    return results.every((r) => r.ok) ? 0 : 1;
  },
};
