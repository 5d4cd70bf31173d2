/**
 * Where the poller writes. A unit of work for one site is atomic: the records
 * sent through it and the new cursor become visible together, or not at all.
 * The Kafka publisher uses a transaction per unit (transactional id per site);
 * the all-in-one mode can hand in another implementation with the same
 * guarantee (see MemoryPublisher).
 */
import type { Cursor } from './cursor.js';

export interface OutRecord {
  /** The raw topic, or the dead letter topic for a session that cannot be published. */
  destination: 'raw' | 'dlq';
  key: string;
  value: Buffer;
  headers: Record<string, string>;
}

export interface PublishUnit {
  /** Sends records; the caller bounds each call by bytes. Nothing is visible before `commit`. */
  send(records: readonly OutRecord[]): Promise<void>;
  /**
   * Makes the records and the cursor visible together. When it throws, the
   * outcome is unknown (the commit may have reached the broker): call
   * `Publisher.recover` before the next unit.
   */
  commit(cursor: Cursor): Promise<void>;
  /** Drops everything sent through this unit. */
  abort(): Promise<void>;
}

export interface Publisher {
  /**
   * Takes ownership of the sites (the Kafka publisher fences any other
   * poller of the same sites here), then returns their last committed cursors.
   */
  start(sites: readonly string[]): Promise<Map<string, Cursor | undefined>>;
  begin(site: string): Promise<PublishUnit>;
  /**
   * After a commit whose outcome is unknown: settles the site's open
   * transaction and returns the cursor that is committed now, so the next
   * unit neither re-publishes what was committed nor skips what was not.
   */
  recover(site: string): Promise<Cursor | undefined>;
  /** False once the publisher cannot write any more (fenced, closed). */
  healthy(site: string): { ok: boolean; detail: string };
  close(): Promise<void>;
}

/**
 * In-process publisher: committed records and cursors in memory, for the
 * all-in-one mode and tests. `onCommit` sees each committed unit in order.
 */
export class MemoryPublisher implements Publisher {
  readonly cursors = new Map<string, Cursor>();
  readonly records: OutRecord[] = [];
  readonly #onCommit: ((site: string, records: readonly OutRecord[], cursor: Cursor) => Promise<void> | void) | undefined;

  constructor(options: { onCommit?: (site: string, records: readonly OutRecord[], cursor: Cursor) => Promise<void> | void } = {}) {
    this.#onCommit = options.onCommit;
  }

  async start(sites: readonly string[]): Promise<Map<string, Cursor | undefined>> {
    return new Map(sites.map((s) => [s, this.cursors.get(s)]));
  }

  async begin(site: string): Promise<PublishUnit> {
    const pending: OutRecord[] = [];
    let done = false;
    return {
      send: async (records) => {
        if (done) throw new Error('The unit is finished.');
        pending.push(...records);
      },
      commit: async (cursor) => {
        if (done) throw new Error('The unit is finished.');
        done = true;
        await this.#onCommit?.(site, pending, cursor);
        this.records.push(...pending);
        this.cursors.set(site, cursor);
      },
      abort: async () => {
        done = true;
      },
    };
  }

  async recover(site: string): Promise<Cursor | undefined> {
    return this.cursors.get(site);
  }

  healthy(): { ok: boolean; detail: string } {
    return { ok: true, detail: 'in memory' };
  }

  async close(): Promise<void> {}
}
