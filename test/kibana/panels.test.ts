/**
 * The Kibana content against the real Elasticsearch, since Kibana cannot run
 * here: the simulator's AccessSession report goes through the enricher's
 * mapping (GeoIP included), the enriched topic and the real sink, which
 * installs our templates. Then every field a panel or saved search uses must
 * be in the data stream's mapping (field caps), aggregatable where aggregated;
 * every panel's query and aggregation, as the Elasticsearch search it stands
 * for, must return data; every saved search must return hits.
 */
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import type { estypes } from '@elastic/elasticsearch';
import { GeoIpDatabases, xmlToRecords, recordsToDocuments } from '@pra-pipeline/enricher';
import { createTopics, dataStream, integrationContext, produce, sinkEnv, startSink, suffix, waitFor, wireFormat } from '../../services/sink/test/integration/helpers.js';
import { testdataDir } from '../harness/env.js';
import { settlingSimulator } from '../e2e/support.js';
import { fieldsUsed, metricName, PANELS, panelSearch, SAVED_SEARCHES, savedSearchDsl, type LensPanel, type MapPanel } from '../../src/kibana/content.js';

const { kafka, es, cleanups } = integrationContext();
const namespace = `kibana${suffix()}`;
const index = dataStream(namespace);
let expected = 0;

async function simulatorReport(): Promise<string> {
  const { simulator } = await settlingSimulator({ seed: 15, profile: { sessionsPerMinute: 1.5, eventsPerSession: 24 } });
  cleanups.push(() => simulator.stop());
  const site = simulator.sites[0]!;
  const token = await fetch(site.tokenUrl, {
    method: 'POST',
    headers: { authorization: `Basic ${Buffer.from(`${site.clientId}:${site.clientSecret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: 'grant_type=client_credentials',
  }).then((r) => r.json() as Promise<{ access_token: string }>);
  const since = Math.floor(Date.now() / 1000) - 2 * 3600;
  const res = await fetch(`${site.reportingUrl}?generate_report=AccessSession&start_time=${since}&duration=0`, { headers: { authorization: `Bearer ${token.access_token}` } });
  assert.equal(res.status, 200);
  return res.text();
}

before(async () => {
  const geo = await GeoIpDatabases.open({ dir: `${testdataDir()}/geoip`, pollIntervalMs: 0 });
  const records = xmlToRecords(await simulatorReport());
  const docs = recordsToDocuments(records, { site: 'east', host: 'east.example', namespace, fetchedAt: new Date() }, geo);
  geo.close();
  expected = docs.length;
  assert.ok(expected > 100, `the report gave only ${expected} documents`);

  const n = { topic: `kibana-${suffix()}`, group: `kibana-${suffix()}`, dlq: `kibana-dlq-${suffix()}` };
  await createTopics(kafka, [n.topic, n.dlq]);
  const wire = await wireFormat(n.topic);
  const messages = docs.map((d) => ({ key: 'east', value: wire(d) }));
  for (let i = 0; i < messages.length; i += 200) await produce(kafka, n.topic, messages.slice(i, i + 200));
  const sink = await startSink(sinkEnv(n));
  cleanups.push(sink.stop);
  await waitFor(`${expected} documents`, async () => {
    await es.indices.refresh({ index }).catch(() => undefined);
    const { count } = await es.count({ index }).catch(() => ({ count: 0 }));
    return count === expected ? true : undefined;
  });
});


test('every field a panel or saved search uses is in the data stream\'s mapping, aggregatable where it is aggregated', async () => {
  const used = fieldsUsed();
  const caps = await es.fieldCaps({ index, fields: [...new Set(used.map((u) => u.field))] });
  for (const u of used) {
    const types = caps.fields[u.field];
    assert.ok(types, `${u.where}: ${u.field} is not in the mapping of ${index}`);
    const capsOfField = Object.values(types);
    assert.ok(capsOfField.every((c) => c.searchable), `${u.where}: ${u.field} is not searchable`);
    if (u.aggregated) assert.ok(capsOfField.every((c) => c.aggregatable), `${u.where}: ${u.field} (${Object.keys(types).join(', ')}) is not aggregatable`);
  }
});

/** The number of innermost buckets with documents (and the metrics seen there). */
function innerBuckets(aggs: Record<string, unknown> | undefined, depth: number, out: Record<string, unknown>[] = []): Record<string, unknown>[] {
  const agg = aggs?.[`b${depth}`] as { buckets?: Record<string, unknown>[] } | undefined;
  if (!agg) {
    if (aggs) out.push(aggs);
    return out;
  }
  for (const b of agg.buckets ?? []) if ((b.doc_count as number) > 0) innerBuckets(b, depth + 1, out);
  return out;
}

for (const panel of PANELS.filter((p): p is LensPanel | MapPanel => p.kind !== 'search')) {
  test(`panel "${panel.title}": its query and aggregation return data`, async () => {
    const body = panelSearch(panel) as estypes.SearchRequest;
    const res = await es.search({ index, ...body });
    const total = typeof res.hits.total === 'number' ? res.hits.total : (res.hits.total?.value ?? 0);
    assert.ok(total > 0, `no documents match ${JSON.stringify(body.query)}`);
    assert.ok(total <= expected);
    if (panel.kind === 'map') {
      const grid = (res.aggregations?.grid as { buckets: { doc_count: number; centroid: { location?: { lat: number } } }[] }).buckets;
      assert.ok(grid.length > 0 && grid.every((b) => b.doc_count > 0 && typeof b.centroid.location?.lat === 'number'), JSON.stringify(grid).slice(0, 500));
      return;
    }
    const leaves = innerBuckets(res.aggregations as Record<string, unknown>, 0);
    assert.ok(leaves.length > 0, `no buckets: ${JSON.stringify(res.aggregations).slice(0, 500)}`);
    panel.metrics.forEach((m, i) => {
      if (m.op === 'count') return;
      const values = leaves.map((l) => (l[metricName(m, i)] as { value: number | null }).value ?? 0);
      assert.ok(values.some((v) => v > 0), `${m.op} of ${m.field} is 0 in every bucket`);
    });
  });
}

for (const search of SAVED_SEARCHES) {
  test(`saved search "${search.title}": returns hits that carry its columns`, async () => {
    const res = await es.search({ index, ...(savedSearchDsl(search) as estypes.SearchRequest) });
    assert.ok(res.hits.hits.length > 0, `no hits for ${JSON.stringify(search.query)}`);
    const get = (source: unknown, path: string) => path.split('.').reduce<unknown>((o, k) => (o as Record<string, unknown> | undefined)?.[k], source);
    for (const column of search.columns) {
      assert.ok(res.hits.hits.some((h) => get(h._source, column) !== undefined), `no hit has ${column}`);
    }
  });
}

test('indexed documents carry event.ingested, at or after the time they were produced', async () => {
  const res = await es.search({ index, size: 0, aggs: { min: { min: { field: 'event.ingested' } }, count: { value_count: { field: 'event.ingested' } } } });
  const aggs = res.aggregations as { min: { value: number }; count: { value: number } };
  assert.equal(aggs.count.value, expected);
  assert.ok(aggs.min.value > Date.now() - 30 * 60_000 && aggs.min.value <= Date.now());
});
