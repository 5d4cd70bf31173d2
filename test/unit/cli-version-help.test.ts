/**
 * `pra-pipeline --version`, `pra-pipeline help <command>` and `check --json`,
 * run as the real binary's entry point.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { main } from '../../src/cli.js';
import { commands } from '../../src/commands/index.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

function cli(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, ['--conditions=source', '--import', 'tsx', 'src/bin.ts', ...args], {
    cwd: root,
    env: { PATH: process.env.PATH ?? '', ...env },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** main() in this process, with what it prints. */
async function inProcess(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const { log, error } = console;
  console.log = (...a: unknown[]) => void out.push(a.join(' '));
  console.error = (...a: unknown[]) => void err.push(a.join(' '));
  try {
    return { code: await main(args), out: out.map((l) => `${l}\n`).join(''), err: err.join('\n') };
  } finally {
    Object.assign(console, { log, error });
  }
}

test('--version, -V and version print the package version', async () => {
  const { code, out } = cli(['--version']);
  assert.equal(code, 0);
  assert.equal(out, `pra-pipeline ${pkg.version}\n`);
  for (const flag of ['-V', 'version']) assert.deepEqual(await inProcess([flag]), { code: 0, out: `pra-pipeline ${pkg.version}\n`, err: '' }, flag);
});

test('help <command> prints that command\'s help; an unknown one is a usage error', async () => {
  for (const command of commands) {
    const { code, out } = await inProcess(['help', command.name]);
    assert.equal(code, 0);
    assert.equal(out, `${command.help}\n`, command.name);
  }
  assert.notEqual((await inProcess(['help', 'dlq'])).out, (await inProcess(['help'])).out, 'not the general usage');
  const unknown = await inProcess(['help', 'nope']);
  assert.equal(unknown.code, 2);
  assert.match(unknown.err, /Unknown command "nope"/);
});

test('check --json: one JSON object with every result and the exit code of the text form', async () => {
  // Elasticsearch on a closed port: the configuration is valid, the dependency fails.
  const failing = cli(['check', '--json'], { ES_NODE: 'http://127.0.0.1:1', ES_API_KEY: 'c2VjcmV0LWlkOnNlY3JldC1rZXktOTk=' });
  assert.equal(failing.code, 1, failing.err);
  const report = JSON.parse(failing.out) as { ok: boolean; configValid: boolean; results: { name: string; ok: boolean; warning: boolean; detail: string }[] };
  assert.equal(report.ok, false);
  assert.equal(report.configValid, true);
  assert.ok(report.results.length > 0);
  const es = report.results.find((r) => /elasticsearch/i.test(r.name) && !r.name.startsWith('configuration'));
  assert.ok(es && !es.ok && es.detail.length > 0, JSON.stringify(report.results));
  assert.ok(report.results.every((r) => typeof r.warning === 'boolean'));
  assert.ok(!failing.out.includes('secret-key-99'), 'no secret in the report');
  assert.equal(failing.out.trim().split('\n').length, 1, 'one line');

  const invalid = cli(['check', '--json'], { ES_NODE: 'http://127.0.0.1:1', ES_REQUEST_TIMEOUT: 'soon' });
  assert.equal(invalid.code, 2);
  assert.equal((JSON.parse(invalid.out) as { configValid: boolean }).configValid, false);
  const nothing = cli(['check', '--json']);
  assert.equal(nothing.code, 2);
  assert.deepEqual(JSON.parse(nothing.out), { ok: false, configValid: false, results: [] });
  assert.equal((await inProcess(['check', '--jsn'])).code, 2, 'an unknown flag is a usage error');
});
