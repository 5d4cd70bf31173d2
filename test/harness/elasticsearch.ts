/**
 * A single Elasticsearch node from Elastic's integ-test distribution (server
 * core plus x-pack core and security; no ingest, ILM, data-streams or
 * rest-root modules: see docs/testing.md for what that means for tests).
 * Elasticsearch refuses to run as root, so when the harness is root the node
 * runs as an unprivileged user (PRA_ES_USER, default `praes`) with its config,
 * data and logs in the run's folder, owned by that user.
 */
import { accessSync, constants, cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { elasticsearchHome } from './artifacts.js';
import { ManagedProcess, freePort, httpGet, killGroup, run, waitUntil } from './process.js';
import { JIT_FLAGS, javaHome, type TestServer } from './server.js';
import { elasticsearchVersion } from './versions.js';

const isRoot = process.getuid?.() === 0;
export const ES_USER = process.env.PRA_ES_USER ?? 'praes';

async function asUser(args: readonly string[]): Promise<string> {
  return run('runuser', ['-u', ES_USER, '--', ...args]);
}

/** Creates the unprivileged user when running as root and it is missing (.ci/run does the same). */
async function ensureUser(log: (line: string) => void): Promise<void> {
  try {
    await run('id', ['-u', ES_USER]);
  } catch {
    log(`Creating user ${ES_USER} to run Elasticsearch (it refuses to run as root).`);
    await run('useradd', ['-m', ES_USER]);
  }
}

/**
 * The distribution folder the node's user can read. When the repository sits
 * where that user cannot go (e.g. under /root), a copy in the system temp
 * folder is used, made once per version.
 */
async function readableHome(home: string, version: string): Promise<string> {
  if (!isRoot) return home;
  const readable = async (dir: string) =>
    asUser(['test', '-x', join(dir, 'bin', 'elasticsearch'), '-a', '-r', join(dir, 'lib')]).then(
      () => true,
      () => false,
    );
  if (await readable(home)) return home;
  const copy = join(tmpdir(), 'pra-pipeline-infra', `elasticsearch-${version}`);
  if (!existsSync(copy)) {
    const tmp = `${copy}.${process.pid}`;
    cpSync(home, tmp, { recursive: true });
    await run('chmod', ['-R', 'a+rX', dirname(copy)]);
    await run('mv', ['-T', tmp, copy]).catch(() => rmSync(tmp, { recursive: true, force: true }));
  }
  return copy;
}

export class ElasticsearchServer implements TestServer {
  readonly name: string = 'elasticsearch';
  /** The version to run until started, then the one the node reports. */
  version: string;
  startupMs = 0;
  private proc: ManagedProcess | undefined;
  private home = '';
  private readonly logFile: string;

  protected constructor(
    protected readonly dir: string,
    readonly httpPort: number,
    readonly transportPort: number,
    private readonly log: (line: string) => void,
    private readonly distVersion: string,
  ) {
    this.logFile = join(dir, 'console.log');
    this.version = distVersion;
  }

  /** A node of `version` (default: PRA_ES_VERSION, else the pinned 8.x). */
  static async create(dir: string, taken: Set<number>, log: (line: string) => void, version: string = elasticsearchVersion()): Promise<ElasticsearchServer> {
    mkdirSync(dir, { recursive: true });
    return new ElasticsearchServer(dir, await freePort(taken), await freePort(taken), log, version);
  }

  /** The major version (8, 9) of the distribution. */
  get major(): number {
    return Number(this.distVersion.split('.')[0]);
  }

  get url(): string {
    return `http://127.0.0.1:${this.httpPort}`;
  }

  env(): Record<string, string> {
    return { ES_NODE: this.url };
  }

  logFiles(): string[] {
    return [this.logFile, join(this.dir, 'logs')];
  }

  /** Per-run config (a copy of the distribution's, with our elasticsearch.yml), data, logs and tmp. */
  private async prepare(): Promise<void> {
    const dist = await elasticsearchHome(this.distVersion);
    if (isRoot) await ensureUser(this.log);
    this.home = await readableHome(dist, this.distVersion);
    const config = join(this.dir, 'config');
    cpSync(join(this.home, 'config'), config, { recursive: true });
    // The distribution writes a GC log to ./gc.log; tests do not need one.
    const jvmOptions = join(config, 'jvm.options');
    writeFileSync(jvmOptions, readFileSync(jvmOptions, 'utf8').replace(/^-Xlog:gc.*$/m, ''));
    writeFileSync(join(config, 'jvm.options.d', 'test.options'), ['-Xms512m', '-Xmx1g', ...JIT_FLAGS, ''].join('\n'));
    writeFileSync(
      join(config, 'elasticsearch.yml'),
      [
        ...this.clusterSettings(),
        'network.host: 127.0.0.1',
        `http.port: ${this.httpPort}`,
        `transport.port: ${this.transportPort}`,
        'xpack.security.enabled: false',
        `path.data: ${join(this.dir, 'data')}`,
        `path.logs: ${join(this.dir, 'logs')}`,
        'action.destructive_requires_name: false',
        // A nearly full disk must not turn the test indices read-only.
        'cluster.routing.allocation.disk.threshold_enabled: false',
        '',
      ].join('\n'),
    );
    for (const sub of ['data', 'logs', 'tmp']) mkdirSync(join(this.dir, sub), { recursive: true });
    if (isRoot) await run('chown', ['-R', `${ES_USER}:`, this.dir]);
    else accessSync(join(this.home, 'bin', 'elasticsearch'), constants.X_OK);
  }

  /** Cluster and node name, discovery: one node on its own here (elasticsearch-cluster.ts forms clusters). */
  protected clusterSettings(): string[] {
    return ['cluster.name: pra-test', 'node.name: pra-test-1', 'discovery.type: single-node'];
  }

  async start(): Promise<void> {
    if (!this.home) await this.prepare();
    const t0 = Date.now();
    const vars = {
      // 9.x needs Java 21 or newer; 8.x runs on 17.
      ES_JAVA_HOME: javaHome(this.major >= 9 ? 21 : 17, process.env.ES_JAVA_HOME),
      ES_PATH_CONF: join(this.dir, 'config'),
      ES_TMPDIR: join(this.dir, 'tmp'),
    };
    const script = join(this.home, 'bin', 'elasticsearch');
    const envArgs = Object.entries(vars).map(([k, v]) => `${k}=${v}`);
    const proc = new ManagedProcess({
      name: this.name,
      // runuser passes SIGTERM on to the node, and stop() ends the whole process group.
      command: isRoot ? 'runuser' : 'env',
      args: isRoot ? ['-u', ES_USER, '--', 'env', ...envArgs, script] : [...envArgs, script],
      cwd: this.dir,
      logFile: this.logFile,
    });
    this.proc = proc;
    await waitUntil(proc, 'yellow cluster health', 180_000, async () => {
      const res = await httpGet(`${this.url}/_cluster/health?wait_for_status=yellow&timeout=1s`);
      return res?.status === 200 ? true : undefined;
    });
    const nodes = await httpGet(`${this.url}/_nodes/_local?filter_path=nodes.*.version`);
    const found = nodes && /"version":"([^"]+)"/.exec(nodes.body)?.[1];
    if (found) this.version = found;
    this.startupMs = Date.now() - t0;
  }

  async stop(): Promise<void> {
    await this.proc?.stop(30_000);
    this.proc = undefined;
  }

  /** SIGKILL of the node's process group (launcher and server JVM). */
  async kill(): Promise<void> {
    if (this.proc) await killGroup(this.proc);
    this.proc = undefined;
  }
}
