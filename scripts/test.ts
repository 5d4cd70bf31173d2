/**
 * The test command. Finds the test files, starts the real servers once (Kafka,
 * Apicurio Registry, Elasticsearch) unless KAFKA_BROKERS, SCHEMA_REGISTRY_URL
 * and ES_NODE name running ones, runs node's test runner with their addresses
 * in the environment, and stops the servers at the end. Server logs are kept in
 * test-logs/ when a test fails.
 *
 *   npm test                 everything, then the Elasticsearch 9 pass (below)
 *   npm test -- --unit       unit tests only (no servers)
 *   npm test -- FILE...      the given files
 *   npm test -- --es9 [FILE...]  the files (default: the Elasticsearch 9 pass's)
 *                            against Elasticsearch 9.x only
 *   npm run chaos            the long fault-injection runs
 *
 * The Elasticsearch 9 pass: after everything ran against the pinned 8.x, the
 * sink's integration tests, the Kibana content tests and one end-to-end test
 * run again on a fresh stack whose Elasticsearch is ELASTICSEARCH_9_VERSION
 * (test/harness/versions.ts). `--no-es9` or PRA_TEST_ES9=0 skips it.
 */
import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const args = process.argv.slice(2);
const unitOnly = args.includes('--unit');
const chaos = args.includes('--chaos');
const es9Only = args.includes('--es9');
const files = args.filter((a) => !a.startsWith('--'));
/** What runs against Elasticsearch 9 as well: everything that talks to Elasticsearch most. */
const ES9_FILES = ['services/sink/test/integration', 'test/kibana', 'test/e2e/pipeline-kafka.test.ts'];

function findTests(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name === 'dist' || name.startsWith('.')) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) findTests(path, out);
    else if (name.endsWith('.test.ts')) out.push(path);
  }
  return out;
}

const isUnit = (f: string) => f.includes(`${sep}unit${sep}`);
const isChaos = (f: string) => f.includes(`${sep}chaos${sep}`);

function es9Selection(): string[] {
  return ES9_FILES.flatMap((f) => (f.endsWith('.test.ts') ? [join(root, f)] : findTests(join(root, f)))).sort();
}

let selected = es9Only && files.length === 0 ? es9Selection() : files.length > 0 ? files.map((f) => join(process.cwd(), f)) : findTests(root);
if (files.length === 0 && !es9Only) {
  selected = selected.filter((f) => (chaos ? isChaos(f) : !isChaos(f)));
  if (unitOnly) selected = selected.filter(isUnit);
}
selected.sort((a, b) => Number(!isUnit(a)) - Number(!isUnit(b)) || a.localeCompare(b));
if (selected.length === 0) {
  console.error('No test files found.');
  process.exit(1);
}
const es9Pass = files.length === 0 && !unitOnly && !chaos && !es9Only && !args.includes('--no-es9') && process.env.PRA_TEST_ES9 !== '0';

let interrupted = false;
let child: ReturnType<typeof spawn> | undefined;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    interrupted = true;
    child?.kill(signal);
  });
}

/** Runs `tests` with the servers they need (started here unless the environment names them); resolves with the exit code. */
async function runPass(tests: string[], label: string, logsDir: string, esVersion: string | undefined): Promise<number> {
  const needsServers = tests.some((f) => !isUnit(f));
  const env: NodeJS.ProcessEnv = { ...process.env };
  // A pass on another Elasticsearch starts its own; Kafka and the registry may still come from the environment.
  if (esVersion) {
    delete env.ES_NODE;
    delete env.HARNESS_CONTROL_URL;
    // Tests that start a node of their own (templates.test.ts) start the same version.
    env.PRA_ES_VERSION = esVersion;
  }
  let stopStack: (() => Promise<void>) | undefined;
  let keepLogs: ((failed: boolean) => Promise<void>) | undefined;
  if (needsServers && !(env.KAFKA_BROKERS && env.SCHEMA_REGISTRY_URL && env.ES_NODE)) {
    const { startStack } = await import('../test/harness/stack.js');
    // The harness reads the version and the servers to reuse from the process environment.
    const saved = { ES_NODE: process.env.ES_NODE, PRA_ES_VERSION: process.env.PRA_ES_VERSION };
    if (esVersion) {
      delete process.env.ES_NODE;
      process.env.PRA_ES_VERSION = esVersion;
    }
    try {
      const stack = await startStack({ log: (line: string) => console.log(`[harness${label}] ${line}`) });
      Object.assign(env, stack.env);
      stopStack = () => stack.stop();
      keepLogs = (failed: boolean) => stack.keepLogs(failed, logsDir);
      console.log(`[harness${label}] ${Object.entries(stack.versions).map(([k, v]) => `${k} ${v}`).join(', ')}`);
    } finally {
      for (const [k, v] of Object.entries(saved)) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }
  } else if (needsServers) {
    console.log(`[harness${label}] using running servers: KAFKA_BROKERS=${env.KAFKA_BROKERS} SCHEMA_REGISTRY_URL=${env.SCHEMA_REGISTRY_URL} ES_NODE=${env.ES_NODE}`);
  }

  console.log(`Running ${tests.length} test files${label}.`);
  const proc = spawn(
    process.execPath,
    [
      '--conditions=source',
      '--import',
      'tsx',
      ...(env.CI ? ['--import', './test/fixed-seed.ts'] : []),
      '--test',
      '--test-reporter=spec',
      `--test-concurrency=${env.TEST_CONCURRENCY ?? '1'}`,
      ...tests.map((f) => relative(root, f)),
    ],
    { cwd: root, env, stdio: 'inherit' },
  );
  child = proc;
  const code: number = await new Promise((resolve) => proc.on('exit', (c, s) => resolve(c ?? (s ? 1 : 0))));
  try {
    await keepLogs?.(code !== 0 || interrupted);
  } finally {
    await stopStack?.();
  }
  return code;
}

let code = await runPass(selected, es9Only ? ' es9' : '', join(root, 'test-logs'), es9Only ? '9' : undefined);
if (es9Pass && !interrupted) {
  const es9 = await runPass(es9Selection(), ' es9', join(root, 'test-logs', 'es9'), '9');
  code = code || es9;
}
process.exit(code);
