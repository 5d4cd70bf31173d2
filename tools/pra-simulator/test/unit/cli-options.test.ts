import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseSimulatorArgs, SIMULATOR_HELP } from '../../src/cli-options.js';

describe('pra-pipeline simulator flags', () => {
  it('reads the documented example', () => {
    const { options } = parseSimulatorArgs(['--port', '18443', '--seed', '7', '--client-id', 'demo', '--client-secret', 'demo-secret']);
    assert.equal(options.port, 18443);
    assert.equal(options.host, '127.0.0.1');
    assert.equal(options.seed, 7);
    assert.deepEqual(options.sites, [{ name: 'default', clientId: 'demo', clientSecret: 'demo-secret' }]);
    assert.equal(options.clock, 'wall');
    assert.equal(options.namespace, true);
  });

  it('reads sites, clock, profile, format and faults', () => {
    const { options, groundTruthFile } = parseSimulatorArgs([
      '--site-name', 'main', '--poller-site', 'pra-main', '--site', 'second:id2:secret2:pra-two',
      '--clock', 'manual', '--start', '2024-06-01T12:00:00Z', '--history', '2h',
      '--sessions-per-minute', '3', '--events-per-session', '50', '--participants', '2', '--running-share', '0.2',
      '--language', 'fr', '--no-namespace', '--timestamp-format', 'iso', '--running-end-time', 'empty',
      '--fault', '{"kind":"status","status":429,"rate":0.1}', '--ground-truth-file', 'truth.ndjson', '--token-ttl', '1799',
    ]);
    assert.deepEqual(options.sites, [
      { name: 'main', clientId: 'demo', clientSecret: 'demo-secret', pollerSite: 'pra-main' },
      { name: 'second', clientId: 'id2', clientSecret: 'secret2', pollerSite: 'pra-two' },
    ]);
    assert.deepEqual(options.clock, { start: Date.parse('2024-06-01T12:00:00Z') });
    assert.equal(options.historySeconds, 7200);
    assert.deepEqual(options.profile, { sessionsPerMinute: 3, eventsPerSession: 50, participants: 2, runningShare: 0.2 });
    assert.equal(options.language, 'fr');
    assert.equal(options.namespace, false);
    assert.equal(options.timestampFormat, 'iso');
    assert.equal(options.runningEndTime, 'empty');
    assert.deepEqual(options.faults, [{ kind: 'status', status: 429, rate: 0.1 }]);
    assert.equal(options.tokenTtlSeconds, 1799);
    assert.equal(groundTruthFile, 'truth.ndjson');
    const running = parseSimulatorArgs(['--start', '2024-06-01T12:00:00Z']).options.clock;
    assert.deepEqual(running, { start: Date.parse('2024-06-01T12:00:00Z'), running: true });
  });

  it('refuses bad values and unknown flags', () => {
    for (const args of [['--port', '70000'], ['--seed', '1.5'], ['--clock', 'sundial'], ['--language', 'it'], ['--site', 'x:y'], ['--fault', '{'], ['--bogus'], ['--tls-cert', 'a.pem'], ['--history', 'forever'], ['extra']]) {
      assert.throws(() => parseSimulatorArgs(args), Error, args.join(' '));
    }
  });

  it('documents every flag it reads in --help', () => {
    for (const flag of ['--port', '--host', '--tls-cert', '--tls-key', '--site-name', '--client-id', '--client-secret', '--poller-site', '--site', '--token-ttl', '--seed', '--clock', '--start', '--history', '--sessions-per-minute', '--events-per-session', '--participants', '--running-share', '--session-minutes', '--language', '--no-namespace', '--timestamp-format', '--running-end-time', '--fault', '--ground-truth-file']) {
      assert.ok(SIMULATOR_HELP.includes(`${flag} `), flag);
    }
  });
});
