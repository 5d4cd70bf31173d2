/**
 * Apicurio Registry (Quarkus fast-jar) with in-memory H2 storage. Tests use its
 * Confluent-compatible API at /apis/ccompat/v7. Storage is in memory, so a
 * restart starts empty; the control API does not offer one.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { apicurioHome } from './artifacts.js';
import { ManagedProcess, freePort, httpGet, killGroup, waitUntil } from './process.js';
import { FAST_START_JVM_FLAGS, javaBinary, javaHome, type TestServer } from './server.js';
import { APICURIO_VERSION } from './versions.js';

export class RegistryServer implements TestServer {
  readonly name = 'apicurio-registry';
  version = APICURIO_VERSION;
  startupMs = 0;
  private proc: ManagedProcess | undefined;
  private readonly logFile: string;

  private constructor(
    private readonly dir: string,
    private readonly port: number,
    private readonly managementPort: number,
    /** Schemas in an H2 file in the run's folder, so a restart keeps them (and their ids); else in memory. */
    readonly persistent: boolean,
  ) {
    this.logFile = join(dir, 'server.log');
  }

  static async create(dir: string, taken: Set<number>, options: { persistent?: boolean } = {}): Promise<RegistryServer> {
    mkdirSync(dir, { recursive: true });
    return new RegistryServer(dir, await freePort(taken), await freePort(taken), options.persistent ?? false);
  }

  get baseUrl(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  env(): Record<string, string> {
    return { SCHEMA_REGISTRY_URL: `${this.baseUrl}/apis/ccompat/v7` };
  }

  logFiles(): string[] {
    return [this.logFile];
  }

  async start(): Promise<void> {
    const home = await apicurioHome();
    const t0 = Date.now();
    const proc = new ManagedProcess({
      name: this.name,
      // Apicurio Registry 3.3 is compiled for Java 21 (class file version 65).
      command: javaBinary(javaHome(21, process.env.REGISTRY_JAVA_HOME)),
      args: [
        '-Xms128m',
        '-Xmx512m',
        ...FAST_START_JVM_FLAGS,
        '-Djava.util.logging.manager=org.jboss.logmanager.LogManager',
        `-Djava.io.tmpdir=${this.dir}`,
        '-Dquarkus.http.host=127.0.0.1',
        `-Dquarkus.http.port=${this.port}`,
        '-Dquarkus.management.host=127.0.0.1',
        `-Dquarkus.management.port=${this.managementPort}`,
        '-Dapicurio.storage.kind=sql',
        '-Dapicurio.storage.sql.kind=h2',
        ...(this.persistent ? [`-Dapicurio.datasource.url=jdbc:h2:file:${join(this.dir, 'db', 'registry')}`] : []),
        '-jar',
        join(home, 'quarkus-run.jar'),
      ],
      cwd: this.dir,
      logFile: this.logFile,
    });
    this.proc = proc;
    const info = await waitUntil(proc, 'answer from /apis/registry/v3/system/info', 180_000, async () => {
      const res = await httpGet(`${this.baseUrl}/apis/registry/v3/system/info`);
      return res?.status === 200 ? (JSON.parse(res.body) as { version?: string }) : undefined;
    });
    this.version = info.version ?? this.version;
    this.startupMs = Date.now() - t0;
  }

  async stop(): Promise<void> {
    await this.proc?.stop();
    this.proc = undefined;
  }

  async kill(): Promise<void> {
    if (this.proc) await killGroup(this.proc);
    this.proc = undefined;
  }
}
