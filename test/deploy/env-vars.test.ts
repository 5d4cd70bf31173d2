/**
 * Every variable the chart and docker-compose.yml give the services exists in
 * that service's configuration schema, and the whole set passes the service's
 * own configuration loader, the one that runs at start.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeSchema, type Schema } from '@pra-pipeline/shared';
import { loadPollerConfig, pollerVars } from '@pra-pipeline/poller';
import { enricherSchema, loadEnricherConfig } from '@pra-pipeline/enricher';
import { loadSinkConfig, sinkSchema } from '@pra-pipeline/sink';
import { parseSimulatorArgs } from '@pra-pipeline/pra-simulator';
import { ciValuesFiles, find, one, rendered, type K8sObject } from './tools.js';
import { composeInterpolated, serviceEnv } from './compose-file.js';

type Stage = 'poller' | 'enricher' | 'sink';
const SCHEMAS: Record<Stage, Schema> = { poller: pollerVars, enricher: enricherSchema, sink: sinkSchema };
const LOADERS: Record<Stage, (env: Record<string, string>) => unknown> = {
  // Secret files are not there in a test; any readable content will do.
  poller: (env) => loadPollerConfig({ env, readFile: () => 'file-content' }),
  enricher: (env) => loadEnricherConfig({ env, readFile: () => 'file-content' }),
  sink: (env) => loadSinkConfig({ env, readFile: () => 'file-content' }),
};

function known(stage: Stage): Set<string> {
  const names = describeSchema(SCHEMAS[stage]).map((row) => row.name);
  return new Set([...names, ...names.map((n) => `${n}_FILE`)]);
}

function unknownVariables(stage: Stage, names: Iterable<string>): string[] {
  const accepted = known(stage);
  return [...names].filter((n) => !accepted.has(n));
}

test('the schemas are the services\' own (sanity: a made-up name is unknown)', () => {
  assert.deepEqual(unknownVariables('sink', ['ES_NODE', 'ES_API_KEY_FILE', 'KAFKA_BROKERS', 'ES_NODES']), ['ES_NODES']);
  assert.throws(() => LOADERS.sink({ KAFKA_BROKERS: 'k:9092', SCHEMA_REGISTRY_URL: 'http://r', ES_NODE: 'http://e:9200', BULK_MAX_BYTES: 'lots' }), /BULK_MAX_BYTES/);
});

/** The variables a rendered stage gets: its ConfigMap, its env entries, secret references as placeholders. */
function chartEnv(objects: readonly K8sObject[], deployment: K8sObject, stage: Stage): Record<string, string> {
  const c = (deployment.spec.template.spec.containers as { name: string; env?: { name: string; value?: string }[]; envFrom?: { configMapRef?: { name: string } }[] }[])
    .find((x) => x.name === stage);
  assert.ok(c, `${deployment.metadata.name}: no ${stage} container`);
  const env: Record<string, string> = {};
  for (const source of c.envFrom ?? []) {
    const name = source.configMapRef?.name;
    const map = name ? find(objects, 'ConfigMap', name)[0] : undefined;
    // envFrom sources the chart does not render (the user's own) hold unknown names.
    if (map) Object.assign(env, map.data);
  }
  // A secret's placeholder is as long as a signing key must be (PIPELINE_SIGNING_KEY: 32 bytes).
  for (const e of c.env ?? []) env[e.name] = e.value ?? (e.name === 'GEOIP_CACHE_SIZE' ? '5000' : 'from-a-secret-of-at-least-32-bytes');
  return env;
}

for (const file of ['', ...ciValuesFiles()]) {
  const label = file ? `ci/${file}` : 'default values';
  test(`chart (${label}): every variable exists in the stage's schema and the set loads`, () => {
    const objects = rendered(file);
    const deployments = find(objects, 'Deployment');
    assert.ok(deployments.length > 0);
    for (const d of deployments) {
      const stage = d.metadata.labels?.['app.kubernetes.io/component'] as Stage;
      assert.ok(stage in SCHEMAS, `${d.metadata.name}: unknown stage ${stage}`);
      const env = chartEnv(objects, d, stage);
      assert.deepEqual(unknownVariables(stage, Object.keys(env)), [], `${label}: ${stage} gets variables its schema does not have`);
      if (stage === 'poller' && env.PRA_SITES === undefined) {
        // No sites configured (the chart's defaults): the poller must say so by name.
        assert.throws(() => LOADERS.poller(env), /PRA_URL|PRA_SITES/);
        continue;
      }
      assert.doesNotThrow(() => LOADERS[stage](env), `${label}: the ${stage} rejects the chart's configuration`);
    }
  });
}

test('chart: the sites\' JSON names the secret files the pod mounts', () => {
  const objects = rendered('production-values.yaml');
  const env = chartEnv(objects, one(objects, 'Deployment', 'rel-pra-pipeline-poller'), 'poller');
  const files: string[] = [];
  const config = loadPollerConfig({ env, readFile: (path) => (files.push(path), `secret-of-${path}`) });
  assert.deepEqual(config.sites.map((s) => [s.name, s.clientId, s.clientSecret]), [
    ['eu', 'eu-client', 'secret-of-/etc/pra-pipeline/sites/eu/client-secret'],
    ['us', 'us-client', 'secret-of-/etc/pra-pipeline/sites/us/client-secret'],
  ]);
  assert.equal(config.sites[0]?.intervalMs, 60_000, 'site options reach the poller');
  assert.equal(config.sites[1]?.namespace, 'prod');
});

test('docker compose: every variable exists in the service\'s schema and the set loads', () => {
  const compose = composeInterpolated();
  for (const stage of ['poller', 'enricher', 'sink'] as const) {
    const service = compose.services[stage];
    assert.ok(service, `docker-compose.yml has no ${stage} service`);
    assert.deepEqual(service.command, [stage]);
    const env = serviceEnv(service);
    assert.deepEqual(unknownVariables(stage, Object.keys(env)), [], `${stage} in docker-compose.yml`);
    assert.doesNotThrow(() => LOADERS[stage](env), `the ${stage} rejects docker-compose.yml's configuration`);
  }
});

test('docker compose: the simulator\'s flags are the simulator\'s, and the poller polls it with its credentials', () => {
  const compose = composeInterpolated();
  const [command, ...args] = compose.services.simulator.command as string[];
  assert.equal(command, 'simulator');
  const settings = parseSimulatorArgs(args);
  const poller = serviceEnv(compose.services.poller);
  const config = loadPollerConfig({ env: poller });
  const site = config.sites[0];
  assert.ok(site);
  assert.equal(site.url, `http://simulator:${args.find((a) => a.startsWith('--port='))?.slice('--port='.length)}`);
  const first = settings.options.sites?.[0];
  assert.ok(first, JSON.stringify(settings.options));
  assert.deepEqual([site.name, site.clientId, site.clientSecret], [first.name, first.clientId, first.clientSecret]);
  assert.ok(args.includes('--host=0.0.0.0'), 'the simulator must listen beyond loopback in a container');
});
