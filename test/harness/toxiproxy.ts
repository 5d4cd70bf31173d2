/**
 * Toxiproxy (Shopify's TCP proxy, the Go server built by scripts/install-tools.sh
 * into .infra/bin/toxiproxy-server) for network faults between the services and
 * the servers: latency, stalled connections, resets, a bandwidth cap, a
 * partition. The harness starts the server; proxies and toxics are made through
 * its HTTP API (`ToxiproxyClient`), by the harness for Kafka's proxied listeners
 * and by the chaos runner for the registry, Elasticsearch and the simulator.
 *
 * Kafka is the one protocol where a plain proxy is not enough: a client asks
 * any broker for the cluster's metadata and then connects to the addresses the
 * brokers advertise. So each broker gets one extra listener per service
 * ("lane": poller, enricher, sink) whose advertised address is that lane's
 * proxy port, and the service bootstraps through its own proxies: everything it
 * says to any broker goes through them, and a toxic on one lane touches that
 * service alone. Inter-broker and controller traffic stays direct.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { infraDir } from './artifacts.js';
import { ManagedProcess, freePort, httpGet, waitUntil } from './process.js';
import type { TestServer } from './server.js';

/** The services, each with its own proxies. */
export const LANES = ['poller', 'enricher', 'sink'] as const;
export type Lane = (typeof LANES)[number];

export const toxiproxyBinary = (): string => process.env.PRA_TOXIPROXY_BIN ?? join(infraDir, 'bin', 'toxiproxy-server');

export type ToxicType = 'latency' | 'timeout' | 'reset_peer' | 'bandwidth' | 'slow_close' | 'slicer' | 'limit_data';

export interface Toxic {
  name: string;
  type: ToxicType;
  stream: 'upstream' | 'downstream';
  toxicity?: number;
  attributes: Record<string, number>;
}

export interface ProxyInfo {
  name: string;
  listen: string;
  upstream: string;
  enabled: boolean;
}

/** The toxiproxy HTTP API, for 127.0.0.1 only. */
export class ToxiproxyClient {
  constructor(readonly url: string) {}

  private async call(method: string, path: string, body?: unknown): Promise<unknown> {
    const res = await fetch(`${this.url}${path}`, {
      method,
      headers: body === undefined ? undefined : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(10_000),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`toxiproxy ${method} ${path}: HTTP ${res.status} ${text}`);
    return text ? (JSON.parse(text) as unknown) : undefined;
  }

  /** A proxy listening on 127.0.0.1:`listenPort` to `upstream` (host:port). */
  async createProxy(name: string, listenPort: number, upstream: string): Promise<ProxyInfo> {
    return (await this.call('POST', '/proxies', { name, listen: `127.0.0.1:${listenPort}`, upstream, enabled: true })) as ProxyInfo;
  }

  async deleteProxy(name: string): Promise<void> {
    await this.call('DELETE', `/proxies/${encodeURIComponent(name)}`);
  }

  async proxies(): Promise<Record<string, ProxyInfo>> {
    return (await this.call('GET', '/proxies')) as Record<string, ProxyInfo>;
  }

  /** Disabled: existing connections are closed and new ones refused, until enabled again. */
  async setEnabled(name: string, enabled: boolean): Promise<void> {
    await this.call('POST', `/proxies/${encodeURIComponent(name)}`, { enabled });
  }

  async addToxic(proxy: string, toxic: Toxic): Promise<void> {
    await this.call('POST', `/proxies/${encodeURIComponent(proxy)}/toxics`, { toxicity: 1, ...toxic });
  }

  async removeToxic(proxy: string, toxic: string): Promise<void> {
    await this.call('DELETE', `/proxies/${encodeURIComponent(proxy)}/toxics/${encodeURIComponent(toxic)}`);
  }
}

/** The toxiproxy server process: the API on a free port of 127.0.0.1. */
export class ToxiproxyServer implements TestServer {
  readonly name = 'toxiproxy';
  version = 'unknown';
  startupMs = 0;
  private proc: ManagedProcess | undefined;
  private readonly logFile: string;
  /** Proxies to create on every start (the server keeps none across restarts). */
  private readonly standing: { name: string; listenPort: number; upstream: string }[] = [];

  private constructor(
    private readonly dir: string,
    readonly port: number,
  ) {
    this.logFile = join(dir, 'server.log');
  }

  static async create(dir: string, taken: Set<number>): Promise<ToxiproxyServer> {
    const binary = toxiproxyBinary();
    if (!existsSync(binary)) {
      throw new Error(`${binary} not found: network faults need toxiproxy-server; run scripts/install-tools.sh (or set PRA_TOXIPROXY_BIN).`);
    }
    mkdirSync(dir, { recursive: true });
    return new ToxiproxyServer(dir, await freePort(taken));
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  client(): ToxiproxyClient {
    return new ToxiproxyClient(this.url);
  }

  /** A proxy made at every start, before start() returns. */
  addStandingProxy(name: string, listenPort: number, upstream: string): void {
    this.standing.push({ name, listenPort, upstream });
  }

  env(): Record<string, string> {
    return { TOXIPROXY_URL: this.url };
  }

  logFiles(): string[] {
    return [this.logFile];
  }

  async start(): Promise<void> {
    const t0 = Date.now();
    const proc = new ManagedProcess({
      name: this.name,
      command: toxiproxyBinary(),
      args: ['-host', '127.0.0.1', '-port', String(this.port)],
      cwd: this.dir,
      logFile: this.logFile,
    });
    this.proc = proc;
    this.version = await waitUntil(proc, 'an answer from /version', 30_000, async () => {
      const res = await httpGet(`${this.url}/version`);
      if (res?.status !== 200) return undefined;
      try {
        return String((JSON.parse(res.body) as { version?: string }).version ?? res.body.trim());
      } catch {
        return res.body.trim();
      }
    });
    const client = this.client();
    for (const p of this.standing) await client.createProxy(p.name, p.listenPort, p.upstream);
    this.startupMs = Date.now() - t0;
  }

  async stop(): Promise<void> {
    await this.proc?.stop(5000);
    this.proc = undefined;
  }
}
