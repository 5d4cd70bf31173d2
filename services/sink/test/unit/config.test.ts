import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError } from '@pra-pipeline/shared';
import { loadSinkConfig } from '../../src/config.js';
import { esClientOptions } from '../../src/es-client.js';
import { CUSTOM_COMPONENT, FLEET_PRIORITY, ilmPolicyBody, indexTemplateBody, packageComponentBody, packageComponentName } from '../../src/index-setup.js';

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
  assert.equal(config.indexTemplatePriority, 150);
  assert.equal(loadSinkConfig({ env: base }).config.indexReplicas, undefined);
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

test('the template composes the stack\'s templates present, our @package and the @custom hooks, below Fleet\'s priority', () => {
  const { config } = loadSinkConfig({ env: { ...base, INDEX_SHARDS: '2', INDEX_REFRESH_INTERVAL: '10s' } });
  const bare = indexTemplateBody(config, { stackComponents: [] }) as { index_patterns: string[]; data_stream: object; priority: number; composed_of: string[]; ignore_missing_component_templates: string[] };
  assert.deepEqual(bare.index_patterns, ['logs-beyondtrust_pra.access_session-*']);
  assert.deepEqual(bare.data_stream, {});
  assert.ok(bare.priority > 100 && bare.priority < FLEET_PRIORITY);
  assert.deepEqual(bare.composed_of, [packageComponentName(config), 'logs@custom', 'beyondtrust_pra@custom', CUSTOM_COMPONENT]);
  assert.deepEqual(bare.ignore_missing_component_templates, ['logs@custom', 'beyondtrust_pra@custom', CUSTOM_COMPONENT]);
  const stack = indexTemplateBody(config, { stackComponents: ['ecs@mappings', 'logs@settings', 'logs@mappings'] }) as { composed_of: string[] };
  assert.deepEqual(stack.composed_of, ['logs@mappings', 'logs@settings', packageComponentName(config), 'logs@custom', 'beyondtrust_pra@custom', CUSTOM_COMPONENT, 'ecs@mappings']);
});

test('@package: settings, replicas, final pipeline; ILM where the cluster has it, else the data stream lifecycle', () => {
  const { config } = loadSinkConfig({ env: { ...base, INDEX_SHARDS: '2', INDEX_REFRESH_INTERVAL: '10s' } });
  const mappings = { dynamic: false, properties: { a: { type: 'keyword' } } };
  type Pkg = { template: { settings: { index: Record<string, unknown> }; mappings: unknown; lifecycle?: Record<string, unknown> } };
  const features = { ilm: false, stackComponents: [], constantKeyword: false };
  const bare = packageComponentBody({ ...config, ilmDeleteAfter: 90 * 86_400_000 }, features, mappings, undefined) as Pkg;
  assert.equal(bare.template.mappings, mappings);
  assert.equal(bare.template.settings.index.number_of_shards, 2);
  assert.equal(bare.template.settings.index.auto_expand_replicas, '0-1');
  assert.equal('number_of_replicas' in bare.template.settings.index, false);
  assert.equal(bare.template.settings.index.refresh_interval, '10s');
  assert.equal(bare.template.settings.index.default_pipeline, '_none');
  assert.equal(bare.template.settings.index.final_pipeline, '_none');
  assert.equal('lifecycle' in bare.template.settings.index, false);
  assert.deepEqual(bare.template.lifecycle, { enabled: true, data_retention: '90d' });
  const ilm = packageComponentBody({ ...config, indexReplicas: 2 }, { ...features, ilm: true }, mappings, 'p-final') as Pkg;
  assert.deepEqual(ilm.template.settings.index.lifecycle, { name: config.ilmPolicy });
  assert.equal(ilm.template.lifecycle, undefined);
  assert.equal(ilm.template.settings.index.number_of_replicas, 2);
  assert.equal(ilm.template.settings.index.auto_expand_replicas, false);
  assert.equal(ilm.template.settings.index.final_pipeline, 'p-final');
  const policy = ilmPolicyBody({ ...config, ilmDeleteAfter: 90 * 86_400_000 }) as { policy: { phases: Record<string, { min_age: string; actions: Record<string, { max_age?: string }> }> } };
  assert.equal(policy.policy.phases.hot?.actions.rollover?.max_age, '30d');
  assert.equal(policy.policy.phases.delete?.min_age, '90d');
});

test('SINK_SITE_NAMESPACES is site=namespace pairs with valid namespaces; PIPELINE_SIGNING_KEY is at least 32 bytes and secret', () => {
  const { config, secrets } = loadSinkConfig({ env: { ...base, SINK_SITE_NAMESPACES: 'site-a=tenant_a,site-b=tenantb', PIPELINE_SIGNING_KEY: 'k'.repeat(32) } });
  assert.equal(config.sinkSiteNamespaces, 'site-a=tenant_a,site-b=tenantb');
  assert.ok(secrets.includes('k'.repeat(32)));
  assert.equal(config.sinkUnknownSchemaAttempts, 5);
  assert.equal(config.kafkaDlqMaxMessageBytes, 17 * 1024 * 1024);
  assert.deepEqual(problems({ ...base, SINK_SITE_NAMESPACES: 'site-a=..' }), ['SINK_SITE_NAMESPACES: site site-a: the namespace ".." is not a name']);
  assert.deepEqual(problems({ ...base, SINK_SITE_NAMESPACES: 'site-a' }), ['SINK_SITE_NAMESPACES: "site-a" is not site=namespace']);
  assert.deepEqual(problems({ ...base, PIPELINE_SIGNING_KEY: 'short' }), ['PIPELINE_SIGNING_KEY: must be at least 32 bytes (e.g. openssl rand -base64 48)']);
});
