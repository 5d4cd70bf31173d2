/**
 * Smoke tests against the real Apicurio Registry through its Confluent API:
 * JSON Schema registration, wire-format encode and decode, and BACKWARD
 * compatibility refusing an incompatible change.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { COMPATIBILITY, createRegistry, decodeValue, encodeValue, registerJsonSchema, wireSchemaId, PipelineError } from '@pra-pipeline/shared';
import { stackEnv, uniqueName } from '../harness/env.js';

const env = stackEnv();
const registry = createRegistry({ schemaRegistryUrl: env.schemaRegistryUrl });

const v1 = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  type: 'object',
  properties: { id: { type: 'string' }, count: { type: 'integer' } },
  required: ['id', 'count'],
  additionalProperties: true,
};

async function ccompat(path: string): Promise<unknown> {
  const res = await fetch(`${env.schemaRegistryUrl}${path}`);
  assert.equal(res.status, 200, `GET ${path}`);
  return res.json();
}

describe('Apicurio Registry (Confluent API)', () => {
  test('registers a JSON Schema and round-trips a record in wire format', async () => {
    const subject = `${uniqueName('smoke')}-value`;
    const id = await registerJsonSchema(registry, subject, v1, COMPATIBILITY.BACKWARD);
    assert.ok(Number.isInteger(id) && id > 0, `schema id ${id}`);
    assert.deepEqual(await ccompat(`/subjects/${subject}/versions`), [1]);

    const record = { id: 'evt-1', count: 3, note: 'ünïcödé' };
    const wire = await encodeValue(registry, id, record);
    assert.equal(wire[0], 0, 'magic byte');
    assert.equal(wireSchemaId(wire), id);
    assert.deepEqual(JSON.parse(wire.subarray(5).toString('utf8')), record);
    assert.deepEqual(await decodeValue(registry, wire), record);

    // Encoding validates: a record the schema rejects never becomes bytes.
    await assert.rejects(encodeValue(registry, id, { count: 'three' }), (err: unknown) => {
      assert.ok(err instanceof PipelineError);
      assert.equal(err.code, 'PIPE_SCHEMA_REJECTED');
      return true;
    });
  });

  test('BACKWARD compatibility accepts a relaxed schema and rejects a type change', async () => {
    const subject = `${uniqueName('smoke')}-value`;
    const id1 = await registerJsonSchema(registry, subject, v1, COMPATIBILITY.BACKWARD);
    assert.deepEqual(await ccompat(`/config/${subject}`), { compatibilityLevel: 'BACKWARD' });

    // Readers of the new schema accept every record the old one did. (Adding a typed property
    // to this open schema would not be: old records may hold anything under that name.)
    const compatible = { ...v1, required: ['id'] };
    const id2 = await registerJsonSchema(registry, subject, compatible, COMPATIBILITY.BACKWARD);
    assert.notEqual(id2, id1);

    const incompatible = { ...v1, properties: { ...v1.properties, id: { type: 'integer' } } };
    await assert.rejects(registerJsonSchema(registry, subject, incompatible, COMPATIBILITY.BACKWARD), (err: unknown) => {
      assert.ok(err instanceof PipelineError);
      assert.equal(err.code, 'PIPE_REGISTRY');
      assert.equal(err.retryable, false, err.message);
      return true;
    });
    assert.deepEqual(await ccompat(`/subjects/${subject}/versions`), [1, 2]);
  });
});
