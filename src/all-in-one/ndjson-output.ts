/**
 * The all-in-one mode's destination when no Elasticsearch is configured: ECS
 * documents appended as NDJSON to files in the data directory, rotated by size.
 * Like Elasticsearch with `_id = event.id`, it keeps each event once: the ids
 * already written are read back from the files at start, and a document whose
 * id is known is counted as a duplicate and not written again. A write resolves
 * only once the bytes are flushed to disk, so the caller may then move its cursor.
 */
import { createReadStream } from 'node:fs';
import { mkdir, open, readdir, stat, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

export const NDJSON_PREFIX = 'ecs-';

export interface NdjsonOutputOptions {
  dir: string;
  /** Rotate once a file reaches this size. */
  maxFileBytes: number;
}

export interface WriteResult {
  written: number;
  duplicates: number;
}

function eventIdOf(document: Record<string, unknown>): string | undefined {
  const event = document.event as { id?: unknown } | undefined;
  return typeof event?.id === 'string' ? event.id : undefined;
}

export class NdjsonOutput {
  readonly #o: NdjsonOutputOptions;
  readonly #seen = new Set<string>();
  #file: FileHandle | undefined;
  #fileBytes = 0;
  #sequence = 0;
  #chain: Promise<unknown> = Promise.resolve();
  written = 0;
  duplicates = 0;

  private constructor(options: NdjsonOutputOptions) {
    this.#o = options;
  }

  static async open(options: NdjsonOutputOptions): Promise<NdjsonOutput> {
    const output = new NdjsonOutput(options);
    await mkdir(options.dir, { recursive: true });
    await output.#loadSeen();
    return output;
  }

  /** Files written so far, oldest first. */
  async files(): Promise<string[]> {
    const names = (await readdir(this.#o.dir)).filter((n) => n.startsWith(NDJSON_PREFIX) && n.endsWith('.ndjson'));
    return names.sort().map((n) => join(this.#o.dir, n));
  }

  get distinctEvents(): number {
    return this.#seen.size;
  }

  async #loadSeen(): Promise<void> {
    for (const file of await this.files()) {
      const lines = createInterface({ input: createReadStream(file), crlfDelay: Infinity });
      for await (const line of lines) {
        if (line.trim() === '') continue;
        try {
          const id = eventIdOf(JSON.parse(line) as Record<string, unknown>);
          if (id) this.#seen.add(id);
        } catch {
          // A line cut by a crash mid-write: the event is re-delivered and written again.
        }
      }
      const match = /-(\d+)\.ndjson$/.exec(file);
      if (match) this.#sequence = Math.max(this.#sequence, Number(match[1]));
    }
  }

  async #rotateIfNeeded(incoming: number): Promise<FileHandle> {
    if (this.#file && this.#fileBytes + incoming <= this.#o.maxFileBytes) return this.#file;
    if (this.#file) await this.#file.close();
    this.#sequence += 1;
    const path = join(this.#o.dir, `${NDJSON_PREFIX}${String(this.#sequence).padStart(6, '0')}.ndjson`);
    this.#file = await open(path, 'a');
    this.#fileBytes = (await stat(path)).size;
    return this.#file;
  }

  /** Appends the documents not written before; resolves once they are on disk. Writes are serialised. */
  write(documents: readonly Record<string, unknown>[]): Promise<WriteResult> {
    const run = this.#chain.then(() => this.#write(documents));
    this.#chain = run.catch(() => undefined);
    return run;
  }

  async #write(documents: readonly Record<string, unknown>[]): Promise<WriteResult> {
    const lines: string[] = [];
    const ids = new Set<string>();
    let duplicates = 0;
    for (const document of documents) {
      const id = eventIdOf(document);
      if (id && (this.#seen.has(id) || ids.has(id))) {
        duplicates++;
        continue;
      }
      if (id) ids.add(id);
      lines.push(`${JSON.stringify(document)}\n`);
    }
    if (lines.length > 0) {
      const data = Buffer.from(lines.join(''));
      const file = await this.#rotateIfNeeded(data.length);
      await file.write(data);
      await file.sync();
      this.#fileBytes += data.length;
      for (const id of ids) this.#seen.add(id);
    }
    this.written += lines.length;
    this.duplicates += duplicates;
    return { written: lines.length, duplicates };
  }

  async close(): Promise<void> {
    await this.#chain;
    await this.#file?.close();
    this.#file = undefined;
  }
}
