/**
 * deploy/helm/pra-pipeline/README.md is generated from values.yaml
 * (scripts/chart-readme.ts, `npm run chart-readme`): the checked-in file must
 * be the generator's output, and the table must hold every value.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { chartReadme, chartReadmePath, valueRows } from '../../scripts/chart-readme.js';
import { chartDir, readYaml } from './tools.js';

/** Every leaf path of a values tree (empty maps and lists are leaves). */
function leaves(value: unknown, prefix = ''): string[] {
  if (value && typeof value === 'object' && !Array.isArray(value) && Object.keys(value).length > 0) {
    return Object.entries(value).flatMap(([k, v]) => leaves(v, `${prefix}${k}.`));
  }
  return [prefix.slice(0, -1)];
}

test('the chart README is the output of npm run chart-readme', () => {
  assert.equal(readFileSync(chartReadmePath, 'utf8'), chartReadme(), 'deploy/helm/pra-pipeline/README.md is stale: run npm run chart-readme');
});

test('the README\'s table has every value of values.yaml, with its default', () => {
  const values = readYaml('deploy/helm/pra-pipeline/values.yaml');
  const rows = valueRows();
  const leafRows = rows.filter((r) => r.default !== '');
  assert.deepEqual(leafRows.map((r) => r.key), leaves(values));
  const byKey = new Map(leafRows.map((r) => [r.key, r]));
  assert.equal(byKey.get('metrics.serviceMonitor.enabled')?.default, 'true');
  assert.equal(byKey.get('probes.startup.failureThreshold')?.type, 'int');
  assert.equal(byKey.get('extraObjects')?.default, '[]');
  assert.match(byKey.get('global.imageRegistry')?.description ?? '', /ahead of image\.registry/);
});

test('the generator reads descriptions from the comment right above a key, without commented-out examples', () => {
  const rows = valueRows(['# File header.', '', '# The first key.', 'a:', '  # Inside.', '  b: 1', '  c: []', '  #  - example: 1', '  # About d.', '  d: x', ''].join('\n'));
  assert.deepEqual(rows, [
    { key: 'a', type: 'object', default: '', description: 'The first key.' },
    { key: 'a.b', type: 'int', default: '1', description: 'Inside.' },
    { key: 'a.c', type: 'list', default: '[]', description: '' },
    { key: 'a.d', type: 'string', default: '"x"', description: 'About d.' },
  ]);
  // A changed values.yaml gives another README, so a stale one is caught.
  const values = readFileSync(join(chartDir, 'values.yaml'), 'utf8');
  assert.notDeepEqual(valueRows(`${values}\n# New.\nnewKey: 1\n`), valueRows(values));
});
