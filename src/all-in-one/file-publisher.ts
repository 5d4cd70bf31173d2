/**
 * The poller's publisher when there is no Kafka: each committed unit is handed
 * downstream (enrich, then write or index) and only once that resolves is the
 * site's cursor written to a file, atomically. A crash at any point re-fetches
 * from the previous cursor; event ids keep the re-delivered events single.
 */
import { mkdir, readFile, rename, writeFile, open } from 'node:fs/promises';
import { join } from 'node:path';
import { type Cursor, type OutRecord, type Publisher, type PublishUnit, parseCursor, serializeCursor } from '@pra-pipeline/poller';

export type Deliver = (site: string, records: readonly OutRecord[]) => Promise<void>;

export class FileCursorPublisher implements Publisher {
  readonly #dir: string;
  readonly #deliver: Deliver;

  constructor(dir: string, deliver: Deliver) {
    this.#dir = dir;
    this.#deliver = deliver;
  }

  #path(site: string): string {
    return join(this.#dir, `cursor-${site}.json`);
  }

  async #save(site: string, cursor: Cursor): Promise<void> {
    const path = this.#path(site);
    const temp = `${path}.tmp`;
    await writeFile(temp, serializeCursor(cursor));
    const handle = await open(temp, 'r');
    await handle.sync();
    await handle.close();
    await rename(temp, path);
  }

  async #load(site: string): Promise<Cursor | undefined> {
    try {
      return parseCursor(await readFile(this.#path(site)), site);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      return undefined;
    }
  }

  async start(sites: readonly string[]): Promise<Map<string, Cursor | undefined>> {
    await mkdir(this.#dir, { recursive: true });
    const cursors = new Map<string, Cursor | undefined>();
    for (const site of sites) cursors.set(site, await this.#load(site));
    return cursors;
  }

  /** The file holds the last cursor saved; a unit that failed before saving left it as it was. */
  recover(site: string): Promise<Cursor | undefined> {
    return this.#load(site);
  }

  async begin(site: string): Promise<PublishUnit> {
    const pending: OutRecord[] = [];
    let done = false;
    const check = () => {
      if (done) throw new Error('The unit is finished.');
    };
    return {
      send: async (records) => {
        check();
        pending.push(...records);
      },
      commit: async (cursor) => {
        check();
        done = true;
        await this.#deliver(site, pending);
        await this.#save(site, cursor);
      },
      abort: async () => {
        done = true;
      },
    };
  }

  healthy(): { ok: boolean; detail: string } {
    return { ok: true, detail: `cursors in ${this.#dir}` };
  }

  async close(): Promise<void> {}
}
