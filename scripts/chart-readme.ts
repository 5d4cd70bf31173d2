/**
 * The chart's README, generated from values.yaml: every value with its type,
 * default and the comment above it. test/deploy/chart-readme.test.ts checks
 * that the checked-in README is this output.
 *
 *   npm run chart-readme            writes deploy/helm/pra-pipeline/README.md
 *   npm run chart-readme -- --check exits 1 when the README is stale
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { isMap, isScalar, isSeq, parseDocument, type Node, type Pair } from 'yaml';

const chartDir = fileURLToPath(new URL('../deploy/helm/pra-pipeline/', import.meta.url));
export const chartReadmePath = `${chartDir}README.md`;

export interface ValueRow {
  key: string;
  type: string;
  default: string;
  description: string;
}

/** The comment's prose: commented-out examples (indented after the `#`) are left out. */
function prose(comment: string | null | undefined): string {
  if (!comment) return '';
  const lines = comment.split('\n');
  // Only the paragraph right above the key (the file's header is not a value's).
  const start = lines.findLastIndex((line) => line.trim() === '') + 1;
  return lines
    .slice(start)
    .filter((line) => !/^\s{2,}/.test(line))
    .map((line) => line.trim().replace(/^-- /, ''))
    .join(' ');
}

function typeOf(node: unknown): string {
  if (isMap(node)) return 'object';
  if (isSeq(node)) return 'list';
  if (isScalar(node)) {
    const v = node.value;
    if (v === null) return 'null';
    if (typeof v === 'number') return Number.isInteger(v) ? 'int' : 'float';
    return typeof v === 'boolean' ? 'bool' : 'string';
  }
  return 'unknown';
}

function walk(pairs: readonly Pair[], prefix: string, inherited: string, rows: ValueRow[]): void {
  pairs.forEach((pair, index) => {
    const key = `${prefix}${String((pair.key as Node & { value?: unknown }).value ?? pair.key)}`;
    const keyNode = pair.key as Node | null;
    // The comment above a map's first key is attached to the map itself.
    const description = prose(keyNode?.commentBefore) || (index === 0 ? inherited : '');
    const value = pair.value as Node | null;
    if (isMap(value) && value.items.length > 0) {
      if (description) rows.push({ key, type: 'object', default: '', description });
      walk(value.items as Pair[], `${key}.`, prose(value.commentBefore), rows);
      return;
    }
    rows.push({ key, type: typeOf(value), default: JSON.stringify(value ? (value as { toJSON(): unknown }).toJSON() : null), description });
  });
}

/** Every value of values.yaml, in file order. */
export function valueRows(text = readFileSync(`${chartDir}values.yaml`, 'utf8')): ValueRow[] {
  const doc = parseDocument(text);
  if (doc.errors.length > 0) throw new Error(`values.yaml does not parse: ${doc.errors[0]?.message}`);
  const rows: ValueRow[] = [];
  if (!isMap(doc.contents)) throw new Error('values.yaml is not a map');
  walk(doc.contents.items as Pair[], '', prose(doc.commentBefore), rows);
  return rows;
}

const cell = (text: string) => text.replace(/\|/g, '\\|');

export function chartReadme(): string {
  const chart = readFileSync(`${chartDir}Chart.yaml`, 'utf8');
  const field = (name: string) => new RegExp(`^${name}:\\s*"?([^"\\n]+)"?`, 'm').exec(chart)?.[1] ?? '';
  const lines = [
    '# pra-pipeline Helm chart',
    '',
    '<!-- Generated from values.yaml by `npm run chart-readme`; edit values.yaml and run it again. -->',
    '',
    `${field('description')}`,
    '',
    `Chart version ${field('version')}, app version ${field('appVersion')}, Kubernetes ${field('kubeVersion')}.`,
    '',
    '```sh',
    'helm install pra deploy/helm/pra-pipeline -n pra -f my-values.yaml',
    '```',
    '',
    'The chart installs on a bare cluster: the ServiceMonitor and PrometheusRule are rendered only where',
    'the cluster serves `monitoring.coreos.com/v1`, the KEDA ScaledObject only where it serves',
    '`keda.sh/v1alpha1` (with `helm template`, pass those APIs with `--api-versions`). `docs/deploy.md`',
    '("Helm") explains the objects, secrets, scaling and upgrades; `ci/*-values.yaml` are tested examples;',
    '`values.schema.json` rejects unknown keys.',
    '',
    '## Values',
    '',
    '| Key | Type | Default | Description |',
    '| --- | --- | --- | --- |',
    ...valueRows().map((r) => `| \`${r.key}\` | ${r.type} | ${r.default ? `\`${cell(r.default)}\`` : ''} | ${cell(r.description)} |`),
    '',
  ];
  return lines.join('\n');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const text = chartReadme();
  if (process.argv.includes('--check')) {
    const current = readFileSync(chartReadmePath, 'utf8');
    if (current !== text) {
      console.error('deploy/helm/pra-pipeline/README.md is stale: run npm run chart-readme.');
      process.exit(1);
    }
    console.log('deploy/helm/pra-pipeline/README.md is up to date.');
  } else {
    writeFileSync(chartReadmePath, text);
    console.log('Wrote deploy/helm/pra-pipeline/README.md.');
  }
}
