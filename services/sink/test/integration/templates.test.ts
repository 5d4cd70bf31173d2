/**
 * The index setup on both kinds of cluster, on a node of its own (started
 * through the harness, PRA_ES_VERSION decides 8 or 9) so that no other test's
 * data streams see these templates:
 *
 * - bare: the integ-test distribution as it is (no stack templates, no ILM, no
 *   ingest processors, no constant_keyword mapper);
 * - with stack templates: the same node after `logs@mappings`, `logs@settings`
 *   and `ecs@mappings` are installed with the names and the kind of content the
 *   stack plugin gives them (that plugin is not in the integ-test distribution);
 * - beside a Fleet-installed integration template (priority 200, naming the
 *   integration's default pipeline, which does not exist here).
 */
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { Client } from '@elastic/elasticsearch';
import { ElasticsearchServer } from '../../../../test/harness/elasticsearch.js';
import { bulkSender } from '../../src/es-client.js';
import { CUSTOM_COMPONENT, ensureIndexSetup, finalPipelineName, packageComponentName, type IndexSetupOptions } from '../../src/index-setup.js';
import { quietLogger } from './helpers.js';

const runDir = mkdtempSync(join(tmpdir(), 'pra-templates-'));
chmodSync(runDir, 0o755);
let node: ElasticsearchServer;
let es: Client;

const options: IndexSetupOptions = {
  indexTemplateName: 'pra-pipeline-logs-beyondtrust_pra.access_session',
  indexTemplatePriority: 150,
  indexShards: 1,
  indexReplicas: undefined,
  indexRefreshInterval: '1s',
  ilmPolicy: 'pra-pipeline-access-session',
  ilmRolloverMaxAge: 30 * 86_400_000,
  ilmDeleteAfter: 90 * 86_400_000,
};

type Json = Record<string, unknown>;
const get = async (path: string): Promise<Json> => (await es.transport.request({ method: 'GET', path })) as Json;
const put = (path: string, body: Json) => es.transport.request({ method: 'PUT', path, body });

/** The settings and mappings a new data stream of `namespace` would get. */
async function simulated(namespace: string): Promise<{ settings: { index: Json }; mappings: Json }> {
  const res = (await es.transport.request({ method: 'POST', path: `/_index_template/_simulate_index/logs-beyondtrust_pra.access_session-${namespace}` })) as { template: { settings: { index: Json }; mappings: Json } };
  return res.template;
}

async function indexOne(namespace: string, id: string): Promise<Json> {
  const send = bulkSender(es, 30_000);
  const action = JSON.stringify({ create: { _index: `logs-beyondtrust_pra.access_session-${namespace}`, _id: id } });
  const doc = JSON.stringify({ '@timestamp': new Date().toISOString(), event: { id, action: 'session-start' }, data_stream: { type: 'logs', dataset: 'beyondtrust_pra.access_session', namespace } });
  const res = await send(Buffer.from(`${action}\n${doc}\n`), new AbortController().signal);
  assert.equal(res.errors, false, JSON.stringify(res));
  await es.indices.refresh({ index: `logs-beyondtrust_pra.access_session-${namespace}` });
  const hit = await es.search({ index: `logs-beyondtrust_pra.access_session-${namespace}`, query: { ids: { values: [id] } } });
  return hit.hits.hits[0]!._source as Json;
}

before(async () => {
  node = await ElasticsearchServer.create(join(runDir, 'es'), new Set(), () => undefined);
  await node.start();
  es = new Client({ node: node.url });
});

after(async () => {
  await es?.close();
  await node?.stop();
  rmSync(runDir, { recursive: true, force: true });
});

test('bare cluster: @package, @custom and the template without stack templates; data stream lifecycle; green on one node; the sink stamps event.ingested', async () => {
  const result = await ensureIndexSetup(es, options, quietLogger());
  assert.equal(result.ilmPolicy, undefined);
  assert.equal(result.ingested, 'sink', 'the integ-test distribution has no set processor');
  const template = ((await get(`/_index_template/${options.indexTemplateName}`)).index_templates as { index_template: Json }[])[0]!.index_template;
  assert.equal(template.priority, 150);
  assert.deepEqual(template.composed_of, [packageComponentName(options), 'logs@custom', 'beyondtrust_pra@custom', CUSTOM_COMPONENT]);
  assert.deepEqual(template.ignore_missing_component_templates, ['logs@custom', 'beyondtrust_pra@custom', CUSTOM_COMPONENT]);
  const custom = ((await get(`/_component_template/${CUSTOM_COMPONENT}`)).component_templates as { component_template: { template: Json } }[])[0]!;
  assert.deepEqual(custom.component_template.template, {});

  const sim = await simulated('bare');
  assert.equal(sim.settings.index.auto_expand_replicas, '0-1');
  assert.equal(sim.settings.index.final_pipeline, '_none');
  assert.equal(sim.settings.index.default_pipeline, '_none');
  const ds = (sim.mappings.properties as { data_stream: { properties: Record<string, { type: string }> } }).data_stream.properties;
  assert.equal(ds.namespace?.type, 'keyword', 'no constant_keyword mapper on this node: keyword');
  const pkg = ((await get(`/_component_template/${packageComponentName(options)}`)).component_templates as { component_template: { template: { lifecycle?: Json } } }[])[0]!;
  assert.equal(pkg.component_template.template.lifecycle?.data_retention, '90d');

  const source = await indexOne('bare', 'b-1');
  assert.equal(typeof source['event.ingested'], 'string');
  assert.ok(Math.abs(Date.parse(source['event.ingested'] as string) - Date.now()) < 60_000);
  const health = await es.cluster.health({ index: 'logs-beyondtrust_pra.access_session-bare', wait_for_status: 'green', timeout: '30s' });
  assert.equal(health.status, 'green');
  // Searchable as a date under event.ingested.
  const range = await es.count({ index: 'logs-beyondtrust_pra.access_session-bare', query: { range: { 'event.ingested': { gte: 'now-5m' } } } });
  assert.equal(range.count, 1);
});

test('@custom is the user\'s: kept across setups, and what it sets wins over @package', async () => {
  await put(`/_component_template/${CUSTOM_COMPONENT}`, { template: { settings: { index: { refresh_interval: '7s' } } }, _meta: { edited_by: 'test' } });
  await ensureIndexSetup(es, options, quietLogger());
  const custom = ((await get(`/_component_template/${CUSTOM_COMPONENT}`)).component_templates as { component_template: { _meta: Json } }[])[0]!;
  assert.deepEqual(custom.component_template._meta, { edited_by: 'test' });
  assert.equal((await simulated('custom')).settings.index.refresh_interval, '7s');
  await put(`/_component_template/${CUSTOM_COMPONENT}`, { template: {} });
});

test('with the stack\'s templates: composed in Fleet\'s order, ours override their pipeline and ignore_malformed, the rest is inherited', async () => {
  await put('/_component_template/logs@mappings', {
    template: { mappings: { date_detection: false, properties: { '@timestamp': { type: 'date' }, data_stream: { properties: { type: { type: 'keyword' }, dataset: { type: 'keyword' }, namespace: { type: 'keyword' } } } } } },
    _meta: { managed: true, description: 'stand-in for the stack plugin\'s' },
  });
  await put('/_component_template/logs@settings', {
    // The real one also names the ILM policy `logs`; this node has no ILM, whose settings it would refuse.
    template: { settings: { index: { codec: 'best_compression', mapping: { ignore_malformed: true }, default_pipeline: 'logs@default-pipeline' } } },
    _meta: { managed: true },
  });
  await put('/_component_template/ecs@mappings', {
    template: { mappings: { dynamic_templates: [{ ecs_timestamp: { match: '@timestamp', mapping: { type: 'date', ignore_malformed: false } } }] } },
    _meta: { managed: true },
  });
  const result = await ensureIndexSetup(es, options, quietLogger());
  assert.deepEqual(result.components, ['logs@mappings', 'logs@settings', packageComponentName(options), 'logs@custom', 'beyondtrust_pra@custom', CUSTOM_COMPONENT, 'ecs@mappings']);
  const sim = await simulated('stack');
  assert.equal(sim.settings.index.default_pipeline, '_none');
  assert.equal((sim.settings.index.mapping as { ignore_malformed: string }).ignore_malformed, 'false');
  assert.equal(sim.settings.index.codec, 'best_compression', 'inherited from logs@settings');
  assert.ok(Array.isArray(sim.mappings.dynamic_templates), 'ecs@mappings is composed');
  const source = await indexOne('stack', 's-1');
  assert.equal(typeof source['event.ingested'], 'string');
});

test('beside Fleet\'s integration template (priority 200): both install, Fleet\'s wins for new data streams, our bulk requests skip its default pipeline', async () => {
  await put('/_index_template/logs-beyondtrust_pra.access_session', {
    index_patterns: ['logs-beyondtrust_pra.access_session-*'],
    data_stream: {},
    priority: 200,
    template: { settings: { index: { default_pipeline: 'logs-beyondtrust_pra.access_session-1.0.0' } }, mappings: { properties: { '@timestamp': { type: 'date' } } } },
    _meta: { managed_by: 'fleet', managed: true },
  });
  await ensureIndexSetup(es, options, quietLogger());
  const sim = await simulated('fleet');
  assert.equal(sim.settings.index.default_pipeline, 'logs-beyondtrust_pra.access_session-1.0.0', 'Fleet\'s template applies');
  // That pipeline does not exist here: a plain bulk request fails; ours passes pipeline=_none.
  const plain = await es.bulk({ operations: [{ create: { _index: 'logs-beyondtrust_pra.access_session-fleet', _id: 'plain' } }, { '@timestamp': new Date().toISOString() }] });
  assert.equal(plain.errors, true);
  assert.match(JSON.stringify(plain.items[0]), /pipeline/);
  const source = await indexOne('fleet', 'f-1');
  assert.equal((source.event as Json).id, 'f-1');
  assert.equal(finalPipelineName(options), `${options.indexTemplateName}@final`);
});
