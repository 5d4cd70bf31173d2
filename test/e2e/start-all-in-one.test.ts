/**
 * `pra-pipeline start` as a newcomer runs it: no Kafka, no Elasticsearch, the
 * stages joined in process and ECS documents in NDJSON files. Against a
 * simulator that stops changing, the files hold exactly its ground truth; with
 * nothing configured at all, it starts its own simulator and writes only events
 * that simulator recorded.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compareIds, FAST_POLLING, settle, settlingSimulator, sitesJson } from './support.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** The environment without the test servers: the all-in-one mode must not find any. */
function bareEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of Object.keys(env)) {
    if (/^(KAFKA_|SCHEMA_REGISTRY_|ES_|PRA_|GEOIP_|HARNESS_)/.test(name)) delete env[name];
  }
  return { ...env, HTTP_PORT: '0', HTTP_HOST: '127.0.0.1', PROGRESS_INTERVAL: '2s', ...extra };
}

function startPipeline(dataDir: string, env: NodeJS.ProcessEnv): { child: ChildProcess; output: () => string; exited: Promise<number | null> } {
  const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', 'src/bin.ts', 'start', '--data-dir', dataDir], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let text = '';
  child.stdout!.on('data', (d) => (text += d));
  child.stderr!.on('data', (d) => (text += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, output: () => text, exited };
}

function ndjsonIds(dir: string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const name of readdirSync(dir).filter((n) => n.startsWith('ecs-') && n.endsWith('.ndjson'))) {
    for (const line of readFileSync(join(dir, name), 'utf8').split('\n')) {
      if (!line) continue;
      const id = (JSON.parse(line) as { event: { id: string } }).event.id;
      counts.set(id, (counts.get(id) ?? 0) + 1);
    }
  }
  return counts;
}

function firstDocumentWith(dir: string, predicate: (doc: Record<string, Record<string, unknown>>) => boolean) {
  for (const name of readdirSync(dir).filter((n) => n.startsWith('ecs-'))) {
    for (const line of readFileSync(join(dir, name), 'utf8').split('\n')) {
      if (!line) continue;
      const doc = JSON.parse(line) as Record<string, Record<string, unknown>>;
      if (predicate(doc)) return doc;
    }
  }
  return undefined;
}

async function stop(run: ReturnType<typeof startPipeline>): Promise<number | null> {
  run.child.kill('SIGINT');
  const timer = setTimeout(() => run.child.kill('SIGKILL'), 30_000);
  const code = await run.exited;
  clearTimeout(timer);
  return code;
}

test('in process with NDJSON output, the files hold exactly the events of the sites it polls', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'pra-start-'));
  const { simulator, clock } = await settlingSimulator({ seed: 77 });
  const run = startPipeline(dataDir, bareEnv({ PRA_SITES: sitesJson(simulator, 'default'), ...FAST_POLLING }));
  try {
    await new Promise((r) => setTimeout(r, 6000));
    clock.freeze();
    const expected = new Set(simulator.expectedEventIds());
    const result = await settle(
      async () => compareIds(expected, existsSync(dataDir) ? ndjsonIds(dataDir) : new Map()),
      (c) => c.missing === 0 && c.extra === 0 && c.duplicated === 0,
      120_000,
    );
    assert.deepEqual(result, { missing: 0, extra: 0, duplicated: 0 }, `expected ${expected.size} events\n${run.output().slice(-2000)}`);
    // GeoIP works out of the box: the demo databases answer for the simulator's addresses.
    assert.ok(firstDocumentWith(dataDir, (d) => typeof (d.source?.geo as { city_name?: unknown })?.city_name === 'string'), 'no document has source.geo');
    assert.equal(await stop(run), 0, run.output().slice(-2000));
    const out = run.output();
    assert.match(out, /Joined by: +in-process queues/);
    assert.match(out, /Writing to: +NDJSON files in /);
    assert.match(out, /Progress: collected \d+ events/);
    // Running sessions were fetched again, but only their new events went on: nothing met the output twice.
    assert.doesNotMatch(out, /already there/);
    assert.ok(existsSync(join(dataDir, 'cursor-east.json')) && existsSync(join(dataDir, 'cursor-west.json')), 'the cursors were not saved');
  } finally {
    if (run.child.exitCode === null) run.child.kill('SIGKILL');
    await simulator.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test('with nothing configured it polls its own simulator and writes only events that simulator recorded', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'pra-start-'));
  const run = startPipeline(dataDir, bareEnv({ SIMULATOR_HISTORY: '30m', SIMULATOR_SESSIONS_PER_MINUTE: '2', SIMULATOR_POLL_INTERVAL: '1s' }));
  try {
    const written = await settle(async () => (existsSync(dataDir) ? ndjsonIds(dataDir).size : 0), (n) => n > 200, 90_000);
    assert.ok(written > 200, `only ${written} documents were written\n${run.output().slice(-2000)}`);
    assert.equal(await stop(run), 0, run.output().slice(-2000));
    // The ground truth is written at stop, after the last poll: every document is in it, once.
    const truth = readFileSync(join(dataDir, 'simulator-ground-truth.ndjson'), 'utf8').split('\n').filter(Boolean);
    const { eventIdOf } = await import('@pra-pipeline/pra-simulator');
    const truthIds = new Set(truth.map((line) => eventIdOf(JSON.parse(line))));
    const ids = ndjsonIds(dataDir);
    const comparison = compareIds(truthIds, ids);
    assert.equal(comparison.extra, 0);
    assert.equal(comparison.duplicated, 0);
    assert.match(run.output(), /Reading from: the embedded PRA simulator at http:\/\/127\.0\.0\.1:\d+/);
  } finally {
    if (run.child.exitCode === null) run.child.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  }
});
