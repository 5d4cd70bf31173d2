/**
 * LOG_FORMAT=ecs: every line is an ECS document. Each field is checked against
 * the ECS field set of @elastic/ecs (8.11, its flat field list: names and
 * types), except our own under `pra.`; the secret scrubbing of the default
 * format holds in this one too.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { EcsFlat } from '@elastic/ecs/build/commonjs/ecs_flat.js';
import { createLogger, logFormatOf, PipelineError, type LogFormat } from '@pra-pipeline/shared';

const SECRET = 'es-api-key-b7e1f0aa';
type Line = Record<string, unknown>;

function capture(format: LogFormat): { logger: ReturnType<typeof createLogger>; lines: () => Line[]; raw: () => string } {
  let text = '';
  const logger = createLogger({
    service: 'sink',
    version: '0.1.0',
    format,
    level: 'debug',
    secrets: [SECRET],
    destination: new Writable({ write: (chunk, _e, done) => ((text += String(chunk)), done()) }),
  });
  return { logger, raw: () => text, lines: () => text.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Line) };
}

/** Leaf paths of a line: dotted keys as they are, nested objects walked. */
function leaves(value: unknown, prefix = ''): [string, unknown][] {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return [[prefix, value]];
  return Object.entries(value).flatMap(([k, v]) => leaves(v, prefix ? `${prefix}.${k}` : k));
}

const ecs = EcsFlat as Record<string, { type: string; flat_name: string; required?: boolean; normalize?: string[] }>;
const STRING_TYPES = new Set(['keyword', 'constant_keyword', 'wildcard', 'text', 'match_only_text', 'ip', 'date']);
const NUMBER_TYPES = new Set(['long', 'integer', 'short', 'byte', 'float', 'double', 'scaled_float', 'unsigned_long']);

/** The problems of one line as an ECS document; [] when it is one. */
function ecsProblems(line: Line): string[] {
  const problems: string[] = [];
  for (const [path, value] of leaves(line)) {
    if (path.startsWith('pra.')) continue;
    const field = ecs[path];
    if (!field) {
      problems.push(`${path} is not an ECS field`);
      continue;
    }
    const ok = STRING_TYPES.has(field.type) ? typeof value === 'string' : NUMBER_TYPES.has(field.type) ? typeof value === 'number' : field.type === 'boolean' ? typeof value === 'boolean' : true;
    if (!ok) problems.push(`${path} is ${typeof value}, ECS says ${field.type}`);
    if (field.type === 'date' && Number.isNaN(Date.parse(String(value)))) problems.push(`${path} is not a date: ${String(value)}`);
  }
  for (const required of Object.values(ecs).filter((f) => f.required)) {
    if (!(required.flat_name in line)) problems.push(`${required.flat_name} (required) is missing`);
  }
  return problems;
}

function logSome(logger: ReturnType<typeof createLogger>): void {
  logger.info({ topic: 'pra.ecs.access-session.v1', partition: 3, documents: 200 }, 'Bulk request sent.');
  const child = logger.child({ site: 'eu', lsid: 'abc' }).child({ attempt: 2 });
  child.warn({ url: `https://user:${SECRET}@es.example.com:9200/_bulk`, apiKey: SECRET }, `Retrying with key ${SECRET}.`);
  child.error({ err: new PipelineError('PIPE_REGISTRY', `The registry refused ${SECRET}`, { retryable: false, context: { subject: 's-value' } }) }, 'Registration failed.');
  logger.debug({ error: new TypeError('as error, not err') }, 'Another spelling.');
  logger.info('A message alone.');
}

test('LOG_FORMAT picks the shape: ecs, else json', () => {
  assert.equal(logFormatOf({ LOG_FORMAT: 'ecs' }), 'ecs');
  assert.equal(logFormatOf({ LOG_FORMAT: ' ECS ' }), 'ecs');
  assert.equal(logFormatOf({}), 'json');
  assert.equal(logFormatOf({ LOG_FORMAT: 'json' }), 'json');
});

test('every ECS line has only ECS fields (name and type, per @elastic/ecs) besides pra.*, and the required ones', () => {
  const { logger, lines } = capture('ecs');
  logSome(logger);
  const all = lines();
  assert.equal(all.length, 5);
  for (const line of all) assert.deepEqual(ecsProblems(line), [], JSON.stringify(line));
  const [bulk, retry, failed, other, alone] = all as [Line, Line, Line, Line, Line];
  assert.equal(bulk['log.level'], 'info');
  assert.equal(bulk['service.name'], 'sink');
  assert.equal(bulk['service.version'], '0.1.0');
  assert.equal(bulk['event.dataset'], 'pra_pipeline.sink');
  assert.match(String(bulk['ecs.version']), /^8\.\d+\.\d+$/);
  assert.equal(typeof bulk['process.pid'], 'number');
  assert.deepEqual([bulk['pra.topic'], bulk['pra.partition'], bulk['pra.documents']], ['pra.ecs.access-session.v1', 3, 200]);
  assert.deepEqual([retry['pra.site'], retry['pra.lsid'], retry['pra.attempt']], ['eu', 'abc', 2], 'child bindings, grandchildren too');
  assert.equal(failed['error.type'], 'PipelineError');
  assert.equal(failed['error.code'], 'PIPE_REGISTRY');
  assert.match(String(failed['error.stack_trace']), /^PipelineError: The registry refused \[REDACTED\]\n\s+at /);
  assert.equal(failed['pra.error.retryable'], false);
  assert.equal(other['error.type'], 'TypeError');
  assert.equal(alone.message, 'A message alone.');
});

test('the checks above fail on what is not ECS', () => {
  assert.deepEqual(ecsProblems({ '@timestamp': 'now', 'ecs.version': '8.10.0', service: 'sink', 'process.pid': '12', 'pra.x': { any: 1 } }), [
    '@timestamp is not a date: now',
    'service is not an ECS field',
    'process.pid is string, ECS says long',
  ]);
  assert.deepEqual(ecsProblems({ message: 'x' }), ['@timestamp (required) is missing', 'ecs.version (required) is missing']);
  const { logger, lines } = capture('json');
  logSome(logger);
  assert.ok(lines().every((line) => ecsProblems(line).length > 0), 'the default format is not ECS');
});

test('the secret is scrubbed in both formats: message, fields, URLs, errors and stacks', () => {
  for (const format of ['ecs', 'json'] as const) {
    const { logger, raw, lines } = capture(format);
    logSome(logger);
    assert.ok(!raw().includes(SECRET), `${format}: the secret leaked`);
    const retry = lines()[1] as Line;
    assert.equal(retry[format === 'ecs' ? 'pra.apiKey' : 'apiKey'], '[REDACTED]');
    assert.equal(retry.message, 'Retrying with key [REDACTED].');
  }
});
