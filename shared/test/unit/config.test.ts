import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, describeSchema, envName, loadConfig, parseDuration, v } from '@pra-pipeline/shared';

const schema = {
  kafkaBrokers: v.list({ doc: 'Brokers.' }),
  httpPort: v.integer({ default: 9464, min: 0, max: 65535, doc: 'Port.' }),
  pollInterval: v.duration({ default: 300_000, doc: 'Interval.' }),
  mode: v.enum(['a', 'b'] as const, { default: 'a', doc: 'Mode.' }),
  apiKey: v.string({ optional: true, secret: true, doc: 'Key.' }),
  verbose: v.boolean({ default: false, doc: 'Verbose.' }),
};

test('names variables after their keys', () => {
  assert.equal(envName('kafkaBrokers'), 'KAFKA_BROKERS');
  assert.equal(envName('esCaFile'), 'ES_CA_FILE');
  assert.equal(envName('httpPort'), 'HTTP_PORT');
});

test('loads, converts, applies defaults and freezes', () => {
  const { config } = loadConfig('svc', schema, { env: { KAFKA_BROKERS: 'a:1, b:2', POLL_INTERVAL: '1h30m', VERBOSE: 'yes' } });
  assert.deepEqual(config.kafkaBrokers, ['a:1', 'b:2']);
  assert.equal(config.httpPort, 9464);
  assert.equal(config.pollInterval, 5_400_000);
  assert.equal(config.mode, 'a');
  assert.equal(config.apiKey, undefined);
  assert.equal(config.verbose, true);
  assert.ok(Object.isFrozen(config));
  assert.throws(() => {
    (config as { httpPort: number }).httpPort = 1;
  }, TypeError);
});

test('a bad value stops start-up with a message naming the variable', () => {
  assert.throws(
    () => loadConfig('svc', schema, { env: { KAFKA_BROKERS: 'a:1', HTTP_PORT: 'eighty' } }),
    (err: unknown) => {
      assert.ok(err instanceof ConfigError);
      assert.match(err.message, /HTTP_PORT: "eighty" is not an integer/);
      assert.deepEqual(err.problems.map((p) => p.variable), ['HTTP_PORT']);
      return true;
    },
  );
});

test('reports every problem at once, including a missing required variable', () => {
  assert.throws(
    () => loadConfig('svc', schema, { env: { HTTP_PORT: '70000', MODE: 'c' } }),
    (err: unknown) => {
      assert.ok(err instanceof ConfigError);
      const variables = err.problems.map((p) => p.variable).sort();
      assert.deepEqual(variables, ['HTTP_PORT', 'KAFKA_BROKERS', 'MODE']);
      assert.match(err.message, /KAFKA_BROKERS: is required/);
      assert.match(err.message, /HTTP_PORT: 70000 is above the maximum 65535/);
      return true;
    },
  );
});

test('reads a secret from NAME_FILE and reports it as a secret to scrub', () => {
  const files: Record<string, string> = { '/run/secrets/key': 's3cr3t-value\n' };
  const { config, secrets } = loadConfig('svc', schema, {
    env: { KAFKA_BROKERS: 'a:1', API_KEY_FILE: '/run/secrets/key' },
    readFile: (p) => {
      const content = files[p];
      if (content === undefined) throw Object.assign(new Error('nope'), { code: 'ENOENT' });
      return content;
    },
  });
  assert.equal(config.apiKey, 's3cr3t-value');
  assert.deepEqual(secrets, ['s3cr3t-value']);
});

test('an unreadable NAME_FILE names the _FILE variable; both forms at once is an error', () => {
  assert.throws(
    () => loadConfig('svc', schema, { env: { KAFKA_BROKERS: 'a:1', API_KEY_FILE: '/missing' }, readFile: () => { throw Object.assign(new Error('x'), { code: 'ENOENT' }); } }),
    /API_KEY_FILE: cannot read \/missing: ENOENT/,
  );
  assert.throws(
    () => loadConfig('svc', schema, { env: { KAFKA_BROKERS: 'a:1', API_KEY: 'x', API_KEY_FILE: '/f' }, readFile: () => 'y' }),
    /API_KEY: both API_KEY and API_KEY_FILE are set/,
  );
});

test('a cross-field check names its variable', () => {
  assert.throws(
    () => loadConfig('svc', schema, { env: { KAFKA_BROKERS: 'a:1' } }, (c) => (c.httpPort === 9464 ? ['HTTP_PORT must not be the default here'] : [])),
    /HTTP_PORT: must not be the default here/,
  );
});

test('durations need a unit', () => {
  assert.equal(parseDuration('250ms'), 250);
  assert.equal(parseDuration('2d'), 172_800_000);
  assert.throws(() => parseDuration('300'), /not a duration/);
  assert.throws(() => parseDuration('5 minutes'), /not a duration/);
});

test('describes the schema for the configuration reference', () => {
  const rows = describeSchema(schema);
  const byName = Object.fromEntries(rows.map((r) => [r.name, r]));
  assert.equal(byName.POLL_INTERVAL?.default, '5m');
  assert.equal(byName.KAFKA_BROKERS?.required, true);
  assert.equal(byName.API_KEY?.secret, true);
  assert.equal(byName.MODE?.unit, 'a | b');
});

test('a password inside a URL value is a secret to scrub, encoded or not', () => {
  const { secrets } = loadConfig('svc', { registry: v.url({ doc: 'Registry.' }) }, { env: { REGISTRY: 'http://reader:p%40ss-word@127.0.0.1:8081/apis' } });
  assert.ok(secrets.includes('p%40ss-word'));
  assert.ok(secrets.includes('p@ss-word'));
  assert.deepEqual(loadConfig('svc', { registry: v.url({ doc: 'Registry.' }) }, { env: { REGISTRY: 'http://127.0.0.1:8081' } }).secrets, []);
});
