/**
 * Dead letters of the all-in-one mode without Kafka: one JSON object per line in
 * dead-letters.ndjson, with the same headers a dead letter topic record carries
 * and the original value (base64), so nothing that failed is lost.
 */
import { appendFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { headerString, type IHeaders } from '@pra-pipeline/shared';

export class DeadLetterFile {
  readonly path: string;
  count = 0;
  #chain: Promise<unknown> = Promise.resolve();

  constructor(dir: string) {
    this.path = join(dir, 'dead-letters.ndjson');
  }

  append(records: readonly { key: string | Buffer | null; value: string | Buffer | null; headers?: IHeaders | undefined }[]): Promise<void> {
    if (records.length === 0) return Promise.resolve();
    const lines = records.map((r) => {
      const headers = Object.fromEntries(Object.entries(r.headers ?? {}).map(([k, v]) => [k, headerString(v)]));
      const value = r.value === null ? null : Buffer.isBuffer(r.value) ? r.value : Buffer.from(r.value);
      return `${JSON.stringify({ key: r.key?.toString() ?? null, headers, value_base64: value?.toString('base64') ?? null })}\n`;
    });
    const run = this.#chain.then(async () => {
      await mkdir(join(this.path, '..'), { recursive: true });
      await appendFile(this.path, lines.join(''));
      this.count += records.length;
    });
    this.#chain = run.catch(() => undefined);
    return run;
  }
}
