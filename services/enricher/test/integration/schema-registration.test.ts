/**
 * The schema policy on the real Apicurio Registry: today's document schema,
 * then a next version with one more optional field, under SCHEMA_COMPATIBILITY
 * (FORWARD_TRANSITIVE by default): the addition is accepted and a breaking
 * change refused. BACKWARD and FULL_TRANSITIVE refuse the addition, which is
 * why they are not the default. With SCHEMA_AUTO_REGISTER=false the enricher
 * only looks its schema up, refuses an absent or different one, and leaves the
 * subject's configuration alone.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { createLogger, createRegistry, documentJsonSchema, PipelineError, type Logger } from '@pra-pipeline/shared';
import { loadEnricherConfig } from '../../src/config.js';
import { registerDocumentSchema, subjectCompatibility, type SchemaRegistrationSettings } from '../../src/schema-registration.js';

const url = process.env.SCHEMA_REGISTRY_URL;
const lines: string[] = [];
const logger: Logger = createLogger({ service: 'test', level: 'info', destination: new Writable({ write: (c, _e, d) => (lines.push(String(c)), d()) }) });
const subjectName = (what: string) => `schema-policy-${what}-${randomUUID().slice(0, 8)}-value`;

function settings(env: Record<string, string> = {}): SchemaRegistrationSettings {
  assert.ok(url, 'SCHEMA_REGISTRY_URL must name the test registry (run through npm test)');
  return loadEnricherConfig({ env: { KAFKA_BROKERS: '127.0.0.1:9', SCHEMA_REGISTRY_URL: url, ...env } }).config;
}

type Schema = ReturnType<typeof documentJsonSchema> & { properties: Record<string, { type?: string; properties?: Record<string, unknown> }> };
const today = () => documentJsonSchema() as Schema;

/** Today's schema and one more optional field, as the next release would add it. */
function withOptionalField(): Schema {
  const next = today();
  const pra = next.properties.beyondtrust_pra?.properties?.access_session as { properties: Record<string, unknown> };
  pra.properties.recording_url = { type: 'string' };
  return next;
}

/** A change old readers cannot take: an existing field's type changed. */
function withRetypedField(): Schema {
  const next = today();
  next.properties.message = { type: 'integer' };
  return next;
}

async function registerWith(level: string, subject: string, ...schemas: object[]): Promise<number[]> {
  const registry = createRegistry(settings());
  const ids: number[] = [];
  for (const schema of schemas) ids.push(await registerDocumentSchema(registry, settings({ SCHEMA_COMPATIBILITY: level }), subject, schema, logger));
  return ids;
}

const incompatible = (err: unknown) => err instanceof PipelineError && err.code === 'PIPE_REGISTRY' && !err.retryable && /incompatible|409/i.test(err.message);

test('SCHEMA_COMPATIBILITY defaults to FORWARD_TRANSITIVE and takes only the registry\'s levels', () => {
  assert.equal(settings().schemaCompatibility, 'FORWARD_TRANSITIVE');
  assert.equal(settings().schemaAutoRegister, true);
  assert.equal(settings({ SCHEMA_COMPATIBILITY: 'FULL' }).schemaCompatibility, 'FULL');
  assert.throws(() => settings({ SCHEMA_COMPATIBILITY: 'SIDEWAYS' }), /SCHEMA_COMPATIBILITY/);
  assert.equal(settings({ SCHEMA_AUTO_REGISTER: 'false' }).schemaAutoRegister, false);
});

test('FORWARD_TRANSITIVE: today\'s schema, then one more optional field, are accepted; a retyped field is refused', async () => {
  const subject = subjectName('forward');
  const [v1, v2] = await registerWith('FORWARD_TRANSITIVE', subject, today(), withOptionalField());
  assert.ok(v1 !== undefined && v2 !== undefined && v1 !== v2, `two versions, two ids (${v1}, ${v2})`);
  assert.equal(await subjectCompatibility(settings(), subject), 'FORWARD_TRANSITIVE', 'the level is set on the subject');
  await assert.rejects(registerWith('FORWARD_TRANSITIVE', subject, withRetypedField()), incompatible);
  // Registering today's schema again (a restart) finds its id and changes nothing.
  const [again] = await registerWith('FORWARD_TRANSITIVE', subject, today());
  assert.equal(again, v1);
});

test('BACKWARD (the level used before) and FULL_TRANSITIVE refuse the added optional field on the open document schema', async () => {
  for (const level of ['BACKWARD', 'FULL_TRANSITIVE']) {
    const subject = subjectName(level.toLowerCase().replace('_', '-'));
    await registerWith(level, subject, today());
    await assert.rejects(registerWith(level, subject, withOptionalField()), incompatible, `${level} accepted the addition`);
  }
});

test('a subject left at BACKWARD by an earlier release is moved to SCHEMA_COMPATIBILITY, and the next version is then accepted', async () => {
  const subject = subjectName('upgrade');
  await registerWith('BACKWARD', subject, today());
  assert.equal(await subjectCompatibility(settings(), subject), 'BACKWARD');
  lines.length = 0;
  const [next] = await registerWith('FORWARD_TRANSITIVE', subject, withOptionalField());
  assert.ok(next);
  assert.equal(await subjectCompatibility(settings(), subject), 'FORWARD_TRANSITIVE');
  const changed = lines.map((l) => JSON.parse(l) as { message: string; from?: string; to?: string }).find((l) => /compatibility level set/i.test(l.message));
  assert.deepEqual([changed?.from, changed?.to], ['BACKWARD', 'FORWARD_TRANSITIVE']);
});

test('SCHEMA_AUTO_REGISTER=false: the registered schema is found; an absent or different one stops the start; the subject is not touched', async () => {
  const governed = settings({ SCHEMA_AUTO_REGISTER: 'false', SCHEMA_COMPATIBILITY: 'NONE' });
  const registry = createRegistry(governed);
  const subject = subjectName('governed');

  await assert.rejects(registerDocumentSchema(registry, governed, subject, today(), logger), (err: unknown) => {
    assert.ok(err instanceof PipelineError && !err.retryable, String(err));
    assert.match(err.message, /SCHEMA_AUTO_REGISTER is false and subject \S+ does not exist/);
    return true;
  });
  assert.equal(await subjectCompatibility(governed, subject), undefined, 'nothing was created');

  // Someone else registers the schema, from the checked-in file's content, at their own level.
  const [id] = await registerWith('FULL', subject, today());
  assert.equal(await registerDocumentSchema(registry, governed, subject, today(), logger), id);
  await assert.rejects(registerDocumentSchema(registry, governed, subject, withOptionalField(), logger), (err: unknown) => {
    assert.ok(err instanceof PipelineError && !err.retryable, String(err));
    assert.match(err.message, /has no version equal to the enricher's document schema \(its latest is version 1, id \d+\)/);
    return true;
  });
  assert.equal(await subjectCompatibility(governed, subject), 'FULL', 'the subject keeps its own level (not NONE from SCHEMA_COMPATIBILITY)');
  // The id found by the lookup encodes documents like a registered one.
  const encoded = await registry.encode(id as number, { '@timestamp': '2024-04-04T13:00:00.000Z', ecs: { version: '8.17.0' }, event: { kind: 'event' } });
  assert.equal(encoded.readInt32BE(1), id);
});
