/**
 * Chart unit tests over `helm template` output, one toggle at a time: the
 * Prometheus Operator and KEDA objects only when enabled and their API is
 * served, the image registry, topology spread, extra volumes, the startup
 * probe, ServiceMonitor relabelings and extra objects.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OPERATOR_APIS, find, helmTemplate, one, parseObjects, type K8sObject, type TemplateOptions } from './tools.js';

const SITE = [
  'poller.sites[0].name=lab',
  'poller.sites[0].url=https://pra-lab.example.com',
  'poller.sites[0].clientId=lab',
  'poller.sites[0].clientSecret.existingSecret=pra-lab-api',
];
const name = (stage: string) => `rel-pra-pipeline-${stage}`;
const render = (options: TemplateOptions = {}) => parseObjects(helmTemplate({ ...options, set: [...SITE, ...(options.set ?? [])] }));
const kinds = (objects: readonly K8sObject[]) => new Set(objects.map((o) => o.kind));
const podSpec = (objects: readonly K8sObject[], stage: string) => one(objects, 'Deployment', name(stage)).spec.template.spec;
const container = (objects: readonly K8sObject[], stage: string) =>
  (podSpec(objects, stage).containers as { name: string; [k: string]: unknown }[]).find((c) => c.name === stage) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const BARE: readonly string[] = [];
const MONITORING_ONLY = OPERATOR_APIS.filter((a) => a.startsWith('monitoring.'));
const KEDA_ONLY = OPERATOR_APIS.filter((a) => a.startsWith('keda.'));

test('a bare cluster (no Prometheus Operator, no KEDA): the defaults render no ServiceMonitor, PrometheusRule or ScaledObject', () => {
  const objects = render({ apiVersions: BARE });
  for (const kind of ['ServiceMonitor', 'PrometheusRule', 'ScaledObject', 'TriggerAuthentication']) assert.ok(!kinds(objects).has(kind), kind);
  assert.ok(find(objects, 'Deployment').length === 3 && find(objects, 'HorizontalPodAutoscaler').length === 2);
  // The README's command takes no --set at all.
  const readme = parseObjects(helmTemplate({ apiVersions: BARE }));
  assert.deepEqual([...kinds(readme)].filter((k) => k.includes('Monitor') || k.includes('Rule') || k.includes('Scaled')), []);
});

test('metrics.serviceMonitor: rendered only when enabled and monitoring.coreos.com/v1 is served', () => {
  assert.equal(find(render({ apiVersions: MONITORING_ONLY }), 'ServiceMonitor').length, 3, 'enabled, API present: one per stage');
  assert.equal(find(render({ apiVersions: BARE }), 'ServiceMonitor').length, 0, 'enabled, API absent');
  assert.equal(find(render({ apiVersions: MONITORING_ONLY, set: ['metrics.serviceMonitor.enabled=false'] }), 'ServiceMonitor').length, 0, 'disabled, API present');
  assert.equal(find(render({ apiVersions: KEDA_ONLY }), 'ServiceMonitor').length, 0, 'another API does not count');
});

test('metrics.prometheusRule: rendered only when enabled and its API is served', () => {
  assert.equal(find(render({ apiVersions: MONITORING_ONLY }), 'PrometheusRule').length, 1);
  assert.equal(find(render({ apiVersions: BARE }), 'PrometheusRule').length, 0);
  assert.equal(find(render({ apiVersions: ['monitoring.coreos.com/v1/ServiceMonitor'] }), 'PrometheusRule').length, 0, 'the ServiceMonitor API alone');
  assert.equal(find(render({ apiVersions: MONITORING_ONLY, set: ['metrics.prometheusRule.enabled=false'] }), 'PrometheusRule').length, 0);
});

test('KEDA: a ScaledObject replaces the HPA only where keda.sh/v1alpha1 is served; elsewhere the HPA or fixed replicas apply', () => {
  const keda = ['enricher.keda.enabled=true'];
  const withKeda = render({ apiVersions: KEDA_ONLY, set: keda });
  assert.equal(one(withKeda, 'ScaledObject', name('enricher')).spec.scaleTargetRef.name, name('enricher'));
  assert.equal(find(withKeda, 'HorizontalPodAutoscaler', name('enricher')).length, 0);
  assert.equal(find(withKeda, 'HorizontalPodAutoscaler', name('sink')).length, 1, 'the sink keeps its HPA');
  assert.equal(one(withKeda, 'Deployment', name('enricher')).spec.replicas, undefined, 'KEDA owns the replicas');

  const bare = render({ apiVersions: BARE, set: keda });
  assert.equal(find(bare, 'ScaledObject').length, 0);
  assert.equal(one(bare, 'HorizontalPodAutoscaler', name('enricher')).spec.scaleTargetRef.name, name('enricher'), 'falls back to the HPA');

  const fixed = render({ apiVersions: BARE, set: [...keda, 'enricher.autoscaling.enabled=false', 'enricher.replicas=3'] });
  assert.equal(find(fixed, 'HorizontalPodAutoscaler', name('enricher')).length, 0);
  assert.equal(one(fixed, 'Deployment', name('enricher')).spec.replicas, 3, 'neither KEDA nor an HPA: the fixed replicas');

  const sasl = render({ apiVersions: KEDA_ONLY, set: [...keda, 'kafka.sasl.mechanism=plain', 'kafka.sasl.existingSecret=kafka-creds'] });
  assert.equal(find(sasl, 'TriggerAuthentication', name('enricher')).length, 1);
  assert.equal(find(render({ apiVersions: BARE, set: [...keda, 'kafka.sasl.mechanism=plain', 'kafka.sasl.existingSecret=kafka-creds'] }), 'TriggerAuthentication').length, 0);
});

test('image.registry and global.imageRegistry: global first, then the image\'s own, else none', () => {
  const image = (set: string[], stage = 'sink') => container(render({ set }), stage).image as string;
  assert.equal(image([]), 'pra-pipeline:0.1.0');
  assert.equal(image(['image.registry=registry.example.com']), 'registry.example.com/pra-pipeline:0.1.0');
  assert.equal(image(['image.registry=registry.example.com', 'global.imageRegistry=mirror.example.com/cache/']), 'mirror.example.com/cache/pra-pipeline:0.1.0');
  assert.equal(image(['image.registry=registry.example.com', 'image.digest=sha256:' + 'a'.repeat(64)]), `registry.example.com/pra-pipeline@sha256:${'a'.repeat(64)}`);
  const geoip = (set: string[]) => {
    const spec = podSpec(render({ set: ['enricher.geoip.source=updater', 'enricher.geoip.updater.existingSecret=maxmind', ...set] }), 'enricher');
    return [spec.initContainers[0].image, spec.containers.find((c: { name: string }) => c.name === 'geoipupdate').image];
  };
  assert.deepEqual(geoip([]), ['ghcr.io/maxmind/geoipupdate:v7.1.0', 'ghcr.io/maxmind/geoipupdate:v7.1.0']);
  assert.deepEqual(geoip(['global.imageRegistry=mirror.example.com']), ['mirror.example.com/maxmind/geoipupdate:v7.1.0', 'mirror.example.com/maxmind/geoipupdate:v7.1.0']);
});

test('topologySpreadConstraints: per stage, the stage\'s selector filled in where the constraint has none', () => {
  assert.equal(podSpec(render(), 'sink').topologySpreadConstraints, undefined, 'none by default');
  const objects = render({
    set: [
      'sink.topologySpreadConstraints[0].maxSkew=1',
      'sink.topologySpreadConstraints[0].topologyKey=topology.kubernetes.io/zone',
      'sink.topologySpreadConstraints[0].whenUnsatisfiable=ScheduleAnyway',
      'sink.topologySpreadConstraints[1].maxSkew=2',
      'sink.topologySpreadConstraints[1].topologyKey=kubernetes.io/hostname',
      'sink.topologySpreadConstraints[1].whenUnsatisfiable=DoNotSchedule',
      'sink.topologySpreadConstraints[1].labelSelector.matchLabels.tier=ingest',
    ],
  });
  const [zone, host] = podSpec(objects, 'sink').topologySpreadConstraints;
  assert.deepEqual(zone, {
    maxSkew: 1,
    topologyKey: 'topology.kubernetes.io/zone',
    whenUnsatisfiable: 'ScheduleAnyway',
    labelSelector: { matchLabels: one(objects, 'Deployment', name('sink')).spec.selector.matchLabels },
  });
  assert.deepEqual(host.labelSelector, { matchLabels: { tier: 'ingest' } }, 'an explicit selector is kept as it is');
  assert.equal(podSpec(objects, 'enricher').topologySpreadConstraints, undefined, 'other stages are not touched');
});

test('extraVolumes and extraVolumeMounts: added to the stage\'s pod and container, templated', () => {
  const objects = render({
    set: ['enricher.extraVolumes[0].name=ca', 'enricher.extraVolumes[0].configMap.name=pra-ca', 'enricher.extraVolumeMounts[0].name=ca', 'enricher.extraVolumeMounts[0].mountPath=/etc/ca', 'enricher.extraVolumeMounts[0].readOnly=true'],
  });
  const volumes = podSpec(objects, 'enricher').volumes as { name: string }[];
  assert.deepEqual(volumes.find((v) => v.name === 'ca'), { name: 'ca', configMap: { name: 'pra-ca' } });
  assert.ok(volumes.some((v) => v.name === 'tmp'), 'the chart\'s own volumes stay');
  assert.deepEqual((container(objects, 'enricher').volumeMounts as { name: string }[]).find((m) => m.name === 'ca'), { name: 'ca', mountPath: '/etc/ca', readOnly: true });
  assert.ok(!(podSpec(objects, 'sink').volumes as { name: string }[]).some((v) => v.name === 'ca'));
  const templated = podSpec(parseObjects(helmTemplate({ valuesFile: 'extras-values.yaml' })), 'poller').volumes as { name: string; configMap?: { name: string } }[];
  assert.equal(templated.find((v) => v.name === 'corporate-ca')?.configMap?.name, 'rel-corporate-ca', 'values are templated');
});

test('probes.startup: a startup probe on /livez by default, none when disabled', () => {
  const probe = container(render(), 'poller').startupProbe;
  assert.deepEqual(probe, { httpGet: { path: '/livez', port: 'http-metrics' }, periodSeconds: 5, timeoutSeconds: 3, failureThreshold: 30 });
  assert.equal(container(render({ set: ['probes.startup.failureThreshold=60'] }), 'sink').startupProbe.failureThreshold, 60);
  for (const stage of ['poller', 'enricher', 'sink']) assert.equal(container(render({ set: ['probes.startup.enabled=false'] }), stage).startupProbe, undefined, stage);
});

test('metrics.serviceMonitor relabelings and metricRelabelings reach every endpoint', () => {
  const plain = find(render({ apiVersions: MONITORING_ONLY }), 'ServiceMonitor');
  assert.ok(plain.every((m) => !('relabelings' in m.spec.endpoints[0]) && !('metricRelabelings' in m.spec.endpoints[0])));
  const monitors = find(
    render({
      apiVersions: MONITORING_ONLY,
      set: [
        'metrics.serviceMonitor.relabelings[0].action=replace',
        'metrics.serviceMonitor.relabelings[0].sourceLabels[0]=__meta_kubernetes_pod_node_name',
        'metrics.serviceMonitor.relabelings[0].targetLabel=node',
        'metrics.serviceMonitor.metricRelabelings[0].action=drop',
        'metrics.serviceMonitor.metricRelabelings[0].regex=nodejs_gc_.*',
        'metrics.serviceMonitor.metricRelabelings[0].sourceLabels[0]=__name__',
      ],
    }),
    'ServiceMonitor',
  );
  assert.equal(monitors.length, 3);
  for (const m of monitors) {
    assert.deepEqual(m.spec.endpoints[0].relabelings, [{ action: 'replace', sourceLabels: ['__meta_kubernetes_pod_node_name'], targetLabel: 'node' }]);
    assert.deepEqual(m.spec.endpoints[0].metricRelabelings, [{ action: 'drop', regex: 'nodejs_gc_.*', sourceLabels: ['__name__'] }]);
  }
});

test('extraObjects: maps and strings, templated, rendered with the release', () => {
  const objects = parseObjects(helmTemplate({ valuesFile: 'extras-values.yaml' }));
  assert.deepEqual(one(objects, 'ConfigMap', 'rel-pra-pipeline-extra').data, { release: 'rel' });
  assert.equal(one(objects, 'Secret', 'rel-placeholder').type, 'Opaque');
  const none = render();
  assert.equal(find(none, 'Secret').length, 0);
  assert.equal(find(none, 'ConfigMap').length, 3, 'one per stage and nothing else by default');
});

test('schemaRegistry.compatibility and autoRegister reach the enricher as SCHEMA_COMPATIBILITY and SCHEMA_AUTO_REGISTER', () => {
  const config = (set: string[] = []) => one(render({ set }), 'ConfigMap', name('enricher')).data as Record<string, string>;
  assert.deepEqual([config().SCHEMA_COMPATIBILITY, config().SCHEMA_AUTO_REGISTER], ['FORWARD_TRANSITIVE', 'true']);
  assert.deepEqual([config(['schemaRegistry.compatibility=FULL_TRANSITIVE', 'schemaRegistry.autoRegister=false']).SCHEMA_COMPATIBILITY, config(['schemaRegistry.autoRegister=false']).SCHEMA_AUTO_REGISTER], ['FULL_TRANSITIVE', 'false']);
  assert.equal((one(render(), 'ConfigMap', name('sink')).data as Record<string, string>).SCHEMA_COMPATIBILITY, undefined, 'only the enricher registers');
  assert.throws(() => helmTemplate({ set: ['schemaRegistry.compatibility=SIDEWAYS'] }), /schema/);
});

test('logFormat reaches every stage as LOG_FORMAT', () => {
  for (const [set, want] of [[[], 'json'], [['logFormat=ecs'], 'ecs']] as const) {
    const objects = render({ set: [...set] });
    for (const stage of ['poller', 'enricher', 'sink']) assert.equal((one(objects, 'ConfigMap', name(stage)).data as Record<string, string>).LOG_FORMAT, want, stage);
  }
  assert.throws(() => helmTemplate({ set: ['logFormat=xml'] }), /schema/);
});
