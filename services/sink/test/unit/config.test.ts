import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError } from '@pra-pipeline/shared';
import { loadSinkConfig } from '../../src/config.js';
import { esClientOptions } from '../../src/es-client.js';
import { indexTemplateBody, ilmPolicyBody } from '../../src/index-setup.js';

const base = { KAFKA_BROKERS: 'localhost:9092', SCHEMA_REGISTRY_URL: 'http://localhost:8080/apis/ccompat/v7', ES_NODE: 'http://localhost:9200' };

function problems(env: Record<string, string>): string[] {
  try {
    loadSinkConfig({ env });
    return [];
  } catch (err) {
    assert.ok(err instanceof ConfigError);
    return err.problems.map((p) => `${p.variable}: ${p.message}`);
  }
}

test('defaults load and variables are named after their keys', () => {
  const { config } = loadSinkConfig({ env: { ...base, BULK_MAX_DOCUMENTS: '50', BULK_LINGER: '1s', ES_NODE: 'http://a:9200,http://b:9200', INDEX_REPLICAS: '0' } });
  assert.equal(config.bulkMaxDocuments, 50);
  assert.equal(config.bulkLinger, 1000);
  assert.deepEqual(config.esNode, ['http://a:9200', 'http://b:9200']);
  assert.equal(config.indexReplicas, 0);
  assert.equal(config.sinkTopic, 'pra.ecs.access-session.v1');
  assert.equal(config.kafkaDlqTopic, 'pra.dlq.v1');
  assert.ok(config.indexTemplatePriority > 200);
});

test('cross-field problems name their variable', () => {
  const { ES_NODE: _n, ...noNode } = base;
  assert.deepEqual(problems(noNode), ['ES_NODE: set ES_NODE or ES_CLOUD_ID']);
  assert.deepEqual(problems({ ...base, ES_CLOUD_ID: 'x:y' }), ['ES_CLOUD_ID: set ES_NODE or ES_CLOUD_ID, not both']);
  assert.deepEqual(problems({ ...base, ES_USERNAME: 'u' }), ['ES_PASSWORD: is required with ES_USERNAME']);
  assert.deepEqual(problems({ ...base, ES_API_KEY: 'k', ES_BEARER_TOKEN: 't' }), ['ES_API_KEY: set one of ES_API_KEY, ES_USERNAME/ES_PASSWORD and ES_BEARER_TOKEN']);
  assert.deepEqual(problems({ ...base, BULK_MAX_BYTES: '2000000', SINK_MAX_BUFFER_BYTES: '1000000' }), ['SINK_MAX_BUFFER_BYTES: must be at least BULK_MAX_BYTES']);
  assert.deepEqual(problems({ ...base, INDEX_REFRESH_INTERVAL: 'soon' }), ['INDEX_REFRESH_INTERVAL: "soon" is not an Elasticsearch time value (5s, 1m, -1)']);
  assert.deepEqual(problems({ ...base, ES_NODE: 'localhost:9200' }), ['ES_NODE: "localhost:9200" is not an http(s) URL']);
});

test('client options: TLS verification on by default, one auth method, no client-side retries', () => {
  const { config } = loadSinkConfig({ env: { ...base, ES_API_KEY: 'c2VjcmV0' } });
  const o = esClientOptions(config);
  assert.equal((o.tls as { rejectUnauthorized: boolean }).rejectUnauthorized, true);
  assert.deepEqual(o.auth, { apiKey: 'c2VjcmV0' });
  assert.equal(o.maxRetries, 0);
  assert.equal(o.compression, true);
  const bearer = esClientOptions(loadSinkConfig({ env: { ...base, ES_BEARER_TOKEN: 'tok', ES_TLS_INSECURE: 'true' } }).config);
  assert.deepEqual(bearer.auth, { bearer: 'tok' });
  assert.equal((bearer.tls as { rejectUnauthorized: boolean }).rejectUnauthorized, false);
  const cloud = esClientOptions(loadSinkConfig({ env: { ...base, ES_NODE: '', ES_CLOUD_ID: 'name:abc', ES_USERNAME: 'u', ES_PASSWORD: 'p' } }).config);
  assert.deepEqual(cloud.cloud, { id: 'name:abc' });
  assert.deepEqual(cloud.auth, { username: 'u', password: 'p' });
});

test('the template is a data stream template above Fleet\'s priority, with no pipeline; ILM only when given', () => {
  const { config } = loadSinkConfig({ env: { ...base, INDEX_SHARDS: '2', INDEX_REFRESH_INTERVAL: '10s' } });
  const mappings = { dynamic: false, properties: { a: { type: 'keyword' } } };
  const body = indexTemplateBody(config, mappings, undefined) as { index_patterns: string[]; data_stream: object; priority: number; template: { settings: Record<string, unknown>; mappings: unknown } };
  assert.deepEqual(body.index_patterns, ['logs-beyondtrust_pra.access_session-*']);
  assert.deepEqual(body.data_stream, {});
  assert.equal(body.priority, 300);
  assert.equal(body.template.mappings, mappings);
  assert.equal(body.template.settings.number_of_shards, 2);
  assert.equal(body.template.settings.refresh_interval, '10s');
  assert.equal(body.template.settings.default_pipeline, '_none');
  assert.equal('lifecycle.name' in body.template.settings, false);
  const withIlm = indexTemplateBody(config, mappings, 'p1') as { template: { settings: Record<string, unknown> } };
  assert.equal(withIlm.template.settings['lifecycle.name'], 'p1');
  const policy = ilmPolicyBody({ ...config, ilmDeleteAfter: 90 * 86_400_000 }) as { policy: { phases: Record<string, { min_age: string; actions: Record<string, { max_age?: string }> }> } };
  assert.equal(policy.policy.phases.hot?.actions.rollover?.max_age, '30d');
  assert.equal(policy.policy.phases.delete?.min_age, '90d');
});
