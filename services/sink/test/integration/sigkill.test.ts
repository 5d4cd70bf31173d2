/**
 * The sink runs as its own process (`pra-pipeline sink`) and is killed with
 * SIGKILL at random moments while it indexes, ten times, with new records before
 * each start; each time a new one starts. Every document arrives, none twice.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import {
  allIds,
  countDocs,
  createTopics,
  deleteDataStream,
  deleteTopics,
  makeDocument,
  produce,
  sinkEnv,
  integrationContext,
  suffix,
  waitFor,
  wireFormat,
} from './helpers.js';

const repoRoot = fileURLToPath(new URL('../../../../', import.meta.url));
const KILLS = 10;
const CHUNK = 2000;

const { kafka, es, cleanups } = integrationContext();

function startChild(env: Record<string, string>, output: string[]): ChildProcess {
  const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', 'src/bin.ts', 'sink'], {
    cwd: repoRoot,
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const keep = (chunk: Buffer) => {
    output.push(...chunk.toString().split('\n').filter(Boolean));
    if (output.length > 200) output.splice(0, output.length - 200);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  return child;
}

const exited = (child: ChildProcess) =>
  new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve({ code: child.exitCode, signal: child.signalCode });
    else child.once('exit', (code, signal) => resolve({ code, signal }));
  });

test('SIGKILL ten times during a run: every document arrives, none twice', { timeout: 600_000 }, async (t) => {
  const s = suffix();
  const n = { topic: `sink-kill-${s}`, group: `sink-kill-${s}`, dlq: `sink-kill-dlq-${s}`, namespace: `kill${s}` };
  cleanups.push(() => deleteTopics(kafka, [n.topic, n.dlq]), () => deleteDataStream(es, n.namespace));
  await createTopics(kafka, [n.topic, n.dlq]);
  const wire = await wireFormat(n.topic);
  const env = sinkEnv(n, { BULK_MAX_DOCUMENTS: '50', BULK_CONCURRENCY: '1', SHUTDOWN_GRACE: '10s' });
  const output: string[] = [];
  const total = KILLS * CHUNK;

  // Each run starts with a backlog: a new chunk of records arrives before every start.
  let produced = 0;
  const produceChunk = async () => {
    const messages = Array.from({ length: CHUNK }, (_, i) => {
      const id = produced + i;
      return { key: `site/${id % 17}`, value: wire(makeDocument(n.namespace, id)) };
    });
    await produce(kafka, n.topic, messages);
    produced += CHUNK;
  };

  let child: ChildProcess | undefined;
  cleanups.push(async () => {
    if (child && child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await exited(child);
    }
  });
  const kills: string[] = [];
  let midWork = 0;
  for (let k = 0; k < KILLS; k++) {
    await produceChunk();
    const before = await countDocs(es, n.namespace);
    child = startChild(env, output);
    // A random point of this run's work (10-60 % of its chunk indexed), whatever the machine's speed.
    const target = before + Math.floor(CHUNK * (0.1 + Math.random() * 0.5));
    await waitFor('the run to index', async () => ((await countDocs(es, n.namespace)) >= target ? true : undefined), 60_000, 20).catch(() => undefined);
    child.kill('SIGKILL');
    const { signal } = await exited(child);
    assert.equal(signal, 'SIGKILL', `run ${k + 1} ended before it was killed:\n${output.slice(-30).join('\n')}`);
    const at = await countDocs(es, n.namespace);
    kills.push(`${at}/${produced}`);
    if (at > before && at < produced) midWork++;
  }
  assert.equal(produced, total);

  // The last run is stopped cleanly, but only once it is running: a SIGTERM that lands before the
  // process has installed its handlers ends it the default way (no exit code), which tests nothing.
  child = startChild({ ...env, LOG_LEVEL: 'info' }, output);
  await waitFor('the last sink to start', async () => (output.some((line) => line.includes('"message":"Sink started."')) ? true : undefined), 120_000, 200);
  await waitFor(`${total} documents`, async () => ((await countDocs(es, n.namespace)) >= total ? true : undefined), 240_000, 1000).catch((err: Error) => {
    throw new Error(`${err.message}\n${output.slice(-30).join('\n')}`);
  });
  child.kill('SIGTERM');
  const last = await exited(child);
  assert.equal(last.code, 0, `a clean stop exits 0:\n${output.slice(-30).join('\n')}`);

  const ids = await allIds(es, n.namespace);
  assert.equal(ids.length, total, 'no document twice');
  const present = new Set(ids);
  assert.deepEqual(Array.from({ length: total }, (_, i) => `${n.namespace}-${i}`).filter((id) => !present.has(id)), [], 'no document missing');
  t.diagnostic(`indexed/produced when each kill landed: ${kills.join(', ')}; ${midWork} of ${KILLS} in the middle of indexing`);
  // Most kills landed while documents were being indexed, not before or after the work.
  assert.ok(midWork >= KILLS / 2, `kills at ${kills.join(', ')}`);
});
