/**
 * KRaft Apache Kafka (broker and controller in one JVM per node) with a
 * PLAINTEXT listener for tests and a SASL_PLAINTEXT listener that accepts
 * PLAIN, SCRAM-SHA-256 and SCRAM-SHA-512 for one test user. SCRAM credentials
 * live in the metadata log, so they are written when the storage is formatted.
 *
 * By default one node (`KafkaServer`). `KafkaCluster` runs several (the cluster
 * mode of `npm run stack -- --kafka-brokers 3`): every node is a voter of the
 * controller quorum, internal topics are replicated 3 times with a minimum of 2
 * in sync, and so are the topics the services create (broker defaults). Each
 * node can also carry extra PLAINTEXT listeners ("lanes") whose advertised
 * address is a proxy port, so that a client that bootstraps through the proxy
 * keeps talking through it (test/harness/toxiproxy.ts).
 */
import { mkdirSync, statSync, writeFileSync, openSync, readSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import { kafkaLibs } from './artifacts.js';
import { SASL_PASSWORD, SASL_USERNAME } from './env.js';
import { ManagedProcess, freePort, killGroup, run, waitUntil } from './process.js';
import { FAST_START_JVM_FLAGS, javaBinary, javaHome, type TestServer } from './server.js';
import { KAFKA_VERSION } from './versions.js';


const READY_LINE = 'Kafka Server started';

const LOG4J2 = `status = warn
appender.out.type = Console
appender.out.name = OUT
appender.out.layout.type = PatternLayout
appender.out.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = INFO
rootLogger.appenderRef.out.ref = OUT
logger.kafka.name = kafka
logger.kafka.level = INFO
logger.state.name = state.change.logger
logger.state.level = WARN
`;

export interface KafkaPorts {
  plain: number;
  controller: number;
  sasl: number;
}

/** An extra listener: the broker binds `port` and tells clients to use `advertisedPort` (a proxy in front of it). */
export interface KafkaLane {
  name: string;
  port: number;
  advertisedPort: number;
}

/** A node's place in a cluster. */
export interface KafkaNodeRole {
  nodeId: number;
  /** `id@127.0.0.1:controllerPort` of every voter. */
  voters: string;
  /** Nodes in the cluster: the replication of internal topics and the topic defaults follow it. */
  size: number;
  lanes: KafkaLane[];
}

const SINGLE: KafkaNodeRole = { nodeId: 1, voters: '', size: 1, lanes: [] };

/** Replication settings: everything 1 on a single node; replication 3 (at most the size), at least 2 in sync, in a cluster. */
function replication(size: number): string {
  const rf = Math.min(3, size);
  const isr = Math.max(1, Math.min(2, rf - 1));
  return `offsets.topic.replication.factor=${rf}
offsets.topic.num.partitions=1
transaction.state.log.replication.factor=${rf}
transaction.state.log.min.isr=${isr}
transaction.state.log.num.partitions=1
share.coordinator.state.topic.replication.factor=${rf}
share.coordinator.state.topic.min.isr=${isr}
${size > 1 ? `default.replication.factor=${rf}\nmin.insync.replicas=${isr}\nunclean.leader.election.enable=false\n` : ''}`;
}

function serverProperties(dir: string, ports: KafkaPorts, role: KafkaNodeRole = SINGLE): string {
  const jaasPlain =
    'org.apache.kafka.common.security.plain.PlainLoginModule required ' +
    `username="${SASL_USERNAME}" password="${SASL_PASSWORD}" user_${SASL_USERNAME}="${SASL_PASSWORD}";`;
  const scram = 'org.apache.kafka.common.security.scram.ScramLoginModule required;';
  const lanes = role.lanes;
  const laneListeners = lanes.map((l) => `,${l.name}://127.0.0.1:${l.port}`).join('');
  const laneAdvertised = lanes.map((l) => `,${l.name}://127.0.0.1:${l.advertisedPort}`).join('');
  const laneProtocols = lanes.map((l) => `,${l.name}:PLAINTEXT`).join('');
  return `process.roles=broker,controller
node.id=${role.nodeId}
controller.quorum.voters=${role.voters || `1@127.0.0.1:${ports.controller}`}
listeners=PLAINTEXT://127.0.0.1:${ports.plain},CONTROLLER://127.0.0.1:${ports.controller},SASL_PLAINTEXT://127.0.0.1:${ports.sasl}${laneListeners}
advertised.listeners=PLAINTEXT://127.0.0.1:${ports.plain},SASL_PLAINTEXT://127.0.0.1:${ports.sasl}${laneAdvertised}
inter.broker.listener.name=PLAINTEXT
controller.listener.names=CONTROLLER
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT${laneProtocols}
listener.name.sasl_plaintext.sasl.enabled.mechanisms=PLAIN,SCRAM-SHA-256,SCRAM-SHA-512
listener.name.sasl_plaintext.plain.sasl.jaas.config=${jaasPlain}
listener.name.sasl_plaintext.scram-sha-256.sasl.jaas.config=${scram}
listener.name.sasl_plaintext.scram-sha-512.sasl.jaas.config=${scram}
log.dirs=${join(dir, 'data')}
num.partitions=1
auto.create.topics.enable=false
${replication(role.size)}group.initial.rebalance.delay.ms=0
`;
}

/** The text appended to a file since byte `from`. */
function readFrom(file: string, from: number): string {
  const size = statSync(file).size;
  if (size <= from) return '';
  const buf = Buffer.alloc(size - from);
  const fd = openSync(file, 'r');
  try {
    readSync(fd, buf, 0, buf.length, from);
  } finally {
    closeSync(fd);
  }
  return buf.toString('utf8');
}

export class KafkaServer implements TestServer {
  readonly name: string;
  version = KAFKA_VERSION;
  startupMs = 0;
  private proc: ManagedProcess | undefined;
  private readonly logFile: string;
  private readonly configFile: string;
  private formatted = false;
  private libs = '';
  /** Set by a cluster: every node is formatted with the same cluster id. */
  clusterId: string | undefined;

  constructor(
    private readonly dir: string,
    readonly ports: KafkaPorts,
    readonly role: KafkaNodeRole = SINGLE,
  ) {
    this.name = role.size > 1 ? `kafka-${role.nodeId}` : 'kafka';
    this.logFile = join(dir, 'server.log');
    this.configFile = join(dir, 'server.properties');
  }

  static async ports(taken: Set<number>): Promise<KafkaPorts> {
    return { plain: await freePort(taken), controller: await freePort(taken), sasl: await freePort(taken) };
  }

  static async create(dir: string, taken: Set<number>, ports?: KafkaPorts, role: KafkaNodeRole = SINGLE): Promise<KafkaServer> {
    const p = ports ?? (await KafkaServer.ports(taken));
    mkdirSync(join(dir, 'data'), { recursive: true });
    writeFileSync(join(dir, 'log4j2.properties'), LOG4J2);
    const server = new KafkaServer(dir, p, role);
    writeFileSync(server.configFile, serverProperties(dir, p, role));
    return server;
  }

  env(): Record<string, string> {
    return {
      KAFKA_BROKERS: `127.0.0.1:${this.ports.plain}`,
      KAFKA_SASL_BROKERS: `127.0.0.1:${this.ports.sasl}`,
      KAFKA_SASL_USERNAME: SASL_USERNAME,
      KAFKA_SASL_PASSWORD: SASL_PASSWORD,
    };
  }

  logFiles(): string[] {
    return [this.logFile, this.configFile];
  }

  private jvm(): string[] {
    return [
      `-Dlog4j2.configurationFile=${join(this.dir, 'log4j2.properties')}`,
      `-Dkafka.logs.dir=${this.dir}`,
      // zstd and snappy unpack native code into a temp folder; keep it in ours.
      `-DZstdTempFolder=${this.dir}`,
      `-Dorg.xerial.snappy.tempdir=${this.dir}`,
      '-cp',
      join(this.libs, '*'),
    ];
  }

  /** A new cluster id from the storage tool. */
  async randomClusterId(): Promise<string> {
    if (!this.libs) this.libs = await kafkaLibs();
    const java = javaBinary(javaHome(17, process.env.KAFKA_JAVA_HOME));
    const tool = [...FAST_START_JVM_FLAGS, '-Xmx256m', ...this.jvm(), 'kafka.tools.StorageTool'];
    return (await run(java, [...tool, 'random-uuid'])).trim().split('\n').pop() ?? '';
  }

  private async format(): Promise<void> {
    const java = javaBinary(javaHome(17, process.env.KAFKA_JAVA_HOME));
    const tool = [...FAST_START_JVM_FLAGS, '-Xmx256m', ...this.jvm(), 'kafka.tools.StorageTool'];
    const clusterId = this.clusterId ?? (await this.randomClusterId());
    const scram = (mech: string) => ['--add-scram', `${mech}=[name=${SASL_USERNAME},password=${SASL_PASSWORD}]`];
    await run(java, [...tool, 'format', '-t', clusterId, '-c', this.configFile, ...scram('SCRAM-SHA-256'), ...scram('SCRAM-SHA-512')]);
    this.formatted = true;
  }

  async start(): Promise<void> {
    if (!this.libs) this.libs = await kafkaLibs();
    const t0 = Date.now();
    if (!this.formatted) await this.format();
    writeFileSync(this.logFile, '', { flag: 'a' });
    const offset = statSync(this.logFile).size;
    const proc = new ManagedProcess({
      name: this.name,
      command: javaBinary(javaHome(17, process.env.KAFKA_JAVA_HOME)),
      args: ['-Xms256m', '-Xmx512m', ...FAST_START_JVM_FLAGS, ...this.jvm(), 'kafka.Kafka', this.configFile],
      logFile: this.logFile,
      cwd: this.dir,
    });
    this.proc = proc;
    const text = await waitUntil(proc, `"${READY_LINE}" in the log`, 120_000, async () => {
      const t = readFrom(this.logFile, offset);
      return t.includes(READY_LINE) ? t : undefined;
    });
    this.version = /Kafka version: (\S+)/.exec(text)?.[1] ?? this.version;
    this.startupMs = Date.now() - t0;
  }

  async stop(): Promise<void> {
    await this.proc?.stop();
    this.proc = undefined;
  }

  /** SIGKILL of the node's process group: no clean shutdown, no controlled leader moves. */
  async kill(): Promise<void> {
    if (this.proc) await killGroup(this.proc);
    this.proc = undefined;
  }
}

/**
 * Several KRaft nodes, each broker and controller, all voters. Started and
 * stopped as one (`kafka` in the control API); each node is also a server of its
 * own (`kafka-1`, `kafka-2`, ...), for faults of one broker.
 */
export class KafkaCluster implements TestServer {
  readonly name = 'kafka';
  startupMs = 0;

  private constructor(readonly nodes: KafkaServer[]) {}

  /** `size` nodes; `lanes(nodeId)` gives each node's extra proxied listeners. */
  static async create(dir: string, taken: Set<number>, size: number, lanes: (nodeId: number) => Promise<KafkaLane[]> = async () => []): Promise<KafkaCluster> {
    const ports = await Promise.all(Array.from({ length: size }, () => KafkaServer.ports(taken)));
    const voters = ports.map((p, i) => `${i + 1}@127.0.0.1:${p.controller}`).join(',');
    const nodes: KafkaServer[] = [];
    for (let i = 0; i < size; i++) {
      const role = { nodeId: i + 1, voters, size, lanes: await lanes(i + 1) };
      nodes.push(await KafkaServer.create(join(dir, `node-${i + 1}`), taken, ports[i], role));
    }
    const id = await nodes[0]!.randomClusterId();
    for (const n of nodes) n.clusterId = id;
    return new KafkaCluster(nodes);
  }

  get version(): string {
    return this.nodes[0]!.version;
  }

  env(): Record<string, string> {
    const all = (key: 'plain' | 'sasl') => this.nodes.map((n) => `127.0.0.1:${n.ports[key]}`).join(',');
    return {
      KAFKA_BROKERS: all('plain'),
      KAFKA_SASL_BROKERS: all('sasl'),
      KAFKA_SASL_USERNAME: SASL_USERNAME,
      KAFKA_SASL_PASSWORD: SASL_PASSWORD,
      // What the services create: replicated like the internal topics (min.insync.replicas is the broker default).
      KAFKA_REPLICATION_FACTOR: String(Math.min(3, this.nodes.length)),
      KAFKA_NODE_IDS: this.nodes.map((n) => n.role.nodeId).join(','),
    };
  }

  logFiles(): string[] {
    return this.nodes.flatMap((n) => n.logFiles());
  }

  /** All nodes in parallel: a quorum needs a majority of voters up before any node is ready. */
  async start(): Promise<void> {
    const t0 = Date.now();
    await Promise.all(this.nodes.map((n) => n.start()));
    this.startupMs = Date.now() - t0;
  }

  async stop(): Promise<void> {
    await Promise.all(this.nodes.map((n) => n.stop()));
  }
}
