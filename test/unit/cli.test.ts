import { test } from 'node:test';
import assert from 'node:assert/strict';
import { main } from '../../src/cli.js';
import { commands } from '../../src/commands/index.js';

async function capture(argv: string[]): Promise<{ code: number; out: string }> {
  const lines: string[] = [];
  const log = console.log;
  const error = console.error;
  console.log = (...a: unknown[]) => lines.push(a.join(' '));
  console.error = (...a: unknown[]) => lines.push(a.join(' '));
  try {
    return { code: await main(argv), out: lines.join('\n') };
  } finally {
    console.log = log;
    console.error = error;
  }
}

test('every documented command is there, with its own help', async () => {
  assert.deepEqual(commands.map((c) => c.name).sort(), ['check', 'dlq', 'enricher', 'kibana-setup', 'map', 'poller', 'simulator', 'sink', 'start']);
  for (const command of commands) {
    const { code, out } = await capture([command.name, '--help']);
    assert.equal(code, 0, command.name);
    assert.match(out, new RegExp(`Usage:\\s+pra-pipeline ${command.name}`), command.name);
  }
});

test('exit codes: 0 for help, 2 for no command, an unknown one, or bad arguments', async () => {
  assert.equal((await capture(['--help'])).code, 0);
  assert.equal((await capture([])).code, 2);
  const unknown = await capture(['frobnicate']);
  assert.equal(unknown.code, 2);
  assert.match(unknown.out, /Unknown command "frobnicate"/);
  const bad = await capture(['sink', 'extra-argument']);
  assert.equal(bad.code, 2);
  assert.match(bad.out, /takes no arguments/);
});

test('a configuration error exits 2 and names the variable', async () => {
  const saved = process.env.KAFKA_BROKERS;
  delete process.env.KAFKA_BROKERS;
  try {
    const { code, out } = await capture(['dlq', 'list']);
    assert.equal(code, 2);
    assert.match(out, /KAFKA_BROKERS: is required/);
  } finally {
    if (saved !== undefined) process.env.KAFKA_BROKERS = saved;
  }
});
