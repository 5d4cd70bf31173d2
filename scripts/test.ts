/**
 * The test command. Finds the test files, starts the real servers once (Kafka,
 * Apicurio Registry, Elasticsearch) unless KAFKA_BROKERS, SCHEMA_REGISTRY_URL
 * and ES_NODE name running ones, runs node's test runner with their addresses
 * in the environment, and stops the servers at the end. Server logs are kept in
 * test-logs/ when a test fails.
 *
 *   npm test                 everything
 *   npm test -- --unit       unit tests only (no servers)
 *   npm test -- FILE...      the given files
 *   npm run chaos            the long fault-injection runs
 */
import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const args = process.argv.slice(2);
const unitOnly = args.includes('--unit');
const chaos = args.includes('--chaos');
const files = args.filter((a) => !a.startsWith('--'));

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

let selected = files.length > 0 ? files.map((f) => join(process.cwd(), f)) : findTests(root);
if (files.length === 0) {
  selected = selected.filter((f) => (chaos ? isChaos(f) : !isChaos(f)));
  if (unitOnly) selected = selected.filter(isUnit);
}
selected.sort((a, b) => Number(!isUnit(a)) - Number(!isUnit(b)) || a.localeCompare(b));
if (selected.length === 0) {
  console.error('No test files found.');
  process.exit(1);
}

const needsServers = selected.some((f) => !isUnit(f));
const env: NodeJS.ProcessEnv = { ...process.env };
let stopStack: (() => Promise<void>) | undefined;
let keepLogs: ((failed: boolean) => Promise<void>) | undefined;

if (needsServers && !(env.KAFKA_BROKERS && env.SCHEMA_REGISTRY_URL && env.ES_NODE)) {
  const { startStack } = await import('../test/harness/stack.js');
  const stack = await startStack({ log: (line: string) => console.log(`[harness] ${line}`) });
  Object.assign(env, stack.env);
  stopStack = () => stack.stop();
  keepLogs = (failed: boolean) => stack.keepLogs(failed, join(root, 'test-logs'));
  console.log(`[harness] ${Object.entries(stack.versions).map(([k, v]) => `${k} ${v}`).join(', ')}`);
} else if (needsServers) {
  console.log(`[harness] using running servers: KAFKA_BROKERS=${env.KAFKA_BROKERS} SCHEMA_REGISTRY_URL=${env.SCHEMA_REGISTRY_URL} ES_NODE=${env.ES_NODE}`);
}

console.log(`Running ${selected.length} test files.`);
const child = spawn(
  process.execPath,
  [
    '--conditions=source',
    '--import',
    'tsx',
    ...(env.CI ? ['--import', './test/fixed-seed.ts'] : []),
    '--test',
    '--test-reporter=spec',
    `--test-concurrency=${env.TEST_CONCURRENCY ?? '1'}`,
    ...selected.map((f) => relative(root, f)),
  ],
  { cwd: root, env, stdio: 'inherit' },
);

let interrupted = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    interrupted = true;
    child.kill(signal);
  });
}
const code: number = await new Promise((resolve) => child.on('exit', (c, s) => resolve(c ?? (s ? 1 : 0))));
try {
  await keepLogs?.(code !== 0 || interrupted);
} finally {
  await stopStack?.();
}
process.exit(code);
