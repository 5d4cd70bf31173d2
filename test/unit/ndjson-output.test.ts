import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NdjsonOutput } from '../../src/all-in-one/ndjson-output.js';

const doc = (id: string, pad = '') => ({ event: { id }, message: `m${pad}` });

test('writes each event once, across writes and across restarts, and rotates by size', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'ndjson-'));
  try {
    const out = await NdjsonOutput.open({ dir, maxFileBytes: 200 });
    assert.deepEqual(await out.write([doc('a'), doc('b'), doc('a')]), { written: 2, duplicates: 1 });
    assert.deepEqual(await out.write([doc('b'), doc('c', 'x'.repeat(150))]), { written: 1, duplicates: 1 });
    await out.close();
    const files = await out.files();
    assert.equal(files.length, 2, 'the second write did not fit in the first file');

    const again = await NdjsonOutput.open({ dir, maxFileBytes: 200 });
    assert.equal(again.distinctEvents, 3);
    assert.deepEqual(await again.write([doc('a'), doc('d')]), { written: 1, duplicates: 1 });
    await again.close();

    const ids: string[] = [];
    for (const file of await again.files()) {
      for (const line of (await readFile(file, 'utf8')).split('\n').filter(Boolean)) ids.push(JSON.parse(line).event.id);
    }
    assert.deepEqual(ids.sort(), ['a', 'b', 'c', 'd']);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('a line cut short by a crash is ignored when the ids are read back', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'ndjson-'));
  try {
    const out = await NdjsonOutput.open({ dir, maxFileBytes: 10_000 });
    await out.write([doc('a')]);
    await out.close();
    const { appendFile } = await import('node:fs/promises');
    await appendFile((await out.files())[0]!, '{"event":{"id":"b"');
    const again = await NdjsonOutput.open({ dir, maxFileBytes: 10_000 });
    assert.equal(again.distinctEvents, 1);
    assert.deepEqual(await again.write([doc('b')]), { written: 1, duplicates: 0 });
    await again.close();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
