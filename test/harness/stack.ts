/**
 * The servers every integration test runs against: Apache Kafka (KRaft, with a
 * SASL listener), Apicurio Registry and Elasticsearch, started in parallel on
 * 127.0.0.1 and free ports, in a fresh temporary folder per run. A server whose
 * address is already in the environment (KAFKA_BROKERS, SCHEMA_REGISTRY_URL,
 * ES_NODE) is used as it is and not started.
 *
 * Cluster mode (`clusterOptions()`: `--kafka-brokers N`, `--es-nodes N`,
 * `--toxiproxy`, or PRA_STACK_KAFKA_BROKERS, PRA_STACK_ES_NODES,
 * PRA_STACK_TOXIPROXY=1): N Kafka nodes in one KRaft quorum (topics replicated
 * 3 times, at least 2 in sync), N Elasticsearch nodes in one cluster (indices
 * with 1 replica), the registry keeping its schemas across restarts, and
 * optionally toxiproxy with a proxied Kafka listener per service. Each node is
 * then also in the control API (`kafka-1`, `elasticsearch-2`, `registry`).
 */
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { startControlServer } from './control-server.js';
import { ElasticsearchServer } from './elasticsearch.js';
import { ElasticsearchCluster } from './elasticsearch-cluster.js';
import { KafkaCluster, KafkaServer, type KafkaLane } from './kafka.js';
import { freePort } from './process.js';
import { RegistryServer } from './registry.js';
import type { TestServer } from './server.js';
import { LANES, ToxiproxyServer } from './toxiproxy.js';

export interface ClusterOptions {
  /** Kafka nodes (default 1). */
  kafkaBrokers: number;
  /** Elasticsearch nodes (default 1). */
  esNodes: number;
  /** Toxiproxy in front of Kafka (a listener per service), for network faults. */
  toxiproxy: boolean;
}

/** The cluster options from the command line (`--kafka-brokers 3 --es-nodes 2 --toxiproxy`) and the environment. */
export function clusterOptions(args: readonly string[] = [], env: NodeJS.ProcessEnv = process.env): ClusterOptions {
  const value = (flag: string, name: string): string | undefined => {
    const i = args.indexOf(flag);
    return i >= 0 ? args[i + 1] : env[name];
  };
  const count = (flag: string, name: string): number => {
    const raw = value(flag, name);
    if (raw === undefined || raw === '') return 1;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 1 || n > 5) throw new Error(`${flag} / ${name}: a node count from 1 to 5, not "${raw}"`);
    return n;
  };
  const toxi = args.includes('--toxiproxy') || env.PRA_STACK_TOXIPROXY === '1' || env.PRA_STACK_TOXIPROXY === 'true';
  return { kafkaBrokers: count('--kafka-brokers', 'PRA_STACK_KAFKA_BROKERS'), esNodes: count('--es-nodes', 'PRA_STACK_ES_NODES'), toxiproxy: toxi };
}

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
  toxiproxy: 'Toxiproxy',
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

export async function startStack(opts: { log: (line: string) => void; cluster?: ClusterOptions }): Promise<Stack> {
  const { log } = opts;
  const cluster = opts.cluster ?? clusterOptions([], process.env);
  const clustered = cluster.kafkaBrokers > 1 || cluster.esNodes > 1;
  const runDir = mkdtempSync(join(tmpdir(), 'pra-stack-'));
  // Elasticsearch runs as another user when the harness is root and must reach its folder.
  chmodSync(runDir, 0o755);
  const taken = new Set<number>();
  const reuse = (name: string) => process.env[name] !== undefined && process.env[name] !== '';

  const servers: Record<string, TestServer> = {};
  /** Servers the control API knows beyond the top-level ones: cluster nodes, the registry. */
  const controlled: Record<string, TestServer> = {};
  const laneEnv: Record<string, string> = {};
  let toxiproxy: ToxiproxyServer | undefined;
  if (cluster.toxiproxy) {
    toxiproxy = await ToxiproxyServer.create(join(runDir, 'toxiproxy'), taken);
    servers.toxiproxy = toxiproxy;
  }
  if (!reuse('KAFKA_BROKERS')) {
    if (cluster.kafkaBrokers > 1 || toxiproxy) {
      const proxied: Record<string, string[]> = {};
      const lanes = async (nodeId: number): Promise<KafkaLane[]> => {
        if (!toxiproxy) return [];
        const out: KafkaLane[] = [];
        for (const lane of LANES) {
          const port = await freePort(taken);
          const advertisedPort = await freePort(taken);
          toxiproxy.addStandingProxy(`kafka-${lane}-${nodeId}`, advertisedPort, `127.0.0.1:${port}`);
          (proxied[lane] ??= []).push(`127.0.0.1:${advertisedPort}`);
          out.push({ name: lane.toUpperCase(), port, advertisedPort });
        }
        return out;
      };
      const kafka = await KafkaCluster.create(join(runDir, 'kafka'), taken, cluster.kafkaBrokers, lanes);
      servers.kafka = kafka;
      if (cluster.kafkaBrokers > 1) for (const node of kafka.nodes) controlled[node.name] = node;
      for (const [lane, addresses] of Object.entries(proxied)) laneEnv[`KAFKA_BROKERS_VIA_PROXY_${lane.toUpperCase()}`] = addresses.join(',');
    } else {
      servers.kafka = await KafkaServer.create(join(runDir, 'kafka'), taken);
    }
  }
  if (!reuse('SCHEMA_REGISTRY_URL')) {
    const registry = await RegistryServer.create(join(runDir, 'registry'), taken, { persistent: clustered });
    servers['apicurio-registry'] = registry;
    if (registry.persistent) controlled.registry = registry;
  }
  if (!reuse('ES_NODE')) {
    if (cluster.esNodes > 1) {
      const es = await ElasticsearchCluster.create(join(runDir, 'elasticsearch'), taken, log, cluster.esNodes);
      servers.elasticsearch = es;
      for (const node of es.nodes) controlled[node.name] = node;
    } else {
      servers.elasticsearch = await ElasticsearchServer.create(join(runDir, 'elasticsearch'), taken, log);
    }
  }
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
    { ...Object.fromEntries(Object.entries(servers).filter(([name]) => name !== 'apicurio-registry' && name !== 'toxiproxy')), ...controlled },
    log,
    taken,
  );
  const env: Record<string, string> = { HARNESS_CONTROL_URL: control.url };
  for (const s of all) Object.assign(env, s.env());
  Object.assign(env, laneEnv);
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
