/**
 * Several Elasticsearch nodes of one cluster on 127.0.0.1 (the cluster mode of
 * `npm run stack -- --es-nodes 2`), each a node of the integ-test distribution
 * like the single node of elasticsearch.ts, all master-eligible and data nodes,
 * discovering each other through their transport ports. Indices get one replica
 * (the sink's auto_expand_replicas 0-1, or INDEX_REPLICAS=1, which the stack
 * exports), so losing one data node loses no acknowledged write.
 *
 * With two master-eligible nodes Elasticsearch keeps only one of them in the
 * voting configuration: the cluster survives the loss of the other node, not of
 * that one. `masterAndOthers()` tells which is which, for faults that must
 * leave a master in place.
 */
import type { TestServer } from './server.js';
import { ElasticsearchServer } from './elasticsearch.js';
import { freePort, httpGet } from './process.js';
import { elasticsearchVersion } from './versions.js';
import { join } from 'node:path';
import { mkdirSync } from 'node:fs';

class ElasticsearchNode extends ElasticsearchServer {
  override readonly name: string;

  constructor(
    dir: string,
    http: number,
    transport: number,
    log: (line: string) => void,
    version: string,
    readonly index: number,
    private readonly peers: { transport: number; nodeName: string }[],
  ) {
    super(dir, http, transport, log, version);
    this.name = `elasticsearch-${index}`;
  }

  get nodeName(): string {
    return `pra-es-${this.index}`;
  }

  protected override clusterSettings(): string[] {
    return [
      'cluster.name: pra-test-cluster',
      `node.name: ${this.nodeName}`,
      `discovery.seed_hosts: [${this.peers.map((p) => `"127.0.0.1:${p.transport}"`).join(', ')}]`,
      // Read on the first start only; once the cluster formed its state decides.
      `cluster.initial_master_nodes: [${this.peers.map((p) => `"${p.nodeName}"`).join(', ')}]`,
    ];
  }
}

export class ElasticsearchCluster implements TestServer {
  readonly name = 'elasticsearch';
  startupMs = 0;

  private constructor(readonly nodes: ElasticsearchNode[]) {}

  static async create(dir: string, taken: Set<number>, log: (line: string) => void, size: number, version: string = elasticsearchVersion()): Promise<ElasticsearchCluster> {
    const ports = [];
    for (let i = 0; i < size; i++) ports.push({ http: await freePort(taken), transport: await freePort(taken) });
    const peers = ports.map((p, i) => ({ transport: p.transport, nodeName: `pra-es-${i + 1}` }));
    const nodes = ports.map((p, i) => {
      const nodeDir = join(dir, `node-${i + 1}`);
      mkdirSync(nodeDir, { recursive: true });
      return new ElasticsearchNode(nodeDir, p.http, p.transport, log, version, i + 1, peers);
    });
    return new ElasticsearchCluster(nodes);
  }

  get version(): string {
    return this.nodes[0]!.version;
  }

  env(): Record<string, string> {
    return {
      // Tests talk to the first node; the services get every node.
      ES_NODE: this.nodes[0]!.url,
      ES_NODES: this.nodes.map((n) => n.url).join(','),
      INDEX_REPLICAS: String(Math.min(1, this.nodes.length - 1)),
    };
  }

  logFiles(): string[] {
    return this.nodes.flatMap((n) => n.logFiles());
  }

  /** All nodes in parallel (the first master election needs them all); ready when every node is in the cluster. */
  async start(): Promise<void> {
    const t0 = Date.now();
    await Promise.all(this.nodes.map((n) => n.start()));
    const url = `${this.nodes[0]!.url}/_cluster/health?wait_for_nodes=${this.nodes.length}&timeout=60s`;
    const res = await httpGet(url, 65_000);
    if (res?.status !== 200) throw new Error(`Elasticsearch cluster: ${this.nodes.length} nodes did not join within 60 s: ${res?.body ?? 'no answer'}`);
    this.startupMs = Date.now() - t0;
  }

  async stop(): Promise<void> {
    await Promise.all(this.nodes.map((n) => n.stop()));
  }
}

/** The names (elasticsearch-N) of the elected master and of the other nodes, from any node that answers. */
export async function masterAndOthers(urls: readonly string[]): Promise<{ master: string; others: string[] }> {
  for (const url of urls) {
    const res = await httpGet(`${url}/_cat/nodes?h=name,master&format=json`);
    if (res?.status !== 200) continue;
    const rows = JSON.parse(res.body) as { name: string; master: string }[];
    const control = (name: string) => `elasticsearch-${name.replace('pra-es-', '')}`;
    const master = rows.find((r) => r.master === '*');
    if (!master) continue;
    return { master: control(master.name), others: rows.filter((r) => r !== master).map((r) => control(r.name)) };
  }
  throw new Error(`No Elasticsearch node answered with an elected master (${urls.join(', ')})`);
}
