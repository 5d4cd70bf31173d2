/**
 * The benchmark code works: the enricher benchmark (the pure part of
 * `npm run bench -- --quick`) on a tiny input, and the report rendered from its
 * result. No figure is judged here; speed is only ever reported, never asserted.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { enricherBench, ENRICHER_SIZES } from '../../bench/enricher.js';
import { describeMachine } from '../../bench/machine.js';
import { renderReport } from '../../bench/report.js';
import { histogramQuantile } from '../../bench/end-to-end.js';
import { parseMetrics } from '../../bench/processes.js';
import { summarize } from '../../bench/stats.js';

test('the enricher benchmark measures stage A+B beside its two ceilings and the report shows them', async () => {
  const result = await enricherBench({ mode: 'quick', machine: describeMachine(), log: () => {} }, ENRICHER_SIZES.tiny);
  assert.equal(result.benchmark, 'enricher');
  assert.equal(result.figures.length, 2);
  for (const f of result.figures) {
    assert.equal(f.value.samples.length, ENRICHER_SIZES.tiny.iterations);
    assert.ok(Number.isFinite(f.value.median) && f.value.median > 0, `${f.id} has a rate`);
    assert.ok(f.limit && Number.isFinite(f.limit.median) && f.limit.median > 0, `${f.id} has a ceiling`);
    assert.ok(Number.isFinite(f.ratio), `${f.id} has a ratio`);
  }
  assert.ok((result.parameters.events as number) > 0);
  const page = renderReport([result], undefined);
  assert.match(page, /## Enricher: stage A\+B per core/);
  assert.match(page, /stage A\+B with GeoIP \| [\d,.]+ events\/s/);
  assert.match(page, /## Machine/);
});

test('summaries, metrics parsing and histogram quantiles', () => {
  assert.deepEqual({ ...summarize([3, 1, 2]), samples: [] }, { median: 2, min: 1, max: 3, spread: 1, samples: [] });
  const before = parseMetrics('x_bucket{le="1"} 0\nx_bucket{le="2"} 0\nx_bucket{le="+Inf"} 0\n');
  const after = parseMetrics('# HELP x\nx_bucket{le="1"} 50\nx_bucket{le="2"} 100\nx_bucket{le="+Inf"} 100\n');
  assert.equal(histogramQuantile(0.5, before, after, 'x'), 1);
  assert.equal(histogramQuantile(0.75, before, after, 'x'), 1.5);
});
