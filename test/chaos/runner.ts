/**
 * Fault-injection runs of the whole pipeline. A run starts the simulator (two
 * sites, running sessions, background faults), the poller, enricher and sink as
 * their own processes (`pra-pipeline <service>`) with topics, groups and a data
 * stream namespace of their own, waits until documents flow, then applies a
 * scenario: timed faults (SIGKILL of a service and a restart after a delay, a
 * Kafka broker restart, Elasticsearch stopped for a while, simulator errors
 * turned up), possibly overlapping. When the last fault has ended the
 * simulator's clock freezes (the appliance stops changing) and the run waits
 * until Elasticsearch holds exactly the simulator's ground truth. It reports
 * missing, duplicated and extra event ids and the recovery time: from the end of
 * the last fault to the first moment Elasticsearch equals the ground truth.
 *
 * Like an orchestrator, the runner restarts a service that exits on its own
 * (after one second); such exits are reported, never hidden.
 *
 * Test servers: Kafka and Elasticsearch are stopped and started through the
 * harness's control API (test/harness/control.ts), so a run needs servers the
 * harness started: `npm test`, `npm run chaos`, or `npm run stack -- --env-file`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createWriteStream, mkdirSync, mkdtempSync, writeFileSync, type WriteStream } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createKafka, createLogger, readTopicToEnd } from '@pra-pipeline/shared';
import type { FaultRule, Simulator } from '@pra-pipeline/pra-simulator';
import { killServer, restartServer, startServer, stopServer, type ControlledServer } from '../harness/control.js';
import { masterAndOthers } from '../harness/elasticsearch-cluster.js';
import { stackEnv, uniqueName } from '../harness/env.js';
import { freePort } from '../harness/process.js';
import { ToxiproxyClient, type Lane, type Toxic } from '../harness/toxiproxy.js';
import { compareIds, countIds, DATA_STREAM_PREFIX, indexedIds, pipelineEnv, settlingSimulator, sitesJson, type Comparison } from '../e2e/support.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export const SERVICES = ['poller', 'enricher', 'sink'] as const;
export type Service = (typeof SERVICES)[number];

export type Fault =
  /** SIGKILL the service, start it again `downMs` later. */
  | { kind: 'kill'; service: Service; downMs: number }
  /** Stop the Kafka broker (clean shutdown) and start it again on the same data. */
  | { kind: 'kafka-restart' }
  /** Stop Elasticsearch, start it again `forMs` after it stopped. */
  | { kind: 'elasticsearch-stop'; forMs: number }
  /** Add simulator fault rules for `forMs`, then remove them. */
  | { kind: 'simulator-errors'; rules: FaultRule[]; forMs: number }
  /**
   * Cluster mode: SIGKILL of one Kafka node, started again `downMs` later. The node is the
   * leader of the busiest partition of the run's topics, the group coordinator (leader of
   * __consumer_offsets, which has one partition in the harness) or the transaction coordinator
   * (leader of __transaction_state).
   */
  | { kind: 'broker-kill'; target: 'busiest-leader' | 'group-coordinator' | 'transaction-coordinator'; downMs: number }
  /** Cluster mode: every Kafka node restarted in turn (clean stop, start), each once all partitions are fully replicated again. */
  | { kind: 'rolling-restart' }
  /** Cluster mode: SIGKILL of the Elasticsearch node that is not the elected master, started again `downMs` later. */
  | { kind: 'es-node-kill'; downMs: number }
  /** The schema registry stopped (SIGKILL) for `forMs`, then started again on the same data. */
  | { kind: 'registry-down'; forMs: number }
  /** `index.blocks.read_only_allow_delete` on the data stream's indices for `forMs` (what the disk flood stage sets), then removed. */
  | { kind: 'index-block'; forMs: number }
  /**
   * Toxics on the proxies between `lanes` (services) and `targets` for `forMs`, then removed
   * (both directions; a scenario with this fault runs every service through toxiproxy).
   */
  | { kind: 'network'; label: string; toxic: Omit<Toxic, 'name' | 'stream'>; lanes: Lane[]; targets: NetworkTarget[]; forMs: number };

/** What a service talks to through toxiproxy. */
export type NetworkTarget = 'kafka' | 'registry' | 'elasticsearch' | 'simulator';

/** A fault applied `atMs` after documents first reach Elasticsearch. */
export interface TimedFault {
  atMs: number;
  fault: Fault;
}

export interface Scenario {
  name: string;
  /** One line for the summary and the results file. */
  description: string;
  faults: TimedFault[];
  /** Seed of the simulator's data and fault draws. */
  simulatorSeed?: number;
  /** Seconds the appliance keeps changing after the faults started, at least (default: until the last fault ends). */
  minRunMs?: number;
  /** How long the pipeline may take to equal the ground truth after the last fault (default 180 s). */
  settleDeadlineMs?: number;
  /** Every service talks to every server through toxiproxy (set for scenarios with network faults). */
  proxied?: boolean;
  /** The simulator's load (default: the chaos profile). */
  profile?: { sessionsPerMinute: number; eventsPerSession: number; runningShare: number; sessionMinutes: number };
}

export interface AppliedFault {
  /** What happened, e.g. "SIGKILL sink, down 2.1 s". */
  what: string;
  /** Milliseconds after the faults started. */
  startMs: number;
  endMs: number;
  /** Fault-specific figures: simulator faults applied, ms the harness took, the kill's signal. */
  detail?: string;
}

export interface UnplannedExit {
  service: Service;
  code: number | null;
  signal: string | null;
  atMs: number;
  /** The process's last output lines. */
  tail: string[];
}

export interface ChaosResult extends Comparison {
  scenario: string;
  description: string;
  /** Events in the ground truth once the clock froze. */
  events: number;
  /** Milliseconds from the end of the last fault to Elasticsearch equal to the ground truth; null if it never was. */
  recoveryMs: number | null;
  /** The enriched topic read committed, as another team's consumer reads it: each event once. */
  topic: Comparison;
  /** Records on the dead-letter topic. */
  deadLetters: number;
  /**
   * Evidence when the enriched topic holds an event more than once: up to 10 such events with
   * the partition/offset of each copy, and how many raw records (key and value) occur more than
   * once on the raw topic. The run's topics are then kept for inspection.
   */
  topicEvidence?: { duplicates: { id: string; copies: string[] }[]; rawRecordsRepeated: number; keptTopics: string };
  faults: AppliedFault[];
  unplannedExits: UnplannedExit[];
  /** Whole run, start of the services to the final comparison. */
  runMs: number;
  /** Where the services' logs are. */
  logDir: string;
}

/** Small deterministic PRNG (mulberry32) so a scenario's random moments can be replayed from its seed. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The seed of this run's random moments: CHAOS_SEED, or a new one (printed with the results). */
export function chaosSeed(): number {
  const fromEnv = Number(process.env.CHAOS_SEED);
  return Number.isInteger(fromEnv) && process.env.CHAOS_SEED ? fromEnv : Math.floor(Math.random() * 2 ** 31);
}

/**
 * `count` SIGKILLs of `service` at random moments in [fromMs, toMs): one in each
 * equal slot, at least 3 s into it (so the previous start has run), down 0.5 to 4 s.
 */
export function randomKills(random: () => number, service: Service, count: number, fromMs: number, toMs: number): TimedFault[] {
  const slot = (toMs - fromMs) / count;
  return Array.from({ length: count }, (_, i) => ({
    atMs: Math.round(fromMs + i * slot + 3000 + random() * Math.max(0, slot - 8000)),
    fault: { kind: 'kill' as const, service, downMs: Math.round(500 + random() * 3500) },
  }));
}

/** The appliance misbehaving hard: throttling, server errors, resets, truncated and broken XML, tokens that die early. */
export const HEAVY_SIMULATOR_ERRORS: FaultRule[] = [
  { kind: 'token-expiry', lifetimeSeconds: 1, endpoint: 'token', rate: 0.5 },
  { kind: 'status', status: 503, endpoint: 'token', rate: 0.2 },
  { kind: 'status', status: 429, retryAfter: 2, endpoint: 'reporting', rate: 0.15 },
  { kind: 'status', status: 500, endpoint: 'reporting', rate: 0.1 },
  { kind: 'status', status: 502, endpoint: 'reporting', rate: 0.1 },
  { kind: 'reset', afterBytes: 1500, endpoint: 'reporting', rate: 0.1 },
  { kind: 'truncate', afterBytes: 2500, endpoint: 'reporting', rate: 0.1 },
  { kind: 'malformed', afterBytes: 2000, endpoint: 'reporting', rate: 0.05 },
  { kind: 'error-element', endpoint: 'reporting', rate: 0.05 },
  { kind: 'timeout', endpoint: 'reporting', rate: 0.03 },
];

/** Always on, as in the end-to-end test: a light mix of the appliance's usual failures. */
export const BACKGROUND_FAULTS: FaultRule[] = [
  { kind: 'token-expiry', lifetimeSeconds: 0, times: 2 },
  { kind: 'status', status: 429, retryAfter: 1, endpoint: 'reporting', rate: 0.03 },
  { kind: 'status', status: 503, endpoint: 'reporting', rate: 0.03 },
  { kind: 'reset', afterBytes: 2000, endpoint: 'reporting', rate: 0.02 },
  { kind: 'truncate', afterBytes: 3000, endpoint: 'reporting', rate: 0.02 },
];

/** Servers this module stopped or killed and has not started again (restored by `restoreServers`). */
const stoppedServers = new Set<ControlledServer>();

/** Starts again any server a fault left stopped (a run that failed half-way). Safe to call always. */
export async function restoreServers(): Promise<void> {
  for (const server of [...stoppedServers]) {
    await startServer(server);
    stoppedServers.delete(server);
  }
}

/** One service as a child process, restarted like an orchestrator would when it exits on its own. */
export class ServiceProcess {
  child: ChildProcess | undefined;
  #exited: Promise<{ code: number | null; signal: string | null }> = Promise.resolve({ code: null, signal: null });
  #planned = false;
  #closed = false;
  readonly tail: string[] = [];
  readonly #log: WriteStream;

  constructor(
    readonly service: Service,
    private readonly env: Record<string, string>,
    logDir: string,
    private readonly onUnplannedExit: (exit: { code: number | null; signal: string | null; tail: string[] }) => void,
  ) {
    this.#log = createWriteStream(join(logDir, `${service}.log`), { flags: 'a' });
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  start(): void {
    if (this.#closed || this.running) return;
    this.#planned = false;
    this.#log.write(`--- start ${new Date().toISOString()}\n`);
    const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', 'src/bin.ts', this.service], {
      cwd: root,
      env: { PATH: process.env.PATH ?? '', ...this.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const keep = (chunk: Buffer) => {
      this.#log.write(chunk);
      this.tail.push(...chunk.toString().split('\n').filter(Boolean));
      if (this.tail.length > 60) this.tail.splice(0, this.tail.length - 60);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    this.child = child;
    this.#exited = new Promise((resolve) =>
      child.once('exit', (code, signal) => {
        this.#log.write(`--- exit code ${code} signal ${signal} ${new Date().toISOString()}\n`);
        resolve({ code, signal });
        if (!this.#planned && !this.#closed) {
          this.onUnplannedExit({ code, signal, tail: this.tail.slice(-20) });
          setTimeout(() => this.start(), 1000).unref();
        }
      }),
    );
  }

  /** SIGKILL; resolves with the signal that ended it (SIGKILL unless it had already exited). */
  async kill(): Promise<string | null> {
    if (!this.running) return null;
    this.#planned = true;
    this.child!.kill('SIGKILL');
    return (await this.#exited).signal;
  }

  /** SIGTERM, SIGKILL after `graceMs`; no restart afterwards. */
  async close(graceMs = 20_000): Promise<void> {
    this.#closed = true;
    if (this.running) {
      this.#planned = true;
      this.child!.kill('SIGTERM');
      const timer = setTimeout(() => this.child?.kill('SIGKILL'), graceMs);
      await this.#exited;
      clearTimeout(timer);
    }
    await new Promise<void>((r) => this.#log.end(r));
  }
}

/** Runs one scenario end to end; never throws for a wrong result (the caller asserts on it). */
export async function runScenario(scenario: Scenario, log: (line: string) => void = () => undefined): Promise<ChaosResult> {
  const stack = stackEnv();
  if (!stack.harnessControlUrl && scenario.faults.some((f) => !['kill', 'simulator-errors', 'index-block', 'network'].includes(f.fault.kind))) {
    throw new Error('This scenario stops servers: it needs HARNESS_CONTROL_URL (servers started by the harness).');
  }
  const clusterFault = scenario.faults.find((f) => ['broker-kill', 'rolling-restart', 'es-node-kill', 'registry-down'].includes(f.fault.kind));
  if (clusterFault && !process.env.KAFKA_NODE_IDS) {
    throw new Error(`${clusterFault.fault.kind} needs the cluster stack (npm run stack -- --kafka-brokers 3 --es-nodes 2 --toxiproxy).`);
  }
  const toxiproxy = process.env.TOXIPROXY_URL ? new ToxiproxyClient(process.env.TOXIPROXY_URL) : undefined;
  if (scenario.proxied && !toxiproxy) throw new Error('This scenario injects network faults: it needs TOXIPROXY_URL (npm run stack -- --toxiproxy).');
  const t0 = Date.now();
  const run = uniqueName(`chaos-${scenario.name}`);
  const namespace = run.replace(/[^a-z0-9]/g, '');
  const logDir = mkdtempSync(join(tmpdir(), `pra-${run}-`));
  const { simulator, clock } = await settlingSimulator({
    seed: scenario.simulatorSeed ?? 11,
    faults: BACKGROUND_FAULTS,
    historySeconds: 20 * 60,
    profile: scenario.profile ?? { sessionsPerMinute: 6, eventsPerSession: 16, runningShare: 0.1, sessionMinutes: 3 },
  });
  const proxies: string[] = [];
  const serviceEnv = await servicesEnv(run, namespace, simulator, scenario.proxied ? toxiproxy : undefined, proxies);

  const unplannedExits: UnplannedExit[] = [];
  let faultsStart = Date.now();
  const services = Object.fromEntries(
    SERVICES.map((s) => [
      s,
      new ServiceProcess(s, serviceEnv[s], logDir, (exit) => {
        unplannedExits.push({ service: s, ...exit, atMs: Date.now() - faultsStart });
        log(`${s} exited on its own (code ${exit.code}, signal ${exit.signal}); restarting it in 1 s`);
      }),
    ]),
  ) as Record<Service, ServiceProcess>;

  const applied: AppliedFault[] = [];
  const tasks: Promise<void>[] = [];
  let comparison: Comparison = { missing: -1, extra: -1, duplicated: -1 };
  let recoveryMs: number | null = null;
  let events = 0;
  let deadLetters = -1;
  let topic: Comparison = { missing: -1, extra: -1, duplicated: -1 };
  let topicEvidence: ChaosResult['topicEvidence'];
  try {
    // The consumers first, so the poller's first records find them ready.
    services.sink.start();
    services.enricher.start();
    services.poller.start();
    const flowing = await waitFor(async () => (await indexedIds(stack.esNode, namespace).catch(() => new Map())).size > 0, 180_000, 1000);
    if (!flowing) throw new Error(`No document reached Elasticsearch within 180 s; logs in ${logDir}`);
    faultsStart = Date.now();
    log(`documents flow after ${((faultsStart - t0) / 1000).toFixed(1)} s; applying ${scenario.faults.length} faults`);

    for (const timed of scenario.faults) {
      tasks.push(
        (async () => {
          await sleep(Math.max(0, faultsStart + timed.atMs - Date.now()));
          const startMs = Date.now() - faultsStart;
          const done = await applyFault(timed.fault, { services, simulator, run, namespace, toxiproxy, proxies });
          const endMs = Date.now() - faultsStart;
          applied.push({ ...done, startMs, endMs });
          log(`${done.what} at ${(startMs / 1000).toFixed(1)} s, over at ${(endMs / 1000).toFixed(1)} s${done.detail ? ` (${done.detail})` : ''}`);
        })(),
      );
    }
    const outcomes = await Promise.allSettled(tasks);
    const failed = outcomes.find((o): o is PromiseRejectedResult => o.status === 'rejected');
    if (failed) throw failed.reason;
    if (scenario.minRunMs) await sleep(Math.max(0, faultsStart + scenario.minRunMs - Date.now()));

    // The appliance stops changing; from here the pipeline has to reach the ground truth on its own.
    const faultsOver = Date.now();
    clock.freeze();
    const expected = new Set(simulator.expectedEventIds());
    events = expected.size;
    const read = async () => compareIds(expected, await indexedIds(stack.esNode, namespace));
    const equal = (c: Comparison) => c.missing === 0 && c.extra === 0 && c.duplicated === 0;
    const deadline = faultsOver + (scenario.settleDeadlineMs ?? 180_000);
    for (let i = 0; i < 2000 && Date.now() < deadline; i++) {
      comparison = await read().catch(() => comparison);
      if (equal(comparison)) {
        recoveryMs = Date.now() - faultsOver;
        break;
      }
      await sleep(500);
    }
    log(`${recoveryMs === null ? 'never equal to the ground truth' : `equal to the ground truth ${(recoveryMs / 1000).toFixed(1)} s after the last fault`}: ${JSON.stringify(comparison)}`);
    // Replays after the first match must not add anything: look again after a quiet spell.
    await sleep(5000);
    comparison = await read();
    const positions = new Map<string, string[]>();
    const ids = await enrichedIds(stack.kafkaBrokers, `${run}.ecs`, (id, at) => positions.set(id, [...(positions.get(id) ?? []), at]));
    topic = compareIds(expected, countIds(ids));
    log(`the enriched topic, read committed: ${JSON.stringify(topic)}`);
    if (topic.duplicated > 0) {
      const duplicates = [...positions].filter(([, at]) => at.length > 1).slice(0, 10).map(([id, copies]) => ({ id, copies }));
      topicEvidence = { duplicates, rawRecordsRepeated: await repeatedRecords(stack.kafkaBrokers, `${run}.raw`), keptTopics: `${run}.*` };
      log(`duplicates on the enriched topic: ${JSON.stringify(topicEvidence)}`);
    }
    deadLetters = await countRecords(stack.kafkaBrokers, `${run}.dlq`);
  } finally {
    await Promise.allSettled(tasks);
    await Promise.allSettled(SERVICES.map((s) => services[s].close()));
    await simulator.stop();
    await restoreServers();
    if (toxiproxy) await Promise.allSettled(proxies.filter((p) => p.startsWith(run)).map((p) => toxiproxy.deleteProxy(p)));
    if (topicEvidence) log(`kept the topics ${run}.* for inspection`);
    else await cleanUp(stack.kafkaBrokers, stack.esNode, run, namespace);
  }
  return {
    scenario: scenario.name,
    description: scenario.description,
    events,
    ...comparison,
    topic,
    recoveryMs,
    deadLetters,
    ...(topicEvidence ? { topicEvidence } : {}),
    faults: applied.sort((a, b) => a.startMs - b.startMs),
    unplannedExits,
    runMs: Date.now() - t0,
    logDir,
  };
}

interface FaultContext {
  services: Record<Service, ServiceProcess>;
  simulator: Simulator;
  run: string;
  namespace: string;
  toxiproxy: ToxiproxyClient | undefined;
  /** Names of the proxies the services of this run talk through, `<run>-<lane>-<n>-<target>` or `kafka-<lane>-<node>`. */
  proxies: string[];
}

async function applyFault(fault: Fault, ctx: FaultContext): Promise<{ what: string; detail?: string }> {
  switch (fault.kind) {
    case 'kill': {
      const proc = ctx.services[fault.service];
      const signal = await proc.kill();
      await sleep(fault.downMs);
      proc.start();
      return { what: `SIGKILL ${fault.service}, down ${(fault.downMs / 1000).toFixed(1)} s`, detail: signal === 'SIGKILL' ? 'killed' : 'was not running' };
    }
    case 'kafka-restart': {
      stoppedServers.add('kafka');
      const ms = await restartServer('kafka');
      stoppedServers.delete('kafka');
      return { what: 'Kafka broker restarted', detail: `stop and start took ${(ms / 1000).toFixed(1)} s` };
    }
    case 'elasticsearch-stop': {
      stoppedServers.add('elasticsearch');
      const stopMs = await stopServer('elasticsearch');
      await sleep(Math.max(0, fault.forMs - stopMs));
      const startMs = await startServer('elasticsearch');
      stoppedServers.delete('elasticsearch');
      return { what: `Elasticsearch stopped ${(fault.forMs / 1000).toFixed(0)} s`, detail: `start took ${(startMs / 1000).toFixed(1)} s` };
    }
    case 'simulator-errors': {
      const ids = new Set(ctx.simulator.faults.add(fault.rules).map((r) => r.id));
      await sleep(fault.forMs);
      const active = ctx.simulator.faults.list().filter((r) => ids.has(r.id));
      const hits = active.reduce((sum, r) => sum + r.applied, 0);
      for (const id of ids) ctx.simulator.faults.remove(id);
      return { what: `Simulator errors for ${(fault.forMs / 1000).toFixed(0)} s`, detail: `${hits} faulty answers served` };
    }
    case 'broker-kill': {
      const { nodeId, why } = await brokerToKill(fault.target, ctx.run);
      const server: ControlledServer = `kafka-${nodeId}`;
      stoppedServers.add(server);
      await killServer(server);
      await sleep(fault.downMs);
      const startMs = await startServer(server);
      stoppedServers.delete(server);
      return { what: `Kafka node ${nodeId} killed (SIGKILL, ${fault.target}), down ${(fault.downMs / 1000).toFixed(0)} s`, detail: `${why}; start took ${(startMs / 1000).toFixed(1)} s` };
    }
    case 'rolling-restart': {
      const ids = (process.env.KAFKA_NODE_IDS ?? '').split(',').filter(Boolean);
      const took: string[] = [];
      for (const id of ids) {
        const server: ControlledServer = `kafka-${Number(id)}`;
        stoppedServers.add(server);
        const ms = await restartServer(server);
        stoppedServers.delete(server);
        const syncMs = await fullyReplicated(ctx.run, 120_000);
        took.push(`node ${id}: ${(ms / 1000).toFixed(1)} s + ${(syncMs / 1000).toFixed(1)} s to full ISR`);
      }
      return { what: `Rolling restart of Kafka nodes ${ids.join(', ')}`, detail: took.join('; ') };
    }
    case 'es-node-kill': {
      const { master, others } = await masterAndOthers((process.env.ES_NODES ?? '').split(',').filter(Boolean));
      const server = others[0] as ControlledServer | undefined;
      if (!server) throw new Error('es-node-kill needs a second Elasticsearch node (npm run stack -- --es-nodes 2)');
      stoppedServers.add(server);
      await killServer(server);
      await sleep(fault.downMs);
      const startMs = await startServer(server);
      stoppedServers.delete(server);
      return { what: `${server} killed (SIGKILL; the master is ${master}), down ${(fault.downMs / 1000).toFixed(0)} s`, detail: `start took ${(startMs / 1000).toFixed(1)} s` };
    }
    case 'registry-down': {
      stoppedServers.add('registry');
      await killServer('registry');
      await sleep(fault.forMs);
      const startMs = await startServer('registry');
      stoppedServers.delete('registry');
      return { what: `Schema registry down ${(fault.forMs / 1000).toFixed(0)} s (SIGKILL)`, detail: `start took ${(startMs / 1000).toFixed(1)} s` };
    }
    case 'index-block': {
      const es = stackEnv().esNode;
      const index = `${DATA_STREAM_PREFIX}${ctx.namespace}`;
      const block = async (value: boolean | null) => {
        const res = await fetch(`${es}/${index}/_settings`, {
          method: 'PUT',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ 'index.blocks.read_only_allow_delete': value }),
          signal: AbortSignal.timeout(30_000),
        });
        if (!res.ok) throw new Error(`index block ${value}: HTTP ${res.status} ${await res.text()}`);
      };
      await block(true);
      // Bulk requests already past the block check when it was set may still complete: count after a grace.
      const graceMs = Math.min(5000, fault.forMs / 4);
      await sleep(graceMs);
      const before = (await indexedIds(es, ctx.namespace)).size;
      await sleep(fault.forMs - graceMs);
      const during = (await indexedIds(es, ctx.namespace)).size;
      await block(null);
      return {
        what: `index.blocks.read_only_allow_delete on ${index} for ${(fault.forMs / 1000).toFixed(0)} s`,
        detail: `${during - before} documents written while blocked (counted from ${graceMs / 1000} s after the block was set)`,
      };
    }
    case 'network': {
      const proxy = ctx.toxiproxy;
      if (!proxy) throw new Error('network faults need TOXIPROXY_URL');
      const names = ctx.proxies.filter((p) => {
        const lane = fault.lanes.find((l) => p.startsWith(`${ctx.run}-${l}-`) || p.startsWith(`kafka-${l}-`));
        const target = fault.targets.find((t) => (t === 'kafka' ? p.startsWith('kafka-') : p.endsWith(`-${t}`)));
        return lane !== undefined && target !== undefined;
      });
      const toxicName = `${ctx.run}-${fault.toxic.type}`;
      const added: [string, string][] = [];
      try {
        for (const name of names) {
          for (const stream of ['upstream', 'downstream'] as const) {
            await proxy.addToxic(name, { ...fault.toxic, name: `${toxicName}-${stream}`, stream });
            added.push([name, `${toxicName}-${stream}`]);
          }
        }
        await sleep(fault.forMs);
      } finally {
        for (const [name, toxic] of added) await proxy.removeToxic(name, toxic).catch(() => undefined);
      }
      return { what: `${fault.label} for ${(fault.forMs / 1000).toFixed(0)} s`, detail: `${fault.toxic.type} ${JSON.stringify(fault.toxic.attributes)} on ${names.length} proxies (${fault.lanes.join(', ')} to ${fault.targets.join(', ')})` };
    }
  }
}

/**
 * Each service's environment. Without a proxy, all share the pipeline's variables, with the
 * cluster's replication settings and every Elasticsearch node. Through toxiproxy, each service
 * gets proxies of its own to the registry, Elasticsearch and the simulator's sites (made here,
 * named `<run>-<lane>-<n>-<target>`, listed in `proxies`), and Kafka's proxied listener of its lane.
 */
export async function servicesEnv(
  run: string,
  namespace: string,
  simulator: Simulator,
  toxiproxy: ToxiproxyClient | undefined,
  proxies: string[],
): Promise<Record<Service, Record<string, string>>> {
  const stack = stackEnv();
  const base: Record<string, string> = {
    ...pipelineEnv(run, stack),
    PRA_SITES: sitesJson(simulator, namespace),
    ...(process.env.KAFKA_REPLICATION_FACTOR ? { KAFKA_REPLICATION_FACTOR: process.env.KAFKA_REPLICATION_FACTOR } : {}),
    ...(process.env.INDEX_REPLICAS ? { INDEX_REPLICAS: process.env.INDEX_REPLICAS } : {}),
    ...(process.env.ES_NODES ? { ES_NODE: process.env.ES_NODES } : {}),
  };
  const out = {} as Record<Service, Record<string, string>>;
  for (const service of SERVICES) {
    if (!toxiproxy) {
      out[service] = base;
      continue;
    }
    const taken = new Set<number>();
    const via = async (target: NetworkTarget, hostPort: string): Promise<string> => {
      const name = `${run}-${service}-${proxies.length}-${target}`;
      const port = await freePort(taken);
      await toxiproxy.createProxy(name, port, hostPort);
      proxies.push(name);
      return `127.0.0.1:${port}`;
    };
    const rewrite = async (target: NetworkTarget, url: string): Promise<string> => {
      const u = new URL(url);
      u.host = await via(target, u.host);
      return u.toString().replace(/\/$/, '');
    };
    const kafka = process.env[`KAFKA_BROKERS_VIA_PROXY_${service.toUpperCase()}`];
    if (!kafka) throw new Error(`KAFKA_BROKERS_VIA_PROXY_${service.toUpperCase()} is not set: start the stack with --toxiproxy`);
    const sites = JSON.parse(base.PRA_SITES!) as { url: string }[];
    for (const site of sites) site.url = await rewrite('simulator', site.url);
    const esNodes = [];
    for (const node of base.ES_NODE!.split(',')) esNodes.push(await rewrite('elasticsearch', node));
    out[service] = {
      ...base,
      KAFKA_BROKERS: kafka,
      SCHEMA_REGISTRY_URL: await rewrite('registry', base.SCHEMA_REGISTRY_URL!),
      ES_NODE: esNodes.join(','),
      PRA_SITES: JSON.stringify(sites),
    };
    for (const p of await toxiproxy.proxies().then((all) => Object.keys(all))) {
      if (p.startsWith(`kafka-${service}-`)) proxies.push(p);
    }
  }
  return out;
}

const admin = () => createKafka({ kafkaBrokers: stackEnv().kafkaBrokers, kafkaClientId: 'chaos-admin' }, quiet).admin();

/** The node to kill for a broker-kill fault, and why it is that one. */
async function brokerToKill(target: 'busiest-leader' | 'group-coordinator' | 'transaction-coordinator', run: string): Promise<{ nodeId: number; why: string }> {
  const a = admin();
  await a.connect();
  try {
    if (target === 'busiest-leader') {
      let best: { topic: string; partition: number; offset: number } | undefined;
      for (const topic of [`${run}.raw`, `${run}.ecs`]) {
        for (const p of await a.fetchTopicOffsets(topic)) {
          const offset = Number(p.high);
          if (!best || offset > best.offset) best = { topic, partition: p.partition, offset };
        }
      }
      if (!best) throw new Error('no partition of the run found');
      const meta = await a.fetchTopicMetadata({ topics: [best.topic] });
      const leader = meta.topics[0]!.partitions.find((p) => p.partitionId === best.partition)!.leader;
      return { nodeId: leader, why: `leader of ${best.topic}-${best.partition} (${best.offset} records, the most)` };
    }
    const topic = target === 'group-coordinator' ? '__consumer_offsets' : '__transaction_state';
    const meta = await a.fetchTopicMetadata({ topics: [topic] });
    const partitions = meta.topics[0]!.partitions;
    if (partitions.length !== 1) throw new Error(`${topic} has ${partitions.length} partitions; the harness makes it one, so its leader is the coordinator`);
    const of = target === 'group-coordinator' ? 'every consumer group' : 'every transactional id';
    return { nodeId: partitions[0]!.leader, why: `leader of ${topic}-0, so the ${target.replace('-', ' ')} of ${of}` };
  } finally {
    await a.disconnect().catch(() => undefined);
  }
}

/** Waits until every partition of the run's topics and the internal topics has its full ISR; returns the ms it took. */
async function fullyReplicated(run: string, timeoutMs: number): Promise<number> {
  const t0 = Date.now();
  const topics = ['__consumer_offsets', '__transaction_state', ...['raw', 'state', 'ecs'].map((t) => `${run}.${t}`)];
  for (let i = 0; i < 1000 && Date.now() - t0 < timeoutMs; i++) {
    const a = admin();
    try {
      await a.connect();
      const existing = new Set(await a.listTopics());
      const meta = await a.fetchTopicMetadata({ topics: topics.filter((t) => existing.has(t)) });
      const short = meta.topics.flatMap((t) => t.partitions).filter((p) => p.isr.length < p.replicas.length);
      if (short.length === 0) return Date.now() - t0;
    } catch {
      // a node is still starting; ask again
    } finally {
      await a.disconnect().catch(() => undefined);
    }
    await sleep(1000);
  }
  throw new Error(`partitions not fully replicated ${timeoutMs / 1000} s after a restart`);
}

async function waitFor(check: () => Promise<boolean>, ms: number, pauseMs: number): Promise<boolean> {
  const until = Date.now() + ms;
  for (let i = 0; i < 10_000 && Date.now() < until; i++) {
    if (await check()) return true;
    await sleep(pauseMs);
  }
  return false;
}

const quiet = createLogger({ service: 'chaos', level: 'silent' });

export async function countRecords(brokers: string[], topic: string): Promise<number> {
  const kafka = createKafka({ kafkaBrokers: brokers, kafkaClientId: 'chaos-reader' }, quiet);
  let n = 0;
  await readTopicToEnd(kafka, topic, () => void n++, { logger: quiet }).catch((err: Error) => {
    // The topic only exists once something was dead-lettered.
    if (!/does not host this topic-partition|not exist/i.test(err.message)) throw err;
  });
  return n;
}

/** The event id of every record on the enriched topic, read committed (the value is the wire format: 5 bytes, then JSON). */
export async function enrichedIds(brokers: string[], topic: string, at?: (id: string, position: string) => void): Promise<string[]> {
  const kafka = createKafka({ kafkaBrokers: brokers, kafkaClientId: 'chaos-reader' }, quiet);
  const ids: string[] = [];
  await readTopicToEnd(kafka, topic, (m) => {
    const doc = m.value ? (JSON.parse(m.value.subarray(5).toString()) as { event?: { id?: string } }) : undefined;
    const id = doc?.event?.id ?? `no-id:${m.partition}/${m.offset}`;
    ids.push(id);
    at?.(id, `${m.partition}/${m.offset}`);
  }, { logger: quiet });
  return ids;
}

/** How many records (same key and value) occur more than once on a topic, read committed. */
async function repeatedRecords(brokers: string[], topic: string): Promise<number> {
  const kafka = createKafka({ kafkaBrokers: brokers, kafkaClientId: 'chaos-reader' }, quiet);
  const seen = new Map<string, number>();
  await readTopicToEnd(kafka, topic, (m) => {
    const k = `${m.key?.toString('base64') ?? ''}:${m.value ? createHash('sha256').update(m.value).digest('base64') : ''}`;
    seen.set(k, (seen.get(k) ?? 0) + 1);
  }, { logger: quiet });
  return [...seen.values()].filter((n) => n > 1).length;
}

export async function cleanUp(brokers: string[], esNode: string, run: string, namespace: string): Promise<void> {
  await fetch(`${esNode}/_data_stream/${DATA_STREAM_PREFIX}${namespace}`, { method: 'DELETE' }).catch(() => undefined);
  const admin = createKafka({ kafkaBrokers: brokers, kafkaClientId: 'chaos-cleanup' }, quiet).admin();
  try {
    await admin.connect();
    const existing = await admin.listTopics();
    const topics = ['raw', 'state', 'ecs', 'dlq'].map((t) => `${run}.${t}`).filter((t) => existing.includes(t));
    if (topics.length > 0) await admin.deleteTopics({ topics });
  } catch {
    // Best effort: the servers belong to this test run.
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

/** Failures of a result, as messages (empty when the run met every guarantee). */
export function problems(result: ChaosResult): string[] {
  const out: string[] = [];
  if (result.missing !== 0) out.push(`${result.missing} events missing`);
  if (result.duplicated !== 0) out.push(`${result.duplicated} events indexed more than once`);
  if (result.extra !== 0) out.push(`${result.extra} documents not in the ground truth`);
  if (result.recoveryMs === null) out.push('Elasticsearch never equalled the ground truth');
  if (result.topic.missing !== 0) out.push(`${result.topic.missing} events missing on the enriched topic`);
  if (result.topic.duplicated !== 0) out.push(`${result.topic.duplicated} events more than once on the enriched topic`);
  if (result.topic.extra !== 0) out.push(`${result.topic.extra} records on the enriched topic not in the ground truth`);
  if (result.deadLetters !== 0) out.push(`${result.deadLetters} records dead-lettered`);
  return out;
}

/** The summary table, one row per scenario. */
export function summaryTable(results: ChaosResult[]): string {
  const rows = [
    ['scenario', 'faults', 'events', 'missing', 'duplicated', 'extra', 'topic missing/dup/extra', 'dead letters', 'recovery s', 'unplanned exits', 'run s'],
    ...results.map((r) => [
      r.scenario,
      String(r.faults.length),
      String(r.events),
      String(r.missing),
      String(r.duplicated),
      String(r.extra),
      `${r.topic.missing}/${r.topic.duplicated}/${r.topic.extra}`,
      String(r.deadLetters),
      r.recoveryMs === null ? 'never' : (r.recoveryMs / 1000).toFixed(1),
      String(r.unplannedExits.length),
      (r.runMs / 1000).toFixed(0),
    ]),
  ];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  return rows.map((row) => row.map((cell, i) => cell.padEnd(widths[i]!)).join('  ')).join('\n');
}

/** Writes the results as bench-style JSON (CHAOS_RESULTS_DIR, default bench/results) and returns the file. */
export function writeResults(name: string, seed: number, results: ChaosResult[], startedAt: number): string {
  const dir = process.env.CHAOS_RESULTS_DIR ?? join(root, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `chaos-${name}.json`);
  const body = {
    name: `chaos-${name}`,
    date: new Date(startedAt).toISOString(),
    durationSeconds: Math.round((Date.now() - startedAt) / 1000),
    seed,
    environment: { node: process.version, platform: process.platform, cpus: availableParallelism() },
    results: results.map(({ logDir: _logDir, ...r }) => r),
  };
  // The services' output names files by absolute path; keep them relative to the repository.
  writeFileSync(file, `${JSON.stringify(body, null, 2).split(root).join('')}\n`);
  return file;
}
