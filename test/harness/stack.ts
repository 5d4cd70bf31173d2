/**
 * The servers every integration test runs against: Apache Kafka (KRaft, with a
 * SASL listener), Apicurio Registry and Elasticsearch, started in parallel on
 * 127.0.0.1 and free ports, in a fresh temporary folder per run. A server whose
 * address is already in the environment (KAFKA_BROKERS, SCHEMA_REGISTRY_URL,
 * ES_NODE) is used as it is and not started.
 */
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { startControlServer } from './control-server.js';
import { ElasticsearchServer } from './elasticsearch.js';
import { KafkaServer } from './kafka.js';
import { RegistryServer } from './registry.js';
import type { TestServer } from './server.js';

export interface Stack {
  /** KAFKA_BROKERS, KAFKA_SASL_BROKERS (+ user), SCHEMA_REGISTRY_URL, ES_NODE, HARNESS_CONTROL_URL. */
  env: Record<string, string>;
  /** Product name -> version the running server reports. */
  versions: Record<string, string>;
  stop(): Promise<void>;
  /** When `failed`, copies the servers' logs and configs into `dir`. */
  keepLogs(failed: boolean, dir: string): Promise<void>;
}

const PRODUCT: Record<string, string> = {
  kafka: 'Apache Kafka',
  'apicurio-registry': 'Apicurio Registry',
  elasticsearch: 'Elasticsearch',
};

/** The address variables only (no credentials), as NAME=value pairs. */
function addresses(env: Record<string, string>): string {
  return Object.entries(env)
    .filter(([k]) => !/USERNAME|PASSWORD/.test(k))
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
}

export async function startStack(opts: { log: (line: string) => void }): Promise<Stack> {
  const { log } = opts;
  const runDir = mkdtempSync(join(tmpdir(), 'pra-stack-'));
  // Elasticsearch runs as another user when the harness is root and must reach its folder.
  chmodSync(runDir, 0o755);
  const taken = new Set<number>();
  const reuse = (name: string) => process.env[name] !== undefined && process.env[name] !== '';

  const servers: Record<string, TestServer> = {};
  if (!reuse('KAFKA_BROKERS')) servers.kafka = await KafkaServer.create(join(runDir, 'kafka'), taken);
  if (!reuse('SCHEMA_REGISTRY_URL')) servers['apicurio-registry'] = await RegistryServer.create(join(runDir, 'registry'), taken);
  if (!reuse('ES_NODE')) servers.elasticsearch = await ElasticsearchServer.create(join(runDir, 'elasticsearch'), taken, log);
  for (const name of ['KAFKA_BROKERS', 'SCHEMA_REGISTRY_URL', 'ES_NODE']) {
    if (reuse(name)) log(`Using ${name}=${process.env[name]} from the environment.`);
  }

  const all = Object.values(servers);
  const stopAll = () => Promise.allSettled(all.map((s) => s.stop()));
  const t0 = Date.now();
  log(`Starting ${all.map((s) => PRODUCT[s.name]).join(', ')} in ${runDir}`);
  const results = await Promise.allSettled(
    all.map(async (s) => {
      await s.start();
      log(`${PRODUCT[s.name]} ${s.version} ready in ${(s.startupMs / 1000).toFixed(1)} s: ${addresses(s.env())}`);
    }),
  );
  const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed.length > 0) {
    await stopAll();
    const kept = join(tmpdir(), `${basename(runDir)}-failed`);
    cpSync(runDir, kept, { recursive: true });
    rmSync(runDir, { recursive: true, force: true });
    throw new Error(`The test servers did not start (logs kept in ${kept}):\n${failed.map((r) => String(r.reason?.message ?? r.reason)).join('\n')}`);
  }
  log(`All servers ready after ${((Date.now() - t0) / 1000).toFixed(1)} s.`);

  const control = await startControlServer(
    Object.fromEntries(Object.entries(servers).filter(([name]) => name !== 'apicurio-registry')),
    log,
    taken,
  );
  const env: Record<string, string> = { HARNESS_CONTROL_URL: control.url };
  for (const s of all) Object.assign(env, s.env());
  const versions = Object.fromEntries(all.map((s) => [PRODUCT[s.name] ?? s.name, s.version]));

  let stopped: Promise<void> | undefined;
  return {
    env,
    versions,
    stop: () =>
      (stopped ??= (async () => {
        await control.close();
        await stopAll();
        rmSync(runDir, { recursive: true, force: true });
        log('Servers stopped.');
      })()),
    async keepLogs(failedRun, dir) {
      if (!failedRun) return;
      for (const s of all) {
        const target = join(dir, s.name);
        mkdirSync(target, { recursive: true });
        for (const file of s.logFiles()) {
          if (existsSync(file)) cpSync(file, join(target, basename(file)), { recursive: true });
        }
      }
      log(`A test failed: server logs kept in ${dir}`);
    },
  };
}
