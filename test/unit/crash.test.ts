/**
 * The crash handlers of the CLI (src/crash.ts, installed by src/bin.ts): an
 * uncaught exception or an unhandled rejection is one JSON line on stdout, in
 * LOG_FORMAT, scrubbed of the environment's secrets, and exit code 1.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const SECRET = 'kafka-password-4f9c2e';

function crash(how: string, env: Record<string, string> = {}) {
  const result = spawnSync(process.execPath, ['--conditions=source', '--import', 'tsx', 'test/unit/fixtures/crash.ts', how], {
    cwd: root,
    env: { PATH: process.env.PATH ?? '', KAFKA_SASL_PASSWORD: SECRET, ...env },
    encoding: 'utf8',
    timeout: 30_000,
  });
  const lines = result.stdout.split('\n').filter((l) => l.length > 0);
  return { code: result.status, lines, stderr: result.stderr };
}

for (const [how, message, type] of [
  ['throw', 'Uncaught exception; exiting.', 'Error'],
  ['reject', 'Unhandled promise rejection; exiting.', 'TypeError'],
] as const) {
  test(`${how}: one JSON line with the error and its stack, the secret scrubbed, exit 1`, () => {
    const { code, lines, stderr } = crash(how);
    assert.equal(code, 1, stderr);
    assert.equal(lines.length, 1, `one line, got:\n${lines.join('\n')}`);
    const line = JSON.parse(lines[0] as string) as { level: string; message: string; service: string; err: { type: string; message: string; stack: string } };
    assert.equal(line.level, 'fatal');
    assert.equal(line.message, message);
    assert.equal(line.service, 'pra-pipeline');
    assert.equal(line.err.type, type);
    assert.match(line.err.message, /\[REDACTED\]$/);
    assert.match(line.err.stack, /crash\.ts/);
    assert.ok(!lines[0]!.includes(SECRET), 'the secret is scrubbed');
    assert.equal(stderr.includes('at '), false, 'no plain-text stack beside it');
  });
}

test('LOG_FORMAT=ecs: the crash line is an ECS line (error.type, error.message, error.stack_trace)', () => {
  const { code, lines } = crash('reject', { LOG_FORMAT: 'ecs' });
  assert.equal(code, 1);
  assert.equal(lines.length, 1);
  const line = JSON.parse(lines[0] as string) as Record<string, string>;
  assert.equal(line['log.level'], 'fatal');
  assert.equal(line['error.type'], 'TypeError');
  assert.equal(line['error.message'], 'rejected with [REDACTED]');
  assert.match(line['error.stack_trace'] ?? '', /TypeError: rejected with \[REDACTED\]/);
  assert.equal(line['service.name'], 'pra-pipeline');
});

test('a rejection with a value that is not an Error is logged too', () => {
  const { code, lines } = crash('reject-value');
  assert.equal(code, 1);
  assert.equal(lines.length, 1);
  assert.match(lines[0] as string, /"a bare string with \[REDACTED\]"/);
});
