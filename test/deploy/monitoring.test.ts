/**
 * The alert rules and the Grafana dashboard: the plain rules file equals the
 * chart's PrometheusRule, every rule and panel is well formed, and every
 * pra_* metric they query is one the services define.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { find, readYaml, rendered, repoRoot } from './tools.js';

interface Rule {
  alert: string;
  expr: string;
  for: string;
  labels: { severity: string };
  annotations: { summary: string; description: string };
}
interface Groups {
  groups: { name: string; rules: Rule[] }[];
}
interface Panel {
  type: string;
  title: string;
  id: number;
  gridPos: { h: number; w: number; x: number; y: number };
  targets?: { refId: string; expr: string; datasource: { uid: string } }[];
}

const alerts = () => readYaml('deploy/prometheus/alerts.yml') as Groups;
const dashboard = () => JSON.parse(readFileSync(join(repoRoot, 'deploy/grafana/dashboards/pra-pipeline.json'), 'utf8')) as {
  uid: string;
  title: string;
  panels: Panel[];
  templating: { list: { name: string; type: string }[] };
};

/** Metric names the services define: every 'pra_...' string literal in their sources. */
function definedMetrics(): Set<string> {
  const names = new Set<string>();
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir)) {
      const path = join(dir, entry);
      if (statSync(path).isDirectory()) walk(path);
      else if (entry.endsWith('.ts')) for (const [, name] of readFileSync(path, 'utf8').matchAll(/['"`](pra_[a-z0-9_]+)['"`]/g)) names.add(name as string);
    }
  };
  for (const dir of ['shared/src', 'services/poller/src', 'services/enricher/src', 'services/sink/src']) walk(join(repoRoot, dir));
  return names;
}

/** pra_* metric names a PromQL expression reads (histogram suffixes removed, __name__ alternations split). */
function queriedMetrics(expr: string): string[] {
  const out = new Set<string>();
  for (const [, alternatives] of expr.matchAll(/__name__=~"([^"]+)"/g)) for (const n of (alternatives as string).split('|')) out.add(n);
  for (const [name] of expr.replace(/__name__=~"[^"]+"/g, '').matchAll(/\bpra_[a-z0-9_]+/g)) out.add(name);
  return [...out].map((n) => n.replace(/_(bucket|count|sum)$/, ''));
}

test('deploy/prometheus/alerts.yml equals the chart\'s PrometheusRule with the default thresholds', () => {
  const rules = find(rendered(''), 'PrometheusRule');
  assert.equal(rules.length, 1);
  assert.deepEqual(alerts().groups, rules[0]?.spec.groups, 'regenerate deploy/prometheus/alerts.yml from templates/_alerts.tpl (docs/deploy.md, "Alerts")');
});

test('the alerts cover lag, dead letters, the poller, bulk failures and GeoIP age, and are well formed', () => {
  const rules = alerts().groups.flatMap((g) => g.rules);
  const names = rules.map((r) => r.alert);
  for (const expected of ['PraConsumerLagGrowing', 'PraDeadLetterRecords', 'PraPollerSiteDown', 'PraPollerWindowsFailing', 'PraPollerCursorNotAdvancing', 'PraBulkFailures', 'PraGeoipDatabaseTooOld', 'PraStageDown']) {
    assert.ok(names.includes(expected), `no ${expected} alert`);
  }
  assert.equal(new Set(names).size, names.length, 'alert names are unique');
  for (const r of rules) {
    assert.ok(['warning', 'critical'].includes(r.labels.severity), `${r.alert}: severity`);
    assert.match(r.for, /^\d+[smh]$/, `${r.alert}: for`);
    assert.ok(r.annotations.summary.length > 10 && r.annotations.description.length > 10, `${r.alert}: annotations`);
    assert.equal((r.expr.match(/\(/g) ?? []).length, (r.expr.match(/\)/g) ?? []).length, `${r.alert}: parentheses`);
    assert.doesNotMatch(r.expr, /\{\{|\}\}/, `${r.alert}: an unrendered template in the expression`);
  }
});

test('the thresholds come from the chart values', async () => {
  const { helmTemplate, parseObjects } = await import('./tools.js');
  const objects = parseObjects(helmTemplate({ set: ['metrics.prometheusRule.geoipMaxAgeDays=7', 'metrics.prometheusRule.consumerLagThreshold=123'] }));
  const rules = (find(objects, 'PrometheusRule')[0]?.spec.groups as Groups['groups']).flatMap((g) => g.rules);
  assert.match(rules.find((r) => r.alert === 'PraGeoipDatabaseTooOld')?.expr ?? '', /> 604800$/);
  assert.match(rules.find((r) => r.alert === 'PraConsumerLagGrowing')?.expr ?? '', /> 123\n/);
});

test('the dashboard has per-stage throughput, lag, errors, DLQ, bulk latency, window lag and open sessions', () => {
  const d = dashboard();
  assert.equal(d.uid, 'pra-pipeline');
  assert.ok(d.templating.list.some((v) => v.name === 'datasource' && v.type === 'datasource'));
  const panels = d.panels.filter((p) => p.type !== 'row');
  const exprs = (p: Panel) => (p.targets ?? []).map((t) => t.expr).join('\n');
  const having = (pattern: RegExp) => panels.filter((p) => pattern.test(exprs(p))).map((p) => p.title);
  for (const [what, pattern] of [
    ['poller throughput', /pra_poller_events_published_total/],
    ['enricher throughput', /pra_enricher_documents_total/],
    ['sink throughput', /pra_sink_documents_indexed_total/],
    ['consumer lag', /pra_consumer_lag_records/],
    ['errors', /pra_errors_total/],
    ['dead letters', /pra_dead_letters_total/],
    ['bulk latency', /histogram_quantile\(.*pra_sink_bulk_request_duration_seconds_bucket/],
    ['poller window lag', /pra_poller_window_lag_seconds/],
    ['open sessions', /pra_poller_open_sessions/],
  ] as const) {
    assert.ok(having(pattern).length > 0, `no panel shows ${what}`);
  }
  const ids = d.panels.map((p) => p.id);
  assert.equal(new Set(ids).size, ids.length, 'panel ids are unique');
  for (const p of panels) {
    assert.ok(p.gridPos.x + p.gridPos.w <= 24, `${p.title}: wider than the grid`);
    assert.ok((p.targets ?? []).length > 0, `${p.title}: no query`);
    for (const t of p.targets ?? []) assert.equal(t.datasource.uid, '${datasource}', `${p.title}: datasource`);
  }
});

test('every pra_* metric the alerts and the dashboard query is defined by a service', () => {
  const defined = definedMetrics();
  assert.ok(defined.size > 10, `found only ${defined.size} metric names in the services`);
  const queried = new Map<string, string>();
  for (const r of alerts().groups.flatMap((g) => g.rules)) for (const m of queriedMetrics(r.expr)) queried.set(m, `alert ${r.alert}`);
  for (const p of dashboard().panels) for (const t of p.targets ?? []) for (const m of queriedMetrics(t.expr)) queried.set(m, `panel ${p.title}`);
  assert.ok(queried.size > 10);
  const missing = [...queried].filter(([m]) => !defined.has(m)).map(([m, where]) => `${m} (${where})`);
  assert.deepEqual(missing, []);
  // The check itself catches a name no service defines.
  assert.deepEqual(queriedMetrics('rate(pra_made_up_total[5m]) + pra_x_bucket').filter((m) => !defined.has(m)), ['pra_made_up_total', 'pra_x']);
});
