/**
 * Our Kibana content for the access-session data streams: one data view, two
 * saved searches and a dashboard. Panels are described here in a small model
 * of their own (filters, buckets, a metric) from which come both the Kibana
 * saved objects (Lens and Maps state, for `POST /api/saved_objects/_import`)
 * and the equivalent Elasticsearch search, so tests can run every panel's
 * query and aggregation against a real cluster. Every field named here must
 * be in the shared field definitions (checked by test/unit/kibana-content.test.ts).
 */

export const DATA_VIEW_ID = 'pra-access-session';
export const DATA_VIEW_TITLE = 'logs-beyondtrust_pra.access_session-*';
export const DASHBOARD_ID = 'pra-pipeline-access-sessions';
export const SEARCH_SESSIONS_ID = 'pra-pipeline-sessions';
export const SEARCH_FILES_ID = 'pra-pipeline-file-activity';
/** The Kibana version whose saved-object format the objects follow (imports migrate them forward). */
export const KIBANA_FORMAT_VERSION = '8.11.0';

/** A condition on one field: any of the values, or the field present. */
export type Filter = { field: string; values: readonly string[] } | { field: string; exists: true };

export interface Query {
  /** All of these hold (AND). */
  all?: readonly Filter[];
  /** At least one of these holds (OR). */
  any?: readonly Filter[];
}

export type Metric = { op: 'count' } | { op: 'sum' | 'unique_count'; field: string };
export type Bucket = { op: 'date_histogram'; field: string } | { op: 'terms'; field: string; size: number };

export interface Grid {
  x: number;
  y: number;
  w: number;
  h: number;
}

export interface LensPanel {
  kind: 'lens';
  id: string;
  title: string;
  grid: Grid;
  chart: 'bar_stacked' | 'bar_horizontal' | 'datatable';
  query: Query;
  /** Outer bucket first (x axis, or the table's first rows). */
  buckets: readonly Bucket[];
  metrics: readonly Metric[];
}

export interface MapPanel {
  kind: 'map';
  id: string;
  title: string;
  grid: Grid;
  geoField: string;
  query: Query;
}

export interface SearchPanel {
  kind: 'search';
  id: string;
  title: string;
  grid: Grid;
  search: SavedSearch;
}

export type Panel = LensPanel | MapPanel | SearchPanel;

export interface SavedSearch {
  id: string;
  title: string;
  description: string;
  query: Query;
  columns: readonly string[];
}

const BPA = 'beyondtrust_pra.access_session';
const FILE_TRANSFERS = ['file-download', 'file-download-failed', 'file-upload', 'file-upload-failed'];
const CREDENTIAL_INJECTIONS = ['credential-injection-attempt', 'credential-injection-attempt-failed'];
const FAILED_ACTIONS = ['credential-injection-attempt-failed', 'file-download-failed', 'file-upload-failed'];

export const SESSIONS_SEARCH: SavedSearch = {
  id: SEARCH_SESSIONS_ID,
  title: 'BeyondTrust PRA sessions (pra-pipeline)',
  description: 'Session starts and ends: who accessed which endpoint, through which Jumpoint, for how long.',
  query: { all: [{ field: 'event.action', values: ['session-start', 'session-end'] }] },
  columns: [
    'event.action',
    `${BPA}.session.lsid`,
    `${BPA}.session.primary_rep.text`,
    `${BPA}.session.primary_customer.text`,
    `${BPA}.session.jumpoint.text`,
    `${BPA}.session.jump_group.text`,
    `${BPA}.session.duration`,
    'observer.hostname',
  ],
};

export const FILES_SEARCH: SavedSearch = {
  id: SEARCH_FILES_ID,
  title: 'BeyondTrust PRA file activity (pra-pipeline)',
  description: 'File transfers, moves, deletions and new directories, with the user and the endpoint.',
  query: { all: [{ field: 'event.category', values: ['file'] }] },
  columns: ['event.action', 'file.name', 'file.size', 'source.user.name', 'destination.domain', `${BPA}.session.lsid`],
};

export const SAVED_SEARCHES: readonly SavedSearch[] = [SESSIONS_SEARCH, FILES_SEARCH];

/** The dashboard, 48 columns wide as Kibana's grid is. */
export const PANELS: readonly Panel[] = [
  {
    kind: 'lens', id: 'events-over-time', title: 'Events over time by action', grid: { x: 0, y: 0, w: 32, h: 14 },
    chart: 'bar_stacked', query: {},
    buckets: [{ op: 'date_histogram', field: '@timestamp' }, { op: 'terms', field: 'event.action', size: 10 }],
    metrics: [{ op: 'count' }],
  },
  {
    kind: 'lens', id: 'failed-denied', title: 'Failed and denied events', grid: { x: 32, y: 0, w: 16, h: 14 },
    chart: 'datatable',
    query: { any: [{ field: 'event.type', values: ['denied'] }, { field: 'event.action', values: FAILED_ACTIONS }] },
    buckets: [{ op: 'terms', field: 'event.action', size: 10 }, { op: 'terms', field: 'source.user.name', size: 5 }],
    metrics: [{ op: 'count' }],
  },
  {
    kind: 'lens', id: 'top-users', title: 'Top users', grid: { x: 0, y: 14, w: 16, h: 12 },
    chart: 'bar_horizontal', query: { all: [{ field: 'source.user.name', exists: true }] },
    buckets: [{ op: 'terms', field: 'source.user.name', size: 10 }],
    metrics: [{ op: 'count' }],
  },
  {
    kind: 'lens', id: 'top-hosts', title: 'Top endpoints (hosts)', grid: { x: 16, y: 14, w: 16, h: 12 },
    chart: 'bar_horizontal', query: { all: [{ field: 'destination.domain', exists: true }] },
    buckets: [{ op: 'terms', field: 'destination.domain', size: 10 }],
    metrics: [{ op: 'count' }],
  },
  {
    kind: 'lens', id: 'top-jumpoints', title: 'Top Jumpoints (sessions)', grid: { x: 32, y: 14, w: 16, h: 12 },
    chart: 'bar_horizontal', query: { all: [{ field: `${BPA}.session.jumpoint.text`, exists: true }] },
    buckets: [{ op: 'terms', field: `${BPA}.session.jumpoint.text`, size: 10 }],
    metrics: [{ op: 'unique_count', field: `${BPA}.session.lsid` }],
  },
  {
    kind: 'lens', id: 'file-transfers', title: 'File transfers', grid: { x: 0, y: 26, w: 24, h: 14 },
    chart: 'datatable', query: { all: [{ field: 'event.action', values: FILE_TRANSFERS }] },
    buckets: [{ op: 'terms', field: 'event.action', size: 4 }, { op: 'terms', field: 'file.name', size: 10 }],
    metrics: [{ op: 'count' }, { op: 'sum', field: 'file.size' }],
  },
  {
    kind: 'lens', id: 'credential-injections', title: 'Credential injections', grid: { x: 24, y: 26, w: 24, h: 14 },
    chart: 'bar_stacked', query: { all: [{ field: 'event.action', values: CREDENTIAL_INJECTIONS }] },
    buckets: [{ op: 'date_histogram', field: '@timestamp' }, { op: 'terms', field: 'event.action', size: 2 }],
    metrics: [{ op: 'count' }],
  },
  {
    kind: 'map', id: 'source-map', title: 'Source IPs on the map', grid: { x: 0, y: 40, w: 24, h: 16 },
    geoField: 'source.geo.location', query: { all: [{ field: 'source.ip', exists: true }] },
  },
  { kind: 'search', id: 'sessions', title: SESSIONS_SEARCH.title, grid: { x: 24, y: 40, w: 24, h: 16 }, search: SESSIONS_SEARCH },
  { kind: 'search', id: 'file-activity', title: FILES_SEARCH.title, grid: { x: 0, y: 56, w: 48, h: 14 }, search: FILES_SEARCH },
];

// ---------------------------------------------------------------- queries

function kqlValue(value: string): string {
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

function kqlFilter(f: Filter): string {
  if ('exists' in f) return `${f.field} : *`;
  return f.values.length === 1 ? `${f.field} : ${kqlValue(f.values[0]!)}` : `${f.field} : (${f.values.map(kqlValue).join(' or ')})`;
}

/** The KQL text Kibana runs for a query. */
export function kql(query: Query): string {
  const parts = (query.all ?? []).map(kqlFilter);
  if (query.any && query.any.length > 0) parts.push(query.any.length === 1 ? kqlFilter(query.any[0]!) : `(${query.any.map(kqlFilter).join(' or ')})`);
  return parts.join(' and ');
}

function dslFilter(f: Filter): Record<string, unknown> {
  return 'exists' in f ? { exists: { field: f.field } } : { terms: { [f.field]: [...f.values] } };
}

/** The Elasticsearch query equal to the KQL of `query` (KQL's `field : value` on a keyword is a term match). */
export function queryDsl(query: Query): Record<string, unknown> {
  const filter = (query.all ?? []).map(dslFilter);
  const should = (query.any ?? []).map(dslFilter);
  return { bool: { filter, ...(should.length > 0 ? { should, minimum_should_match: 1 } : {}) } };
}

function metricAgg(m: Metric): Record<string, unknown> | undefined {
  if (m.op === 'count') return undefined;
  return m.op === 'sum' ? { sum: { field: m.field } } : { cardinality: { field: m.field } };
}

export const metricName = (m: Metric, i: number): string => (m.op === 'count' ? '_count' : `m${i}`);

/** A panel as one Elasticsearch search: its query, its buckets nested outer to inner, its metrics inside. */
export function panelSearch(panel: LensPanel | MapPanel): Record<string, unknown> {
  if (panel.kind === 'map') {
    return {
      size: 0,
      query: queryDsl(panel.query),
      aggs: { grid: { geotile_grid: { field: panel.geoField, precision: 3 }, aggs: { centroid: { geo_centroid: { field: panel.geoField } } } } },
    };
  }
  const metrics: Record<string, unknown> = {};
  panel.metrics.forEach((m, i) => {
    const agg = metricAgg(m);
    if (agg) metrics[metricName(m, i)] = agg;
  });
  let aggs: Record<string, unknown> = metrics;
  for (let i = panel.buckets.length - 1; i >= 0; i--) {
    const b = panel.buckets[i]!;
    const body = b.op === 'terms' ? { terms: { field: b.field, size: b.size } } : { date_histogram: { field: b.field, fixed_interval: '1h', min_doc_count: 1 } };
    aggs = { [`b${i}`]: { ...body, ...(Object.keys(aggs).length > 0 ? { aggs } : {}) } };
  }
  return { size: 0, query: queryDsl(panel.query), aggs };
}

/** A saved search as an Elasticsearch search: its query, newest first, its columns. */
export function savedSearchDsl(search: SavedSearch): Record<string, unknown> {
  return { size: 50, query: queryDsl(search.query), sort: [{ '@timestamp': 'desc' }], _source: [...search.columns] };
}

/** Every field a panel or search names, with whether it is aggregated (bucketed or a metric) there. */
export function fieldsUsed(): { field: string; aggregated: boolean; where: string }[] {
  const out: { field: string; aggregated: boolean; where: string }[] = [];
  const fromQuery = (q: Query, where: string) => [...(q.all ?? []), ...(q.any ?? [])].forEach((f) => out.push({ field: f.field, aggregated: false, where }));
  for (const s of SAVED_SEARCHES) {
    fromQuery(s.query, s.id);
    s.columns.forEach((c) => out.push({ field: c, aggregated: false, where: s.id }));
    out.push({ field: '@timestamp', aggregated: true, where: `${s.id} (sort)` });
  }
  for (const p of PANELS) {
    if (p.kind === 'search') continue;
    fromQuery(p.query, p.id);
    if (p.kind === 'map') out.push({ field: p.geoField, aggregated: true, where: p.id });
    else {
      p.buckets.forEach((b) => out.push({ field: b.field, aggregated: true, where: p.id }));
      p.metrics.forEach((m) => m.op !== 'count' && out.push({ field: m.field, aggregated: true, where: p.id }));
    }
  }
  return out;
}

// ---------------------------------------------------------------- saved objects

export interface SavedObject {
  type: string;
  id: string;
  attributes: Record<string, unknown>;
  references: { name: string; type: string; id: string }[];
  coreMigrationVersion?: string;
  typeMigrationVersion?: string;
  managed?: boolean;
}

const searchSourceJSON = (query: Query, withIndex: boolean) =>
  JSON.stringify({
    query: { query: kql(query), language: 'kuery' },
    filter: [],
    ...(withIndex ? { indexRefName: 'kibanaSavedObjectMeta.searchSourceJSON.index' } : {}),
  });

function dataViewObject(): SavedObject {
  return {
    type: 'index-pattern',
    id: DATA_VIEW_ID,
    attributes: {
      title: DATA_VIEW_TITLE,
      name: 'BeyondTrust PRA access sessions (pra-pipeline)',
      timeFieldName: '@timestamp',
      // Kibana reads the fields from the cluster; none are listed here.
      fields: '[]',
      fieldFormatMap: JSON.stringify({ 'file.size': { id: 'bytes' } }),
      allowNoIndex: true,
    },
    references: [],
    typeMigrationVersion: '7.11.0',
  };
}

function searchObject(s: SavedSearch): SavedObject {
  return {
    type: 'search',
    id: s.id,
    attributes: {
      title: s.title,
      description: s.description,
      columns: [...s.columns],
      sort: [['@timestamp', 'desc']],
      kibanaSavedObjectMeta: { searchSourceJSON: searchSourceJSON(s.query, true) },
    },
    references: [{ name: 'kibanaSavedObjectMeta.searchSourceJSON.index', type: 'index-pattern', id: DATA_VIEW_ID }],
    typeMigrationVersion: '7.9.3',
  };
}

function column(id: string, spec: Bucket | Metric, orderBy: string | undefined): [string, Record<string, unknown>] {
  switch (spec.op) {
    case 'date_histogram':
      return [id, { label: spec.field, dataType: 'date', operationType: 'date_histogram', sourceField: spec.field, isBucketed: true, scale: 'interval', params: { interval: 'auto', includeEmptyRows: true, dropPartials: false } }];
    case 'terms':
      return [id, {
        label: `Top ${spec.size} values of ${spec.field}`, dataType: 'string', operationType: 'terms', sourceField: spec.field, isBucketed: true, scale: 'ordinal',
        params: { size: spec.size, orderBy: orderBy ? { type: 'column', columnId: orderBy } : { type: 'alphabetical' }, orderDirection: 'desc', otherBucket: true, missingBucket: false },
      }];
    case 'count':
      return [id, { label: 'Count of records', dataType: 'number', operationType: 'count', sourceField: '___records___', isBucketed: false, scale: 'ratio', params: { emptyAsNull: true } }];
    case 'sum':
      return [id, { label: `Sum of ${spec.field}`, dataType: 'number', operationType: 'sum', sourceField: spec.field, isBucketed: false, scale: 'ratio', params: { emptyAsNull: true, format: { id: 'bytes' } } }];
    case 'unique_count':
      return [id, { label: `Unique count of ${spec.field}`, dataType: 'number', operationType: 'unique_count', sourceField: spec.field, isBucketed: false, scale: 'ratio', params: { emptyAsNull: true } }];
  }
}

function lensAttributes(p: LensPanel): Record<string, unknown> {
  const layerId = `${p.id}-layer`;
  const bucketIds = p.buckets.map((_, i) => `${p.id}-b${i}`);
  const metricIds = p.metrics.map((_, i) => `${p.id}-m${i}`);
  const columns = Object.fromEntries([
    ...p.buckets.map((b, i) => column(bucketIds[i]!, b, metricIds[0])),
    ...p.metrics.map((m, i) => column(metricIds[i]!, m, undefined)),
  ]);
  let visualization: Record<string, unknown>;
  if (p.chart === 'datatable') {
    visualization = { layerId, layerType: 'data', columns: [...bucketIds, ...metricIds].map((columnId) => ({ columnId })) };
  } else {
    const [x, split] = bucketIds;
    visualization = {
      legend: { isVisible: true, position: 'right' },
      valueLabels: 'hide',
      preferredSeriesType: p.chart,
      layers: [{ layerId, layerType: 'data', seriesType: p.chart, xAccessor: x, ...(split ? { splitAccessor: split } : {}), accessors: metricIds }],
    };
  }
  return {
    title: p.title,
    visualizationType: p.chart === 'datatable' ? 'lnsDatatable' : 'lnsXY',
    type: 'lens',
    references: [{ type: 'index-pattern', id: DATA_VIEW_ID, name: `indexpattern-datasource-layer-${layerId}` }],
    state: {
      visualization,
      query: { query: kql(p.query), language: 'kuery' },
      filters: [],
      datasourceStates: { formBased: { layers: { [layerId]: { columns, columnOrder: [...bucketIds, ...metricIds], incompleteColumns: {} } } } },
      internalReferences: [],
      adHocDataViews: {},
    },
  };
}

function mapObject(p: MapPanel): SavedObject {
  const layerList = [
    { id: 'basemap', type: 'EMS_VECTOR_TILE', sourceDescriptor: { type: 'EMS_TMS', isAutoSelect: true }, visible: true, alpha: 1, label: null, minZoom: 0, maxZoom: 24, style: {} },
    {
      id: `${p.id}-layer`,
      type: 'GEOJSON_VECTOR',
      label: 'Source IPs',
      visible: true,
      alpha: 0.75,
      minZoom: 0,
      maxZoom: 24,
      query: { query: kql(p.query), language: 'kuery' },
      sourceDescriptor: {
        type: 'ES_GEO_GRID',
        id: `${p.id}-source`,
        geoField: p.geoField,
        requestType: 'point',
        resolution: 'COARSE',
        metrics: [{ type: 'count' }],
        applyGlobalQuery: true,
        applyGlobalTime: true,
        indexPatternRefName: 'layer_1_source_index_pattern',
      },
      style: { type: 'VECTOR', properties: { fillColor: { type: 'DYNAMIC', options: { field: { name: 'doc_count', origin: 'source' }, color: 'Blues' } } } },
    },
  ];
  return {
    type: 'map',
    id: `pra-pipeline-${p.id}`,
    attributes: {
      title: `${p.title} (pra-pipeline)`,
      description: 'Where the users who performed actions connected from (source.geo.location, from GeoIP).',
      layerListJSON: JSON.stringify(layerList),
      mapStateJSON: JSON.stringify({ zoom: 1.2, center: { lon: 0, lat: 20 }, timeFilters: { from: 'now-24h', to: 'now' }, query: { query: '', language: 'kuery' }, filters: [] }),
      uiStateJSON: JSON.stringify({ isLayerTOCOpen: true, openTOCDetails: [] }),
    },
    references: [{ name: 'layer_1_source_index_pattern', type: 'index-pattern', id: DATA_VIEW_ID }],
    typeMigrationVersion: '8.4.0',
  };
}

function dashboardObject(maps: ReadonlyMap<string, SavedObject>): SavedObject {
  const references: SavedObject['references'] = [];
  const panels = PANELS.map((p) => {
    const base = { version: KIBANA_FORMAT_VERSION, gridData: { ...p.grid, i: p.id }, panelIndex: p.id };
    if (p.kind === 'lens') {
      const attributes = lensAttributes(p);
      for (const ref of attributes.references as SavedObject['references']) references.push({ ...ref, name: `${p.id}:${ref.name}` });
      return { ...base, type: 'lens', embeddableConfig: { attributes, enhancements: {} }, title: p.title };
    }
    const target = p.kind === 'map' ? maps.get(p.id)! : { type: 'search', id: p.search.id };
    references.push({ name: `${p.id}:panel_${p.id}`, type: target.type, id: target.id });
    return { ...base, type: target.type, embeddableConfig: { enhancements: {} }, panelRefName: `panel_${p.id}`, title: p.title };
  });
  return {
    type: 'dashboard',
    id: DASHBOARD_ID,
    attributes: {
      title: 'BeyondTrust PRA access sessions (pra-pipeline)',
      description: 'Access-session events indexed by pra-pipeline: activity by action, top users, endpoints and Jumpoints, file transfers, credential injections, source locations, failures.',
      panelsJSON: JSON.stringify(panels),
      optionsJSON: JSON.stringify({ useMargins: true, syncColors: false, syncCursor: true, syncTooltips: false, hidePanelTitles: false }),
      timeRestore: true,
      timeFrom: 'now-24h',
      timeTo: 'now',
      refreshInterval: { pause: true, value: 60_000 },
      kibanaSavedObjectMeta: { searchSourceJSON: JSON.stringify({ query: { query: '', language: 'kuery' }, filter: [] }) },
    },
    references,
    typeMigrationVersion: '8.7.0',
  };
}

/** Every saved object, dependencies before dependants, as the import API wants them. */
export function savedObjects(): SavedObject[] {
  const maps = new Map(PANELS.filter((p): p is MapPanel => p.kind === 'map').map((p) => [p.id, mapObject(p)]));
  return [dataViewObject(), ...SAVED_SEARCHES.map(searchObject), ...maps.values(), dashboardObject(maps)].map((o) => ({ ...o, coreMigrationVersion: '8.8.0', managed: false }));
}

/** The NDJSON file for `POST /api/saved_objects/_import`. */
export function savedObjectsNdjson(): string {
  return `${savedObjects().map((o) => JSON.stringify(o)).join('\n')}\n`;
}
