/**
 * Smoke tests against the real Elasticsearch node with the 8.x client: a
 * composable index template with data_stream, `_bulk` create with explicit ids
 * into logs-<dataset>-<namespace>, a 409 for an id that exists, and search.
 *
 * The test distribution has no data-streams module, so data streams cannot be
 * deleted (no DELETE /_data_stream); each test uses its own dataset and the
 * harness discards the node's data at the end of the run.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import { Client } from '@elastic/elasticsearch';
import { stackEnv } from '../harness/env.js';

const env = stackEnv();
const es = new Client({ node: env.esNode, requestTimeout: 30_000 });

describe('Elasticsearch', () => {
  test('template with data_stream, bulk create with explicit ids, 409 on repeat, search', async () => {
    const dataset = `prasmoke${randomBytes(4).toString('hex')}`;
    const stream = `logs-${dataset}-default`;
    await es.indices.putIndexTemplate({
      name: `${dataset}-template`,
      index_patterns: [`logs-${dataset}-*`],
      data_stream: {},
      priority: 500,
      template: {
        settings: { number_of_shards: 1, number_of_replicas: 0 },
        mappings: {
          dynamic: 'strict',
          properties: { '@timestamp': { type: 'date' }, event: { properties: { id: { type: 'keyword' } } }, message: { type: 'text' } },
        },
      },
    });

    const docs = ['a', 'b', 'c'].map((id, i) => ({
      _id: `${dataset}-${id}`,
      doc: { '@timestamp': new Date(Date.UTC(2025, 0, 1, 0, 0, i)).toISOString(), event: { id }, message: `session event ${id}` },
    }));
    const bulk = (items: typeof docs) =>
      es.bulk({ refresh: 'wait_for', operations: items.flatMap(({ _id, doc }) => [{ create: { _index: stream, _id } }, doc]) });

    const first = await bulk(docs);
    assert.equal(first.errors, false, JSON.stringify(first.items));
    assert.deepEqual(first.items.map((i) => i.create?.status), [201, 201, 201]);
    assert.deepEqual(first.items.map((i) => i.create?._id), docs.map((d) => d._id));
    // The write went to a data stream's backing index, not to a plain index of that name.
    for (const item of first.items) assert.match(item.create?._index ?? '', new RegExp(`^\\.ds-${stream}-`));
    const resolved = await es.indices.resolveIndex({ name: stream });
    assert.deepEqual(resolved.data_streams.map((d) => d.name), [stream]);

    const again = await bulk(docs.slice(0, 2));
    assert.equal(again.errors, true);
    assert.deepEqual(again.items.map((i) => i.create?.status), [409, 409]);
    assert.deepEqual(again.items.map((i) => i.create?.error?.type), ['version_conflict_engine_exception', 'version_conflict_engine_exception']);

    const all = await es.search<{ event: { id: string } }>({ index: stream, query: { match_all: {} }, sort: ['@timestamp'] });
    assert.equal(typeof all.hits.total === 'object' ? all.hits.total.value : all.hits.total, 3);
    assert.deepEqual(all.hits.hits.map((h) => h._source?.event.id), ['a', 'b', 'c']);

    const one = await es.search<{ event: { id: string } }>({ index: stream, query: { match: { message: 'b' } } });
    assert.deepEqual(one.hits.hits.map((h) => h._id), [`${dataset}-b`]);
  });
});
