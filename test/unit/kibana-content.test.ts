/**
 * The shipped Kibana NDJSON as Kibana's import would read it: one saved object
 * per line, unique ids, every reference naming an object in the file, every
 * field it names defined by the enricher and mapped by our template with a
 * type that aggregates where a panel aggregates it. Also: the file and the
 * layout picture are what the generator writes now.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { FIELDS_BY_NAME, indexMappings } from '@pra-pipeline/shared';
import { kql, queryDsl, savedObjectsNdjson } from '../../src/kibana/content.js';
import { dashboardLayoutSvg } from '../../src/kibana/layout-svg.js';

const NDJSON = new URL('../../deploy/kibana/pra-pipeline.ndjson', import.meta.url);
const SVG = new URL('../../docs/kibana-dashboard.svg', import.meta.url);

interface Ref {
  name: string;
  type: string;
  id: string;
}
interface Obj {
  type: string;
  id: string;
  attributes: Record<string, unknown>;
  references: Ref[];
}

const text = readFileSync(NDJSON, 'utf8');
const objects = text.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Obj);
const byKey = new Map(objects.map((o) => [`${o.type}:${o.id}`, o]));
const dashboard = objects.find((o) => o.type === 'dashboard')!;
const panels = JSON.parse(dashboard.attributes.panelsJSON as string) as {
  type: string;
  panelIndex: string;
  panelRefName?: string;
  gridData: { x: number; y: number; w: number; h: number; i: string };
  embeddableConfig: { attributes?: { references: Ref[]; state: { query: { query: string }; datasourceStates: { formBased: { layers: Record<string, { columns: Record<string, { sourceField?: string; operationType: string }> }> } } } } };
}[];

/** The field type our template maps a field to (null: not mapped). */
function mappedType(field: string): string | null {
  let node: Record<string, unknown> | undefined = indexMappings() as unknown as Record<string, unknown>;
  for (const part of field.split('.')) node = (node?.properties as Record<string, Record<string, unknown>> | undefined)?.[part];
  if (!node || (node.index === false && node.doc_values === false)) return null;
  return node.type as string;
}

/** Field names in a KQL text (`field : value`). */
const kqlFields = (q: string) => [...q.matchAll(/([A-Za-z@_][\w.@]*)\s*:/g)].map((m) => m[1]!);

const AGGREGATABLE = new Set(['keyword', 'constant_keyword', 'long', 'date', 'ip', 'boolean', 'geo_point']);

describe('Kibana saved objects', () => {
  it('are one saved object per line with unique ids, the kinds the issue lists', () => {
    for (const o of objects) {
      assert.equal(typeof o.type, 'string');
      assert.equal(typeof o.id, 'string');
      assert.equal(typeof o.attributes.title, 'string', `${o.type}:${o.id} has no title`);
      assert.ok(Array.isArray(o.references));
    }
    assert.equal(new Set(objects.map((o) => o.id)).size, objects.length, 'ids are not unique');
    assert.deepEqual(objects.map((o) => o.type).sort(), ['dashboard', 'index-pattern', 'map', 'search', 'search']);
    assert.equal(objects[0]!.type, 'index-pattern', 'the data view comes first');
    assert.equal(objects[0]!.attributes.title, 'logs-beyondtrust_pra.access_session-*');
    assert.equal(objects[0]!.attributes.timeFieldName, '@timestamp');
  });

  it('reference only objects in the file, and every name that points at a reference has one', () => {
    for (const o of objects) {
      for (const r of o.references) assert.ok(byKey.has(`${r.type}:${r.id}`), `${o.type}:${o.id} refers to missing ${r.type}:${r.id}`);
      const source = (o.attributes.kibanaSavedObjectMeta as { searchSourceJSON?: string } | undefined)?.searchSourceJSON;
      const refName = source ? (JSON.parse(source) as { indexRefName?: string }).indexRefName : undefined;
      if (refName) assert.ok(o.references.some((r) => r.name === refName), `${o.id}: no reference ${refName}`);
      if (o.type === 'map') {
        const layers = JSON.parse(o.attributes.layerListJSON as string) as { sourceDescriptor: { indexPatternRefName?: string } }[];
        for (const l of layers) {
          const name = l.sourceDescriptor.indexPatternRefName;
          if (name) assert.ok(o.references.some((r) => r.name === name && r.type === 'index-pattern'), `map: no reference ${name}`);
        }
      }
    }
    const names = new Set(dashboard.references.map((r) => r.name));
    assert.equal(names.size, dashboard.references.length, 'dashboard reference names repeat');
    assert.equal(new Set(panels.map((p) => p.panelIndex)).size, panels.length, 'panel indexes repeat');
    for (const p of panels) {
      assert.equal(p.gridData.i, p.panelIndex);
      assert.ok(p.gridData.x >= 0 && p.gridData.x + p.gridData.w <= 48, `${p.panelIndex} is outside the 48-column grid`);
      if (p.panelRefName) {
        const ref = dashboard.references.find((r) => r.name === `${p.panelIndex}:${p.panelRefName}`);
        assert.ok(ref, `${p.panelIndex}: no reference for ${p.panelRefName}`);
        assert.equal(ref.type, p.type);
      } else {
        const lens = p.embeddableConfig.attributes!;
        for (const layerId of Object.keys(lens.state.datasourceStates.formBased.layers)) {
          const name = `indexpattern-datasource-layer-${layerId}`;
          assert.ok(lens.references.some((r) => r.name === name), `${p.panelIndex}: lens has no ${name}`);
          assert.ok(names.has(`${p.panelIndex}:${name}`), `${p.panelIndex}: dashboard has no ${name}`);
        }
      }
    }
  });

  it('panels do not overlap on the grid', () => {
    for (const a of panels) {
      for (const b of panels) {
        if (a === b) continue;
        const apart = a.gridData.x + a.gridData.w <= b.gridData.x || b.gridData.x + b.gridData.w <= a.gridData.x || a.gridData.y + a.gridData.h <= b.gridData.y || b.gridData.y + b.gridData.h <= a.gridData.y;
        assert.ok(apart, `${a.panelIndex} overlaps ${b.panelIndex}`);
      }
    }
  });

  it('name only fields our definitions have and our template maps; aggregated ones have an aggregatable type', () => {
    const named: { field: string; aggregated: boolean; where: string }[] = [];
    for (const o of objects) {
      if (o.type === 'search') {
        for (const c of o.attributes.columns as string[]) named.push({ field: c, aggregated: false, where: o.id });
        for (const [f] of o.attributes.sort as string[][]) named.push({ field: f!, aggregated: true, where: o.id });
        const q = (JSON.parse((o.attributes.kibanaSavedObjectMeta as { searchSourceJSON: string }).searchSourceJSON) as { query: { query: string } }).query.query;
        for (const f of kqlFields(q)) named.push({ field: f, aggregated: false, where: o.id });
      }
      if (o.type === 'index-pattern') named.push({ field: o.attributes.timeFieldName as string, aggregated: true, where: o.id });
      if (o.type === 'map') {
        const layers = JSON.parse(o.attributes.layerListJSON as string) as { query?: { query: string }; sourceDescriptor: { geoField?: string } }[];
        for (const l of layers) {
          if (l.sourceDescriptor.geoField) named.push({ field: l.sourceDescriptor.geoField, aggregated: true, where: o.id });
          for (const f of kqlFields(l.query?.query ?? '')) named.push({ field: f, aggregated: false, where: o.id });
        }
      }
    }
    for (const p of panels) {
      const lens = p.embeddableConfig.attributes;
      if (!lens) continue;
      for (const f of kqlFields(lens.state.query.query)) named.push({ field: f, aggregated: false, where: p.panelIndex });
      for (const layer of Object.values(lens.state.datasourceStates.formBased.layers)) {
        for (const c of Object.values(layer.columns)) if (c.sourceField && c.sourceField !== '___records___') named.push({ field: c.sourceField, aggregated: true, where: p.panelIndex });
      }
    }
    assert.ok(named.length > 40, `only ${named.length} field uses found`);
    for (const u of named) {
      assert.ok(FIELDS_BY_NAME.has(u.field), `${u.where}: ${u.field} is not in the field definitions`);
      const type = mappedType(u.field);
      assert.ok(type, `${u.where}: ${u.field} is not mapped (or not indexed) by the template`);
      if (u.aggregated) assert.ok(AGGREGATABLE.has(type), `${u.where}: ${u.field} is ${type}, which does not aggregate`);
    }
  });

  it('KQL and the Elasticsearch query say the same thing', () => {
    const q = { all: [{ field: 'event.action', values: ['a', 'b "c"'] }, { field: 'source.ip', exists: true as const }], any: [{ field: 'event.type', values: ['denied'] }, { field: 'x', values: ['y'] }] };
    assert.equal(kql(q), 'event.action : ("a" or "b \\"c\\"") and source.ip : * and (event.type : "denied" or x : "y")');
    assert.deepEqual(queryDsl(q), {
      bool: {
        filter: [{ terms: { 'event.action': ['a', 'b "c"'] } }, { exists: { field: 'source.ip' } }],
        should: [{ terms: { 'event.type': ['denied'] } }, { terms: { x: ['y'] } }],
        minimum_should_match: 1,
      },
    });
    assert.equal(kql({}), '');
  });

  it('the shipped file and the layout picture are what the generator writes (npm run kibana)', () => {
    assert.equal(text, savedObjectsNdjson(), 'deploy/kibana/pra-pipeline.ndjson is out of date: run npm run kibana');
    const svg = readFileSync(SVG, 'utf8');
    assert.equal(svg, dashboardLayoutSvg(text), 'docs/kibana-dashboard.svg is out of date: run npm run kibana');
    for (const p of panels) assert.ok(svg.includes(`>${(p as { title?: string }).title}<`), `the picture lacks ${p.panelIndex}`);
  });
});
