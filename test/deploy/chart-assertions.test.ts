/**
 * Assertions on the rendered chart, in the manner of helm-unittest: workloads,
 * security context, probes, secret references, autoscaling bounds, monitoring
 * labels, network policy and the config checksum.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { find, helmTemplate, one, parseObjects, rendered, type K8sObject } from './tools.js';

const STAGES = ['poller', 'enricher', 'sink'] as const;
const name = (stage: string) => `rel-pra-pipeline-${stage}`;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Any = any;

function podSpec(objects: readonly K8sObject[], stage: string): Any {
  return one(objects, 'Deployment', name(stage)).spec.template.spec;
}
function container(objects: readonly K8sObject[], stage: string): Any {
  const containers = podSpec(objects, stage).containers as Any[];
  const c = containers.find((x) => x.name === stage);
  assert.ok(c, `${stage}: no container named ${stage}`);
  return c;
}
function envOf(c: Any): Map<string, Any> {
  return new Map(((c.env ?? []) as Any[]).map((e) => [e.name, e]));
}

test('the default values render three workloads, one per stage, running `pra-pipeline <stage>`', () => {
  const objects = rendered('');
  const deployments = find(objects, 'Deployment');
  assert.deepEqual(deployments.map((d) => d.metadata.name).sort(), STAGES.map(name).sort());
  for (const stage of STAGES) {
    assert.deepEqual(container(objects, stage).args, [stage]);
    assert.equal(container(objects, stage).image, 'pra-pipeline:0.1.0');
  }
});

for (const file of ['', 'production-values.yaml', 'keda-values.yaml', 'geoipupdate-values.yaml', 'minimal-values.yaml', 'poller-shard-values.yaml']) {
  const label = file ? `ci/${file}` : 'default values';
  test(`${label}: every container runs as non-root with a read-only root filesystem and no capabilities`, () => {
    const objects = rendered(file);
    const deployments = find(objects, 'Deployment');
    assert.ok(deployments.length > 0);
    for (const d of deployments) {
      const spec = d.spec.template.spec;
      assert.equal(spec.securityContext.runAsNonRoot, true, `${d.metadata.name}: pod runAsNonRoot`);
      assert.equal(spec.securityContext.seccompProfile.type, 'RuntimeDefault', `${d.metadata.name}: seccomp`);
      assert.ok(spec.securityContext.runAsUser > 0, `${d.metadata.name}: runAsUser`);
      assert.equal(spec.automountServiceAccountToken, false, `${d.metadata.name}: no API token`);
      for (const c of [...(spec.initContainers ?? []), ...spec.containers] as Any[]) {
        const where = `${d.metadata.name}/${c.name}`;
        assert.equal(c.securityContext.runAsNonRoot, true, `${where}: runAsNonRoot`);
        assert.equal(c.securityContext.readOnlyRootFilesystem, true, `${where}: readOnlyRootFilesystem`);
        assert.equal(c.securityContext.allowPrivilegeEscalation, false, `${where}: allowPrivilegeEscalation`);
        assert.deepEqual(c.securityContext.capabilities.drop, ['ALL'], `${where}: capabilities`);
        assert.equal(c.securityContext.seccompProfile.type, 'RuntimeDefault', `${where}: seccomp`);
        // Read-only root: whatever the container writes goes to a mounted volume.
        assert.ok((c.volumeMounts as Any[]).some((m) => m.mountPath === '/tmp'), `${where}: /tmp is mounted`);
      }
    }
  });

  test(`${label}: probes hit /livez and /readyz on the operations port`, () => {
    const objects = rendered(file);
    for (const d of find(objects, 'Deployment')) {
      const stage = d.metadata.labels?.['app.kubernetes.io/component'] as string;
      const c = (d.spec.template.spec.containers as Any[]).find((x) => x.name === stage);
      assert.deepEqual(c.livenessProbe.httpGet, { path: '/livez', port: 'http-metrics' }, `${stage} liveness`);
      assert.deepEqual(c.readinessProbe.httpGet, { path: '/readyz', port: 'http-metrics' }, `${stage} readiness`);
      const port = (c.ports as Any[]).find((p) => p.name === 'http-metrics');
      assert.equal(port.containerPort, 9464);
      const config = one(objects, 'ConfigMap', d.metadata.name);
      assert.equal(config.data?.HTTP_PORT, '9464');
      assert.equal(config.data?.HTTP_HOST, '0.0.0.0', 'probes reach the pod IP only if the endpoint binds all addresses');
    }
  });
}

test('selector labels are stable: no chart version in any selector', () => {
  const objects = rendered('production-values.yaml');
  for (const d of find(objects, 'Deployment')) {
    const selector = d.spec.selector.matchLabels;
    assert.deepEqual(Object.keys(selector).sort(), ['app.kubernetes.io/component', 'app.kubernetes.io/instance', 'app.kubernetes.io/name']);
    for (const [k, v] of Object.entries(selector)) assert.equal(d.spec.template.metadata.labels[k], v);
    assert.ok(d.metadata.labels?.['helm.sh/chart'], 'objects carry helm.sh/chart');
    const service = one(objects, 'Service', d.metadata.name);
    assert.deepEqual(service.spec.selector, selector);
  }
  // Upgrading the chart or the app must not change a selector.
  const bumped = parseObjects(helmTemplate({ valuesFile: 'production-values.yaml', set: ['image.tag=9.9.9'] }));
  for (const d of find(objects, 'Deployment')) {
    assert.deepEqual(one(bumped, 'Deployment', d.metadata.name).spec.selector, d.spec.selector);
  }
});

test('the poller is one replica replaced with Recreate; the consumers roll without losing capacity', () => {
  const objects = rendered('production-values.yaml');
  const poller = one(objects, 'Deployment', name('poller'));
  assert.equal(poller.spec.replicas, 1);
  assert.equal(poller.spec.strategy.type, 'Recreate');
  assert.equal(find(objects, 'HorizontalPodAutoscaler', name('poller')).length, 0, 'no autoscaler for the poller');
  for (const stage of ['enricher', 'sink']) {
    const d = one(objects, 'Deployment', name(stage));
    assert.equal(d.spec.strategy.type, 'RollingUpdate');
    assert.equal(d.spec.strategy.rollingUpdate.maxUnavailable, 0);
  }
});

test('HPA bounds: the values, with the maximum capped at the partition count', () => {
  const prod = rendered('production-values.yaml'); // 12 partitions; enricher 3..12, sink 3..24
  const enricher = one(prod, 'HorizontalPodAutoscaler', name('enricher'));
  assert.equal(enricher.spec.minReplicas, 3);
  assert.equal(enricher.spec.maxReplicas, 12);
  assert.deepEqual(enricher.spec.scaleTargetRef, { apiVersion: 'apps/v1', kind: 'Deployment', name: name('enricher') });
  assert.equal(enricher.spec.metrics[0].resource.target.averageUtilization, 70);
  const sink = one(prod, 'HorizontalPodAutoscaler', name('sink'));
  assert.equal(sink.spec.minReplicas, 3);
  assert.equal(sink.spec.maxReplicas, 12, 'sink.autoscaling.maxReplicas 24 is capped at kafka.partitions 12');
  // With autoscaling the Deployment leaves replicas to the HPA.
  assert.equal(one(prod, 'Deployment', name('sink')).spec.replicas, undefined);

  const defaults = rendered('');
  assert.equal(one(defaults, 'HorizontalPodAutoscaler', name('enricher')).spec.minReplicas, 2);
  assert.equal(one(defaults, 'HorizontalPodAutoscaler', name('enricher')).spec.maxReplicas, 6);

  const minimal = rendered('minimal-values.yaml'); // 4 partitions, enricher.replicas 8, no autoscaling
  assert.equal(find(minimal, 'HorizontalPodAutoscaler').length, 0);
  assert.equal(one(minimal, 'Deployment', name('enricher')).spec.replicas, 4);
  assert.equal(one(minimal, 'Deployment', name('sink')).spec.replicas, 1);
});

test('KEDA: a ScaledObject on the consumer group lag replaces the HPA, capped at the partition count', () => {
  const objects = rendered('keda-values.yaml'); // 3 partitions, maxReplicas 10, SCRAM-SHA-256
  assert.equal(find(objects, 'HorizontalPodAutoscaler').length, 0);
  const cases = [
    ['enricher', 'pra-enricher', 'pra.raw.access-session.v1', '1000'],
    ['sink', 'pra-pipeline-sink', 'pra.ecs.access-session.v1', '5000'],
  ] as const;
  for (const [stage, group, topic, threshold] of cases) {
    const so = one(objects, 'ScaledObject', name(stage));
    assert.equal(so.spec.scaleTargetRef.name, name(stage));
    assert.equal(so.spec.minReplicaCount, 1);
    assert.equal(so.spec.maxReplicaCount, 3);
    const trigger = so.spec.triggers[0];
    assert.equal(trigger.type, 'kafka');
    assert.equal(trigger.metadata.consumerGroup, group);
    assert.equal(trigger.metadata.topic, topic);
    assert.equal(trigger.metadata.lagThreshold, threshold);
    assert.equal(trigger.metadata.sasl, 'scram_sha256');
    assert.equal(trigger.authenticationRef.name, name(stage));
    const auth = one(objects, 'TriggerAuthentication', name(stage));
    assert.deepEqual(
      (auth.spec.secretTargetRef as Any[]).map((r) => [r.parameter, r.name, r.key]),
      [['username', 'pra-pipeline-kafka', 'username'], ['password', 'pra-pipeline-kafka', 'password']],
    );
    // The consumer group KEDA watches is the one the stage joins.
    const config = one(objects, 'ConfigMap', name(stage)).data as Record<string, string>;
    assert.equal(config[stage === 'enricher' ? 'ENRICHER_GROUP_ID' : 'SINK_GROUP_ID'], group);
    assert.equal(config[stage === 'enricher' ? 'ENRICHER_INPUT_TOPIC' : 'SINK_TOPIC'], topic);
  }
});

test('secrets come only from existing Secrets, by reference', () => {
  const objects = rendered('production-values.yaml');
  assert.equal(find(objects, 'Secret').length, 0, 'the chart creates no Secret');
  for (const stage of STAGES) {
    const env = envOf(container(objects, stage));
    assert.deepEqual(env.get('KAFKA_SASL_USERNAME').valueFrom.secretKeyRef, { name: 'pra-pipeline-kafka', key: 'username' });
    assert.deepEqual(env.get('KAFKA_SASL_PASSWORD').valueFrom.secretKeyRef, { name: 'pra-pipeline-kafka', key: 'password' });
    const config = one(objects, 'ConfigMap', name(stage)).data as Record<string, string>;
    for (const key of Object.keys(config)) {
      assert.doesNotMatch(key, /PASSWORD$|API_KEY$|CLIENT_SECRET$|TOKEN$/, `${stage}: ${key} is a secret in a ConfigMap`);
    }
  }
  const sink = envOf(container(objects, 'sink'));
  assert.deepEqual(sink.get('ES_API_KEY').valueFrom.secretKeyRef, { name: 'pra-pipeline-es', key: 'api-key' });
  for (const stage of ['enricher', 'sink']) {
    assert.deepEqual(envOf(container(objects, stage)).get('SCHEMA_REGISTRY_PASSWORD').valueFrom.secretKeyRef, { name: 'pra-pipeline-registry', key: 'password' });
  }
  assert.equal(envOf(container(objects, 'poller')).has('SCHEMA_REGISTRY_PASSWORD'), false, 'the poller does not use the registry');

  // PRA client secrets: one Secret per site, mounted as a file the site's JSON names.
  const poller = podSpec(objects, 'poller');
  const sites = JSON.parse((one(objects, 'ConfigMap', name('poller')).data as Record<string, string>).PRA_SITES as string) as Any[];
  assert.deepEqual(sites.map((s) => s.name), ['eu', 'us']);
  for (const [site, secret] of [['eu', 'pra-eu-api'], ['us', 'pra-us-api']] as const) {
    const volume = (poller.volumes as Any[]).find((v) => v.name === `site-${site}`);
    assert.equal(volume.secret.secretName, secret);
    const mount = (poller.containers[0].volumeMounts as Any[]).find((m) => m.name === `site-${site}`);
    assert.equal(mount.readOnly, true);
    const entry = sites.find((s) => s.name === site);
    assert.equal(entry.client_secret_file, `${mount.mountPath}/client-secret`);
    assert.equal(entry.client_secret, undefined);
  }
  // Without SASL no credentials are referenced at all.
  const plain = envOf(container(rendered(''), 'sink'));
  assert.equal(plain.has('KAFKA_SASL_PASSWORD'), false);
  assert.equal(plain.has('PIPELINE_SIGNING_KEY'), false);
});

test('record signing: the enricher and the sink get the same key from one Secret; the poller none', () => {
  const objects = rendered('production-values.yaml');
  for (const stage of ['enricher', 'sink']) {
    assert.deepEqual(envOf(container(objects, stage)).get('PIPELINE_SIGNING_KEY').valueFrom.secretKeyRef, { name: 'pra-pipeline-signing', key: 'signing-key' });
  }
  assert.equal(envOf(container(objects, 'poller')).has('PIPELINE_SIGNING_KEY'), false);
});

test('the sink\'s site namespaces come from the poller\'s sites, or from sink.siteNamespaces', () => {
  const sinkConfig = (objects: readonly K8sObject[]) => one(objects, 'ConfigMap', name('sink')).data as Record<string, string>;
  assert.equal(sinkConfig(rendered('production-values.yaml')).SINK_SITE_NAMESPACES, 'eu=prod_eu,us=prod');
  assert.equal(sinkConfig(rendered('')).SINK_SITE_NAMESPACES, undefined, 'no sites, no map');
  const explicit = parseObjects(helmTemplate({ set: ['sink.siteNamespaces.b=tenant_b', 'sink.siteNamespaces.a=tenant_a'] }));
  assert.equal(sinkConfig(explicit).SINK_SITE_NAMESPACES, 'a=tenant_a,b=tenant_b');
});

test('extra env, envFrom and the env map reach the container', () => {
  const objects = rendered('production-values.yaml');
  const enricher = container(objects, 'enricher');
  assert.deepEqual(envOf(enricher).get('GEOIP_CACHE_SIZE').valueFrom.configMapKeyRef, { name: 'enricher-tuning', key: 'geoip-cache-size' });
  assert.deepEqual(enricher.envFrom, [{ configMapRef: { name: name('enricher') } }, { configMapRef: { name: 'enricher-overrides' } }]);
  assert.equal((one(objects, 'ConfigMap', name('poller')).data as Record<string, string>).LOG_LEVEL, 'debug');
});

test('checksum/config changes exactly when the stage configuration changes', () => {
  const checksum = (objects: readonly K8sObject[], stage: string) =>
    one(objects, 'Deployment', name(stage)).spec.template.metadata.annotations['checksum/config'] as string;
  const base = rendered('production-values.yaml');
  for (const stage of STAGES) assert.match(checksum(base, stage), /^[0-9a-f]{64}$/);
  const changed = parseObjects(helmTemplate({ valuesFile: 'production-values.yaml', set: ['sink.env.BULK_MAX_DOCUMENTS=500'] }));
  assert.notEqual(checksum(changed, 'sink'), checksum(base, 'sink'));
  assert.equal(checksum(changed, 'enricher'), checksum(base, 'enricher'));
  assert.equal(checksum(changed, 'poller'), checksum(base, 'poller'));
});

test('a Service and a ServiceMonitor per stage, with the labels Prometheus selects', () => {
  const objects = rendered('production-values.yaml');
  for (const stage of STAGES) {
    const sm = one(objects, 'ServiceMonitor', name(stage));
    assert.equal(sm.metadata.labels?.release, 'kube-prometheus-stack');
    assert.equal(sm.metadata.labels?.['app.kubernetes.io/component'], stage);
    assert.deepEqual(sm.spec.selector.matchLabels, one(objects, 'Service', name(stage)).spec.selector);
    assert.deepEqual(sm.spec.endpoints, [{ port: 'http-metrics', path: '/metrics', interval: '30s', scrapeTimeout: '10s' }]);
    assert.equal(sm.spec.jobLabel, 'app.kubernetes.io/component', 'job = stage, as in deploy/prometheus');
    assert.deepEqual(one(objects, 'Service', name(stage)).spec.ports, [{ name: 'http-metrics', port: 9464, targetPort: 'http-metrics', protocol: 'TCP' }]);
  }
  assert.equal(one(objects, 'PrometheusRule', 'rel-pra-pipeline').metadata.labels?.release, 'kube-prometheus-stack');
  assert.equal(find(rendered('minimal-values.yaml'), 'ServiceMonitor').length, 0);
  assert.equal(find(rendered('minimal-values.yaml'), 'PrometheusRule').length, 0);
});

test('PodDisruptionBudgets: consumers keep capacity, the single poller can still be drained', () => {
  const objects = rendered('');
  for (const stage of ['enricher', 'sink']) {
    const pdb = one(objects, 'PodDisruptionBudget', name(stage));
    assert.equal(pdb.spec.maxUnavailable, 1);
    assert.deepEqual(pdb.spec.selector.matchLabels, one(objects, 'Deployment', name(stage)).spec.selector.matchLabels);
  }
  assert.equal(one(objects, 'PodDisruptionBudget', name('poller')).spec.maxUnavailable, 1);
  assert.equal(find(rendered('minimal-values.yaml'), 'PodDisruptionBudget', name('sink')).length, 0);
});

test('NetworkPolicy: egress only to DNS, Kafka and each stage\'s own dependencies', () => {
  const objects = rendered('production-values.yaml');
  const ports = (stage: string) =>
    (one(objects, 'NetworkPolicy', name(stage)).spec.egress as Any[]).map((r) => (r.ports as Any[]).map((p) => `${p.protocol}/${p.port}`).join('+'));
  assert.deepEqual(ports('poller'), ['UDP/53+TCP/53', 'TCP/9093', 'TCP/443']);
  assert.deepEqual(ports('enricher'), ['UDP/53+TCP/53', 'TCP/9093', 'TCP/8080']);
  assert.deepEqual(ports('sink'), ['UDP/53+TCP/53', 'TCP/9093', 'TCP/8080', 'TCP/9200']);
  for (const stage of STAGES) {
    const np = one(objects, 'NetworkPolicy', name(stage));
    assert.deepEqual(np.spec.policyTypes, ['Ingress', 'Egress']);
    assert.deepEqual(np.spec.podSelector.matchLabels, one(objects, 'Deployment', name(stage)).spec.selector.matchLabels);
    assert.deepEqual(np.spec.ingress[0].from, [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } }]);
    // Every egress rule except DNS names its destinations in this file.
    for (const rule of (np.spec.egress as Any[]).slice(1)) assert.ok(rule.to?.length > 0, `${stage}: ${JSON.stringify(rule)}`);
  }
  assert.deepEqual(one(objects, 'NetworkPolicy', name('poller')).spec.egress[2].to, [{ ipBlock: { cidr: '203.0.113.0/24' } }]);
  // The geoipupdate sidecar needs MaxMind; only then is it allowed.
  const updater = rendered('geoipupdate-values.yaml');
  assert.equal((one(updater, 'NetworkPolicy', name('enricher')).spec.egress as Any[]).length, 4);
  assert.equal(find(rendered('minimal-values.yaml'), 'NetworkPolicy').length, 0);
});

test('GeoIP: a read-only volume at GEOIP_DIR, from a PVC or from geoipupdate', () => {
  const prod = rendered('production-values.yaml');
  const spec = podSpec(prod, 'enricher');
  assert.deepEqual((spec.volumes as Any[]).find((v) => v.name === 'geoip').persistentVolumeClaim, { claimName: 'geoip-databases', readOnly: true });
  const mount = (container(prod, 'enricher').volumeMounts as Any[]).find((m) => m.name === 'geoip');
  assert.equal(mount.readOnly, true);
  assert.equal((one(prod, 'ConfigMap', name('enricher')).data as Record<string, string>).GEOIP_DIR, mount.mountPath);

  const minimal = rendered('minimal-values.yaml');
  const pvc = one(minimal, 'PersistentVolumeClaim', 'rel-pra-pipeline-geoip');
  assert.equal(pvc.metadata.annotations?.['helm.sh/resource-policy'], 'keep');
  assert.equal((podSpec(minimal, 'enricher').volumes as Any[]).find((v) => v.name === 'geoip').persistentVolumeClaim.claimName, 'rel-pra-pipeline-geoip');

  const updater = rendered('geoipupdate-values.yaml');
  const u = podSpec(updater, 'enricher');
  assert.deepEqual((u.initContainers as Any[]).map((c) => c.name), ['geoipupdate-init']);
  const sidecar = (u.containers as Any[]).find((c) => c.name === 'geoipupdate');
  const sidecarEnv = envOf(sidecar);
  assert.deepEqual(sidecarEnv.get('GEOIPUPDATE_ACCOUNT_ID').valueFrom.secretKeyRef, { name: 'maxmind-licence', key: 'account-id' });
  assert.equal(sidecarEnv.get('GEOIPUPDATE_LICENSE_KEY_FILE').value, '/etc/geoipupdate/license-key');
  assert.equal(sidecarEnv.get('GEOIPUPDATE_FREQUENCY').value, '72');
  assert.equal(envOf(u.initContainers[0]).has('GEOIPUPDATE_FREQUENCY'), false, 'the init container runs once');
  assert.equal((u.volumes as Any[]).find((v) => v.name === 'geoip-license').secret.secretName, 'maxmind-licence');
  assert.equal((sidecar.volumeMounts as Any[]).find((m) => m.name === 'geoip').readOnly, undefined, 'the updater writes the files');

  const none = rendered('');
  assert.equal((one(none, 'ConfigMap', name('enricher')).data as Record<string, string>).GEOIP_DIR, undefined);
  assert.equal((podSpec(none, 'enricher').volumes as Any[]).some((v) => v.name === 'geoip'), false);
});

test('poller sharding: a release with only pollers renders no consumers and no rules', () => {
  const objects = rendered('poller-shard-values.yaml');
  assert.deepEqual(find(objects, 'Deployment').map((d) => d.metadata.name), ['pra-poller-shard-b-poller']);
  assert.equal(find(objects, 'PrometheusRule').length, 0);
  const sites = JSON.parse((one(objects, 'ConfigMap', 'pra-poller-shard-b-poller').data as Record<string, string>).PRA_SITES as string) as Any[];
  assert.deepEqual(sites.map((s) => s.name), ['apac-1', 'apac-2']);
});

test('SHUTDOWN_GRACE leaves time before the kubelet kills the pod', () => {
  const objects = parseObjects(helmTemplate({ set: ['terminationGracePeriodSeconds=60'] }));
  for (const stage of STAGES) {
    assert.equal(one(objects, 'Deployment', name(stage)).spec.template.spec.terminationGracePeriodSeconds, 60);
    assert.equal((one(objects, 'ConfigMap', name(stage)).data as Record<string, string>).SHUTDOWN_GRACE, '55s');
  }
});
