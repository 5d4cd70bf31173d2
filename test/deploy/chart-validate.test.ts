/**
 * The chart is linted and rendered with every ci/*-values.yaml, and every
 * rendered object is validated: built-in kinds by kubeconform against the
 * Kubernetes JSON schemas (strict: unknown fields fail), the Prometheus
 * Operator and KEDA kinds against the schemas generated from their CRDs.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { PrometheusRule } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PrometheusRule';
import { ServiceMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor';
import { ScaledObject } from '@kubernetes-models/keda/keda.sh/v1alpha1/ScaledObject';
import { TriggerAuthentication } from '@kubernetes-models/keda/keda.sh/v1alpha1/TriggerAuthentication';
import { KUBERNETES_VERSIONS, RENDER_KUBE_VERSION, chartDir, ciValuesFiles, helmTemplate, kubernetesSchemaDir, parseObjects, rendered, repoRoot, run, tool, type K8sObject } from './tools.js';

const CRD_MODELS: Record<string, new (data: never) => { validate(): void }> = {
  'monitoring.coreos.com/v1/ServiceMonitor': ServiceMonitor as never,
  'monitoring.coreos.com/v1/PrometheusRule': PrometheusRule as never,
  'keda.sh/v1alpha1/ScaledObject': ScaledObject as never,
  'keda.sh/v1alpha1/TriggerAuthentication': TriggerAuthentication as never,
};
const CRD_KINDS = ['ServiceMonitor', 'PrometheusRule', 'ScaledObject', 'TriggerAuthentication'];

interface KubeconformResult {
  filename: string;
  kind: string;
  name: string;
  status: string;
  msg: string;
}

/** Runs kubeconform once over several files (its schema loading dominates the time); every resource's result. */
function kubeconform(files: Record<string, readonly K8sObject[]>, version: string): { code: number; out: string; resources: KubeconformResult[] } {
  const dir = mkdtempSync(join(tmpdir(), 'pra-kubeconform-'));
  try {
    const paths = Object.entries(files).map(([label, objects]) => {
      const file = join(dir, `${label || 'defaults'}.yaml`);
      writeFileSync(file, objects.map((o) => stringify(o)).join('---\n'));
      return file;
    });
    const schemaDir = kubernetesSchemaDir(version);
    const result = run(tool('kubeconform'), [
      '-strict',
      '-verbose',
      '-output', 'json',
      '-kubernetes-version', version,
      '-schema-location', join(schemaDir, '{{.ResourceKind}}{{.KindSuffix}}.json'),
      '-skip', CRD_KINDS.join(','),
      ...paths,
    ]);
    let resources: KubeconformResult[] = [];
    try {
      resources = (JSON.parse(result.out) as { resources: KubeconformResult[] }).resources.map((r) => ({ ...r, filename: r.filename.slice(dir.length + 1) }));
    } catch {
      // Not JSON: kubeconform failed before validating; the caller reports `out`.
    }
    return { ...result, resources };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const VALUES = ['', ...ciValuesFiles()];
const bareRenders = new Map<string, K8sObject[]>();
/** The rendering on a cluster without the Prometheus Operator and KEDA (no --api-versions). */
function renderedBare(file: string): K8sObject[] {
  let objects = bareRenders.get(file);
  if (!objects) {
    objects = parseObjects(helmTemplate({ ...(file ? { valuesFile: file } : {}), apiVersions: [] }));
    bareRenders.set(file, objects);
  }
  return objects;
}
const label = (file: string, bare: boolean) => `${bare ? 'bare-' : ''}${file.replace(/\.yaml$/, '') || 'defaults'}`;
const validations = new Map<string, ReturnType<typeof kubeconform>>();
/** kubeconform over every values file's rendering, with and without the operators' APIs, once per Kubernetes version. */
function validation(version: string): ReturnType<typeof kubeconform> {
  let result = validations.get(version);
  if (!result) {
    result = kubeconform(
      Object.fromEntries(VALUES.flatMap((f) => [[label(f, false), rendered(f)], [label(f, true), renderedBare(f)]])),
      version,
    );
    validations.set(version, result);
  }
  return result;
}

function assertValid(file: string, bare: boolean): void {
  const objects = bare ? renderedBare(file) : rendered(file);
  assert.ok(objects.length > 0, 'helm template rendered nothing');
  const builtIn = objects.filter((o) => !CRD_KINDS.includes(o.kind));
  for (const version of KUBERNETES_VERSIONS) {
    const result = validation(version);
    const mine = result.resources.filter((r) => r.filename === `${label(file, bare)}.yaml`);
    const bad = mine.filter((r) => r.status !== 'statusValid' && r.status !== 'statusSkipped');
    assert.deepEqual(bad.map((r) => `${r.kind} ${r.name}: ${r.status} ${r.msg}`), [], `kubeconform (Kubernetes ${version}) rejected ${label(file, bare)}`);
    const valid = mine.filter((r) => r.status === 'statusValid').map((r) => `${r.kind}/${r.name}`).sort();
    assert.deepEqual(valid, builtIn.map((o) => `${o.kind}/${o.metadata.name}`).sort(), `kubeconform (Kubernetes ${version}) did not validate every object:\n${result.out.slice(0, 2000)}`);
  }
  for (const object of objects.filter((o) => CRD_KINDS.includes(o.kind))) {
    const Model = CRD_MODELS[`${object.apiVersion}/${object.kind}`];
    assert.ok(Model, `no schema for ${object.apiVersion} ${object.kind}`);
    assert.doesNotThrow(() => new Model(object as never).validate(), `${object.kind} ${object.metadata.name} in ${label(file, bare)}`);
  }
}

test('the Kubernetes versions checked are the oldest the chart supports and the newest, as scripts/install-tools.sh installs them', () => {
  const kubeVersion = /^kubeVersion:\s*">=(\d+\.\d+)\.\d+(-0)?"$/m.exec(readFileSync(join(chartDir, 'Chart.yaml'), 'utf8'));
  assert.ok(kubeVersion, 'Chart.yaml kubeVersion is a lower bound');
  assert.equal(KUBERNETES_VERSIONS[0], `${kubeVersion[1]}.0`, 'the oldest version checked is the chart\'s lower bound');
  assert.equal(KUBERNETES_VERSIONS.at(-1), RENDER_KUBE_VERSION, 'the newest version checked is the one rendered for');
  const script = readFileSync(join(repoRoot, 'scripts', 'install-tools.sh'), 'utf8');
  assert.match(script, new RegExp(`^KUBERNETES_VERSIONS="${KUBERNETES_VERSIONS.join(' ')}"$`, 'm'));
});

test('the README\'s helm install on a bare cluster: no monitoring or KEDA objects, every object valid', () => {
  const objects = renderedBare('');
  assert.deepEqual(objects.filter((o) => CRD_KINDS.includes(o.kind)).map((o) => o.kind), []);
  assertValid('', true);
});

test('the chart has ci values files for the usual combinations', () => {
  const files = ciValuesFiles();
  for (const name of ['default', 'production', 'keda', 'geoipupdate', 'minimal', 'poller-shard', 'extras']) {
    assert.ok(files.includes(`${name}-values.yaml`), `ci/${name}-values.yaml is missing (have ${files.join(', ')})`);
  }
});

test('helm lint --strict passes with every ci values file', () => {
  for (const file of ciValuesFiles()) {
    const result = run(tool('helm'), ['lint', '--strict', chartDir, '-f', join(chartDir, 'ci', file)]);
    assert.equal(result.code, 0, `helm lint --strict -f ci/${file} failed:\n${result.out}`);
    assert.match(result.out, /1 chart\(s\) linted, 0 chart\(s\) failed/);
  }
});

for (const file of VALUES) {
  const name = file ? `ci/${file}` : 'the default values';
  test(`${name}: every rendered object is valid for Kubernetes ${KUBERNETES_VERSIONS.join(' and ')}, with and without the operators' APIs`, () => {
    assertValid(file, false);
    assertValid(file, true);
  });
}

test('the validation rejects what the API server would reject', () => {
  // The checks above must be able to fail: a misspelt field and a wrong type.
  const deployment = structuredClone(rendered('').find((o) => o.kind === 'Deployment')) as K8sObject;
  deployment.spec.template.spec.containers[0].imagePullPolcy = 'Always';
  deployment.spec.replicas = 'two';
  const result = kubeconform({ broken: [deployment] }, KUBERNETES_VERSIONS[0]);
  assert.notEqual(result.code, 0, result.out);
  assert.deepEqual(result.resources.map((r) => r.status), ['statusInvalid'], result.out);
  const monitor = structuredClone(rendered('').find((o) => o.kind === 'ServiceMonitor')) as K8sObject;
  monitor.spec.endpoints[0].port = 9464;
  assert.throws(() => new ServiceMonitor(monitor as never).validate());
});

test('values.schema.json rejects values the chart cannot use', () => {
  for (const set of ['enricher.geoip.source=bogus', 'kafka.sasl.mechanism=gssapi', 'kafka.partitions=0', 'unknownKey=1', 'poller.sites[0].name=Bad_Name']) {
    assert.throws(() => helmTemplate({ set: [set] }), /schema/, `--set ${set} was accepted`);
  }
});

test('the chart refuses incomplete secret settings with a message naming the value', () => {
  assert.throws(() => helmTemplate({ set: ['kafka.sasl.mechanism=plain'] }), /kafka\.sasl\.existingSecret is required/);
  assert.throws(() => helmTemplate({ set: ['enricher.geoip.source=updater'] }), /enricher\.geoip\.updater\.existingSecret is required/);
  assert.throws(() => helmTemplate({ set: ['enricher.geoip.source=volume'] }), /enricher\.geoip\.existingClaim/);
  assert.ok(parseObjects(helmTemplate({ set: ['enricher.geoip.source=volume', 'enricher.geoip.existingClaim=geoip'] })).length > 0);
});
