/**
 * A single-node KRaft Apache Kafka (broker and controller in one JVM) with a
 * PLAINTEXT listener for tests and a SASL_PLAINTEXT listener that accepts
 * PLAIN, SCRAM-SHA-256 and SCRAM-SHA-512 for one test user. SCRAM credentials
 * live in the metadata log, so they are written when the storage is formatted.
 */
import { mkdirSync, statSync, writeFileSync, openSync, readSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import { kafkaLibs } from './artifacts.js';
import { SASL_PASSWORD, SASL_USERNAME } from './env.js';
import { ManagedProcess, freePort, run, waitUntil } from './process.js';
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

function serverProperties(dir: string, ports: { plain: number; controller: number; sasl: number }): string {
  const jaasPlain =
    'org.apache.kafka.common.security.plain.PlainLoginModule required ' +
    `username="${SASL_USERNAME}" password="${SASL_PASSWORD}" user_${SASL_USERNAME}="${SASL_PASSWORD}";`;
  const scram = 'org.apache.kafka.common.security.scram.ScramLoginModule required;';
  return `process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:${ports.controller}
listeners=PLAINTEXT://127.0.0.1:${ports.plain},CONTROLLER://127.0.0.1:${ports.controller},SASL_PLAINTEXT://127.0.0.1:${ports.sasl}
advertised.listeners=PLAINTEXT://127.0.0.1:${ports.plain},SASL_PLAINTEXT://127.0.0.1:${ports.sasl}
inter.broker.listener.name=PLAINTEXT
controller.listener.names=CONTROLLER
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT
listener.name.sasl_plaintext.sasl.enabled.mechanisms=PLAIN,SCRAM-SHA-256,SCRAM-SHA-512
listener.name.sasl_plaintext.plain.sasl.jaas.config=${jaasPlain}
listener.name.sasl_plaintext.scram-sha-256.sasl.jaas.config=${scram}
listener.name.sasl_plaintext.scram-sha-512.sasl.jaas.config=${scram}
log.dirs=${join(dir, 'data')}
num.partitions=1
auto.create.topics.enable=false
offsets.topic.replication.factor=1
offsets.topic.num.partitions=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
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
  readonly name = 'kafka';
  version = KAFKA_VERSION;
  startupMs = 0;
  private proc: ManagedProcess | undefined;
  private readonly logFile: string;
  private readonly configFile: string;
  private formatted = false;
  private libs = '';

  constructor(
    private readonly dir: string,
    private readonly ports: { plain: number; controller: number; sasl: number },
  ) {
    this.logFile = join(dir, 'server.log');
    this.configFile = join(dir, 'server.properties');
  }

  static async create(dir: string, taken: Set<number>): Promise<KafkaServer> {
    const ports = { plain: await freePort(taken), controller: await freePort(taken), sasl: await freePort(taken) };
    mkdirSync(join(dir, 'data'), { recursive: true });
    writeFileSync(join(dir, 'log4j2.properties'), LOG4J2);
    const server = new KafkaServer(dir, ports);
    writeFileSync(server.configFile, serverProperties(dir, ports));
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

  private async format(): Promise<void> {
    const java = javaBinary(javaHome(17, process.env.KAFKA_JAVA_HOME));
    const tool = [...FAST_START_JVM_FLAGS, '-Xmx256m', ...this.jvm(), 'kafka.tools.StorageTool'];
    const clusterId = (await run(java, [...tool, 'random-uuid'])).trim().split('\n').pop() ?? '';
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
      name: 'kafka',
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
}
