/**
 * Fuzzing stage A+B through the enricher's raw-record path: sessions mutated by
 * each hostile class (truncation, deep nesting, huge attributes, invalid UTF-8,
 * control characters, entity bombs, external references, CDATA, comments,
 * namespaces), generated documents and random byte damage. Every input must end
 * as documents or as a PipelineError with an input-error code and a message:
 * never another exception, never nothing, never stuck (each case runs in a
 * worker that is stopped after HANG_MS), with a capped and bounded heap. No
 * entity is expanded, the marker file is never read into an output, and the
 * local listener the external references point at is never contacted.
 *
 * FUZZ_SEED=<n> replays a run (fast-check prints the seed of a failure).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import fc from 'fast-check';
import { EXPANSION_MARKER, HOSTILE_KINDS, hostileArbitraries, type HostileCase, type HostileKind } from '../hostile-xml.js';
import type { FuzzReply } from '../fuzz-worker.js';

/** A case running longer is a hang, not a slow case: the largest inputs take well under a second. */
const HANG_MS = 2000;
/** The worker is stopped when a reply takes this long (the hang guard for a case that never returns). */
const STOP_MS = 15_000;
/** The worker's old generation; a blow-up ends the worker and fails the case. */
const HEAP_CAP_MB = 512;
/** Heap left over after the whole run, once collected. */
const HEAP_GROWTH_BYTES = 64 * 1024 * 1024;
const INPUT_ERROR_CODES = new Set(['PIPE_XML_MALFORMED', 'PIPE_XML_LIMIT', 'PIPE_SESSION_EMPTY', 'PIPE_RECORD_INVALID']);
/** Runs per class; the huge-attribute class is the slow one. Together well under a minute. */
const RUNS: Record<HostileKind, number> = {
  truncated: 150,
  'deep-nesting': 100,
  'huge-attribute': 40,
  'invalid-utf8': 150,
  'control-characters': 150,
  'entity-bomb': 150,
  'external-entity': 120,
  cdata: 150,
  comments: 150,
  namespaces: 150,
  generated: 200,
  'byte-mutation': 200,
};
// FUZZ_SEED replays a run; in CI a fixed seed keeps the verdict reproducible, elsewhere every run explores new inputs.
const seed = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : process.env.CI ? 20261125 : undefined;

const fileMarker = `FILECONTENT${Math.random().toString(36).slice(2)}`;
const dir = mkdtempSync(join(tmpdir(), 'pra-fuzz-'));
const secretFile = join(dir, 'secret.txt');
writeFileSync(secretFile, fileMarker);

/** Counts every connection: any protocol an external reference could use. */
let listener: Server;
let connections = 0;
let httpUrl = '';

class FuzzWorker {
  #worker: Worker | undefined;
  #pending = new Map<number, { resolve: (r: FuzzReply) => void; reject: (e: Error) => void }>();
  #next = 0;

  #start(): Worker {
    const url = new URL('../fuzz-worker.ts', import.meta.url).href;
    const worker = new Worker(`import('tsx/esm/api').then(({ register }) => { register(); return import(${JSON.stringify(url)}); })`, {
      eval: true,
      workerData: { markers: [EXPANSION_MARKER, fileMarker] },
      resourceLimits: { maxOldGenerationSizeMb: HEAP_CAP_MB },
    });
    worker.on('message', (reply: FuzzReply) => {
      this.#pending.get(reply.id)?.resolve(reply);
      this.#pending.delete(reply.id);
    });
    const fail = (err: Error) => {
      for (const p of this.#pending.values()) p.reject(err);
      this.#pending.clear();
      this.#worker = undefined;
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`The fuzz worker exited (code ${code})`)));
    return worker;
  }

  request<T>(message: Record<string, unknown>, transfer?: ArrayBuffer[]): Promise<T> {
    this.#worker ??= this.#start();
    const worker = this.#worker;
    const id = this.#next++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new Error(`No reply within ${STOP_MS} ms: the case hangs`));
        this.#pending.delete(id);
        void worker.terminate();
      }, STOP_MS);
      this.#pending.set(id, {
        resolve: (r) => {
          clearTimeout(timer);
          resolve(r as T);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      worker.postMessage({ ...message, id }, transfer ?? []);
    });
  }

  run(c: HostileCase): Promise<FuzzReply> {
    const bytes = new Uint8Array(c.bytes);
    return this.request<FuzzReply>({ bytes, preserveOriginal: c.preserveOriginal }, [bytes.buffer as ArrayBuffer]);
  }

  async heap(): Promise<number> {
    return (await this.request<{ heapUsed: number }>({ heap: true })).heapUsed;
  }

  async stop(): Promise<void> {
    await this.#worker?.terminate();
  }
}

const worker = new FuzzWorker();
const totals = { cases: 0, mapped: 0, deadLetters: 0, slowestMs: 0, peakHeap: 0 };
let heapBefore = 0;

function describeCase(c: HostileCase): string {
  return `${c.kind} (${c.note}), ${c.bytes.length} bytes: ${JSON.stringify(c.bytes.subarray(0, 160).toString('latin1'))}...`;
}

function check(c: HostileCase, r: FuzzReply): void {
  const what = describeCase(c);
  assert.notEqual(r.outcome, 'unexpected', `${r.thrown}: ${r.message} for ${what}`);
  assert.notEqual(r.outcome, 'nothing', `neither documents nor an error for ${what}`);
  if (r.outcome === 'dead-letter') {
    assert.ok(INPUT_ERROR_CODES.has(r.code ?? ''), `code ${r.code} for ${what}`);
    assert.ok((r.message ?? '').trim().length > 0, `an error without a message for ${what}`);
    totals.deadLetters++;
  } else {
    assert.ok(r.documents > 0);
    totals.mapped++;
  }
  assert.deepEqual(r.markers, [], `expanded or external content in the output of ${what}`);
  assert.ok(r.elapsedMs < HANG_MS, `${r.elapsedMs.toFixed(0)} ms for ${what}`);
  totals.cases++;
  totals.slowestMs = Math.max(totals.slowestMs, r.elapsedMs);
  totals.peakHeap = Math.max(totals.peakHeap, r.heapUsed);
}

before(async () => {
  listener = createServer((socket) => {
    connections++;
    socket.destroy();
  });
  await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
  const address = listener.address();
  assert.ok(address && typeof address === 'object');
  httpUrl = `http://127.0.0.1:${address.port}`;
  heapBefore = await worker.heap();
});

after(async () => {
  await worker.stop();
  await new Promise<void>((resolve) => listener.close(() => resolve()));
  rmSync(dir, { recursive: true, force: true });
});

describe('fuzzing stage A+B with hostile session XML', () => {
  it('the listener counts connections and the markers are found when present', async () => {
    const before = connections;
    await new Promise<void>((resolve) => {
      const socket = connect(Number(new URL(httpUrl).port), '127.0.0.1');
      socket.on('close', () => resolve());
      socket.on('error', () => undefined);
    });
    assert.equal(connections, before + 1);
    const seedXml = '<session lsid="m"><session_details><event timestamp="1712235600" event_type="Chat Message"><body>BODY</body></event></session_details></session>';
    const reply = await worker.run({ kind: 'generated', note: 'marker', bytes: Buffer.from(seedXml.replace('BODY', EXPANSION_MARKER + fileMarker)), preserveOriginal: true });
    assert.equal(reply.outcome, 'mapped');
    assert.deepEqual(reply.markers, [EXPANSION_MARKER, fileMarker]);
    connections = before;
  });

  for (const kind of HOSTILE_KINDS) {
    it(`${kind}: ${RUNS[kind]} inputs, each mapped or an input error, none stuck or expanded`, async () => {
      const arbitrary = hostileArbitraries({ fileUrl: pathToFileURL(secretFile).href, httpUrl })[kind];
      await fc.assert(
        fc.asyncProperty(arbitrary, async (c) => check(c, await worker.run(c))),
        { numRuns: RUNS[kind], endOnFailure: true, ...(seed === undefined ? {} : { seed }) },
      );
    });
  }

  it('nothing contacted the local listener, and the heap came back', async () => {
    assert.equal(connections, 0, 'an external reference was fetched');
    const heapAfter = await worker.heap();
    const expected = Object.values(RUNS).reduce((a, b) => a + b, 0);
    assert.equal(totals.cases, expected);
    assert.ok(heapAfter - heapBefore < HEAP_GROWTH_BYTES, `heap grew by ${((heapAfter - heapBefore) / 1e6).toFixed(1)} MB`);
    console.log(
      `fuzz: ${totals.cases} inputs, ${totals.mapped} mapped, ${totals.deadLetters} input errors, slowest ${totals.slowestMs.toFixed(0)} ms, ` +
        `peak heap ${(totals.peakHeap / 1e6).toFixed(0)} MB, heap ${(heapBefore / 1e6).toFixed(0)} -> ${(heapAfter / 1e6).toFixed(0)} MB`,
    );
  });
});
