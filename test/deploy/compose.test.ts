/**
 * docker-compose.yml against the Compose specification schema (the copy dclint
 * ships, so no network), dclint's rules, and what `docker compose up` needs to
 * work the first time: health checks, start order, volumes, GeoIP mount,
 * Prometheus and Grafana wiring, and .env.example.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Ajv } from 'ajv';
import { parse } from 'yaml';
import { repoRoot, run, tool } from './tools.js';
import { composeInterpolated, composeRaw, composeText, composeVariables, serviceEnv, type Compose } from './compose-file.js';
import { kibanaSetupCommand } from '../../src/commands/kibana-setup.js';
import { savedObjects } from '../../src/kibana/content.js';

const require = createRequire(import.meta.url);
const dclintDir = dirname(require.resolve('dclint/package.json'));
// Draft-07, which ajv speaks by default; its "$schema" spelling (https, no "#") is not one ajv knows by name.
const { $schema: _draft, ...composeSchema } = JSON.parse(readFileSync(join(dclintDir, 'schemas', 'compose.schema.json'), 'utf8')) as Record<string, unknown>;

function validator() {
  const ajv = new Ajv({ allErrors: true, strict: false });
  return ajv.compile(composeSchema);
}

test('docker-compose.yml is valid against the Compose specification schema', () => {
  const validate = validator();
  for (const [label, doc] of [['as written', composeRaw()], ['interpolated', composeInterpolated()]] as const) {
    const ok = validate(doc);
    assert.ok(ok, `${label}: ${JSON.stringify(validate.errors, null, 2)}`);
  }
  // The schema check can fail: a misspelt key and a wrong type are caught.
  const broken = structuredClone(composeRaw()) as Compose;
  broken.services.sink.depend_on = broken.services.sink.depends_on;
  broken.services.kafka.healthcheck.retries = 'many';
  assert.equal(validate(broken), false);
});

test('dclint finds no errors in docker-compose.yml', () => {
  const result = run(process.execPath, [join(dclintDir, 'bin', 'dclint.cjs'), 'docker-compose.yml']);
  assert.doesNotMatch(result.out, /[1-9]\d* errors?/, result.out);
  assert.equal(result.code, 0, result.out);
});

const EXPECTED = ['kafka', 'apicurio', 'elasticsearch', 'kibana', 'simulator', 'poller', 'enricher', 'sink', 'prometheus', 'grafana'];

test('the stack: Kafka 4 (KRaft), Apicurio 3, Elasticsearch, Kibana, the simulator, three stages, Prometheus, Grafana', () => {
  const compose = composeInterpolated();
  for (const name of EXPECTED) assert.ok(compose.services[name], `no ${name} service`);
  assert.match(compose.services.kafka.image, /^apache\/kafka:4\./);
  assert.match(compose.services.apicurio.image, /^apicurio\/apicurio-registry:3\./);
  assert.match(compose.services.elasticsearch.image, /elasticsearch:8\./);
  assert.equal(compose.services.kibana.image.split(':')[1], compose.services.elasticsearch.image.split(':')[1], 'Kibana matches Elasticsearch');
  const kafka = serviceEnv(compose.services.kafka);
  assert.equal(kafka.KAFKA_PROCESS_ROLES, 'broker,controller');
  assert.match(kafka.CLUSTER_ID as string, /^[A-Za-z0-9_-]{22}$/, 'a KRaft cluster id is 16 bytes in base64url');
  assert.equal(kafka.KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR, '1', 'the poller\'s transactions need it on one broker');
  const es = serviceEnv(compose.services.elasticsearch);
  assert.equal(es['discovery.type'], 'single-node');
  assert.equal(es['xpack.security.enabled'], 'false');
  for (const stage of ['simulator', 'poller', 'enricher', 'sink']) {
    const s = compose.services[stage];
    assert.equal(s.image, 'pra-pipeline:local', `${stage} runs the pipeline image`);
    assert.equal(s.build.dockerfile, 'Dockerfile');
    assert.equal(s.read_only, true, `${stage}: read-only root filesystem`);
    assert.equal(s.user, '1000:1000', `${stage}: non-root`);
    assert.deepEqual(s.cap_drop, ['ALL']);
  }
  // Nothing without security is published beyond this machine.
  for (const [name, service] of Object.entries(compose.services)) {
    for (const port of (service.ports ?? []) as string[]) assert.match(port, /^127\.0\.0\.1:/, `${name} publishes ${port}`);
  }
});

test('every long-running service has a health check, and start order waits for health', () => {
  const compose = composeInterpolated();
  for (const [name, service] of Object.entries(compose.services)) {
    if (service.restart === 'no') continue; // one-shot setup jobs
    assert.ok(Array.isArray(service.healthcheck?.test) && service.healthcheck.test.length > 1, `${name} has no health check`);
  }
  const needs = (service: string, dependency: string, condition = 'service_healthy') =>
    assert.equal(compose.services[service].depends_on?.[dependency]?.condition, condition, `${service} -> ${dependency}`);
  needs('poller', 'kafka');
  needs('poller', 'simulator');
  needs('enricher', 'kafka');
  needs('enricher', 'apicurio');
  needs('sink', 'kafka');
  needs('sink', 'apicurio');
  needs('sink', 'elasticsearch');
  needs('kibana', 'elasticsearch');
  needs('kibana-setup', 'kibana');
  needs('grafana', 'prometheus');
  for (const stage of ['poller', 'enricher', 'sink']) {
    assert.match(compose.services[stage].healthcheck.test.join(' '), /127\.0\.0\.1:9464\/readyz/, `${stage} is healthy when ready`);
  }
  assert.match(compose.services.simulator.healthcheck.test.join(' '), /18443\/_sim\/health/);
  // Every depends_on names a service that exists.
  for (const [name, service] of Object.entries(compose.services)) {
    for (const dependency of Object.keys(service.depends_on ?? {})) assert.ok(compose.services[dependency], `${name} depends on unknown ${dependency}`);
  }
});

test('data lives in named volumes; the enricher mounts GEOIP_DIR, default ./deploy/geoip, read-only', () => {
  const raw = composeRaw();
  const compose = composeInterpolated();
  const volumes = Object.keys(compose.volumes ?? {});
  const dataPaths = [['kafka', '/var/lib/kafka/data'], ['elasticsearch', '/usr/share/elasticsearch/data'], ['prometheus', '/prometheus'], ['grafana', '/var/lib/grafana']] as const;
  for (const [service, path] of dataPaths) {
    const mount = (compose.services[service].volumes as string[]).find((v) => v.split(':')[1] === path);
    assert.ok(mount, `${service}: no volume at ${path}`);
    assert.ok(volumes.includes(mount.split(':')[0] as string), `${service}: ${mount} is not a named volume`);
  }
  assert.ok((raw.services.enricher.volumes as string[]).includes('${GEOIP_DIR:-./deploy/geoip}:/geoip:ro'));
  assert.equal(serviceEnv(compose.services.enricher).GEOIP_DIR, '/geoip');
  assert.ok(existsSync(join(repoRoot, 'deploy', 'geoip', 'README.md')), 'deploy/geoip/README.md says what to put there');
  const readme = readFileSync(join(repoRoot, 'deploy', 'geoip', 'README.md'), 'utf8');
  assert.match(readme, /GeoLite2-City-Test\.mmdb/);
  assert.match(readme, /GeoLite2-ASN-Test\.mmdb/);
});

test('Prometheus scrapes all three stages with the rules, Grafana gets the datasource and the dashboard', () => {
  const compose = composeInterpolated();
  const prometheus = parse(readFileSync(join(repoRoot, 'deploy', 'prometheus', 'prometheus.yml'), 'utf8')) as {
    rule_files: string[];
    scrape_configs: { job_name: string; static_configs: { targets: string[] }[] }[];
  };
  for (const stage of ['poller', 'enricher', 'sink']) {
    const job = prometheus.scrape_configs.find((j) => j.job_name === stage);
    assert.ok(job, `Prometheus does not scrape ${stage}`);
    assert.deepEqual(job.static_configs[0]?.targets, [`${stage}:9464`]);
  }
  const mounts = compose.services.prometheus.volumes as string[];
  for (const rule of prometheus.rule_files) {
    const mount = mounts.find((m) => m.split(':')[1] === rule);
    assert.ok(mount, `rule file ${rule} is not mounted`);
    assert.ok(existsSync(join(repoRoot, mount.split(':')[0] as string)), `${mount} has no source file`);
  }
  assert.ok(mounts.some((m) => m.startsWith('./deploy/prometheus/prometheus.yml:/etc/prometheus/prometheus.yml')));

  const grafanaMounts = compose.services.grafana.volumes as string[];
  assert.ok(grafanaMounts.includes('./deploy/grafana/provisioning:/etc/grafana/provisioning:ro'));
  assert.ok(grafanaMounts.includes('./deploy/grafana/dashboards:/var/lib/grafana/dashboards:ro'));
  const datasources = parse(readFileSync(join(repoRoot, 'deploy/grafana/provisioning/datasources/prometheus.yml'), 'utf8')) as { datasources: { type: string; url: string }[] };
  assert.deepEqual(datasources.datasources.map((d) => [d.type, d.url]), [['prometheus', 'http://prometheus:9090']]);
  const providers = parse(readFileSync(join(repoRoot, 'deploy/grafana/provisioning/dashboards/pra-pipeline.yml'), 'utf8')) as { providers: { options: { path: string } }[] };
  assert.equal(providers.providers[0]?.options.path, '/var/lib/grafana/dashboards');
  assert.ok(existsSync(join(repoRoot, 'deploy/grafana/dashboards/pra-pipeline.json')));
});

test('Kibana gets our dashboard, saved searches and data view from pra-pipeline kibana-setup', () => {
  const compose = composeInterpolated();
  const setup = compose.services['kibana-setup'];
  assert.equal(setup.image, compose.services.sink.image, 'kibana-setup runs the pipeline image');
  assert.deepEqual(setup.command, ['kibana-setup']);
  assert.equal(setup.restart, 'no');
  assert.equal((setup.environment as Record<string, string>).KIBANA_URL, 'http://kibana:5601');
  assert.equal(setup.depends_on?.kibana?.condition, 'service_healthy');
  // What that command imports: the dashboard and the data view on the sink's data streams.
  const objects = savedObjects();
  assert.ok(objects.some((o) => o.type === 'dashboard'));
  const view = objects.find((o) => o.type === 'index-pattern');
  assert.equal(view?.attributes.title, 'logs-beyondtrust_pra.access_session-*');
  assert.equal(view?.attributes.timeFieldName, '@timestamp');
  assert.ok(kibanaSetupCommand.help.includes('overwrite=true'));
});

test('.env.example lists exactly the variables docker-compose.yml uses, with the same defaults', () => {
  const text = readFileSync(join(repoRoot, '.env.example'), 'utf8');
  const example = new Map(
    text.split('\n').filter((l) => /^[A-Z0-9_]+=/.test(l)).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)] as const),
  );
  const used = composeVariables();
  assert.deepEqual([...example.keys()].sort(), [...used.keys()].sort());
  for (const [name, fallback] of used) assert.equal(example.get(name), fallback, `${name}: .env.example and docker-compose.yml disagree`);
});

test('Apicurio keeps its schemas across docker compose down/up: KafkaSQL storage on the stack\'s Kafka, whose data is on a volume', () => {
  const compose = composeInterpolated() as Compose;
  const registry = compose.services.apicurio;
  const env = serviceEnv(registry);
  assert.equal(env.APICURIO_STORAGE_KIND, 'kafkasql', 'not the in-memory default');
  assert.equal(env.APICURIO_KAFKASQL_BOOTSTRAP_SERVERS, 'kafka:9092');
  for (const topic of ['APICURIO_KAFKASQL_TOPIC', 'APICURIO_KAFKASQL_SNAPSHOTS_TOPIC']) assert.match(env[topic] ?? '', /^pra\.registry\./, topic);
  assert.equal(registry.depends_on?.kafka?.condition, 'service_healthy', 'the registry starts once Kafka answers');
  const kafka = compose.services.kafka;
  const dataDir = serviceEnv(kafka).KAFKA_LOG_DIRS;
  assert.ok((kafka.volumes as string[]).some((v) => v === `kafka-data:${dataDir}`), 'the journal is on the kafka-data volume');
  assert.ok('kafka-data' in (compose.volumes ?? {}), 'a named volume, which down (without -v) keeps');
  // The broker's retention must not apply to the journal: Apicurio creates it with retention.ms=-1 unless told otherwise.
  assert.ok(!Object.keys(env).some((k) => /^APICURIO_KAFKASQL_TOPIC_RETENTION/.test(k)));
});

test('docker compose\'s own loader accepts the file for each profile set and enables the services the profiles say', () => {
  // tools/compose-config loads the file with compose-spec/compose-go, the loader of docker compose itself,
  // consistency checks included (an enabled service that depends on a disabled one is an error).
  const load = (profiles: string[]) => run(tool('compose-config'), ['-f', join(repoRoot, 'docker-compose.yml'), ...profiles.flatMap((p) => ['--profile', p])]);
  const compose = composeInterpolated();
  for (const profiles of [[], ['pipeline'], ['all']]) {
    const result = load(profiles);
    assert.equal(result.code, 0, result.out);
    assert.deepEqual(result.out.trim().split('\n'), [...enabled(compose, profiles)].sort(), `profiles [${profiles.join(',')}]`);
  }
  // The loader does refuse a broken model: a profile that leaves out what an enabled service depends on.
  const broken = join(mkdtempSync(join(tmpdir(), 'compose-')), 'docker-compose.yml');
  writeFileSync(broken, composeText().replace('  prometheus:\n    profiles: [all]', '  prometheus:\n    profiles: [monitoring]'));
  const refused = run(tool('compose-config'), ['-f', broken, '--profile', 'monitoring']);
  assert.notEqual(refused.code, 0);
  assert.match(refused.out, /prometheus.*depends on undefined service/);
});

/** The services Compose enables for a set of active profiles: those with none, and those sharing one. */
function enabled(compose: Compose, profiles: string[]): Set<string> {
  return new Set(Object.entries(compose.services)
    .filter(([, s]) => !s.profiles || (s.profiles as string[]).some((p) => profiles.includes(p)))
    .map(([name]) => name));
}

test('profiles: none starts the infrastructure only, `all` everything, and every enabled set is closed under depends_on', () => {
  const compose = composeInterpolated();
  const infrastructure = ['apicurio', 'elasticsearch', 'kafka', 'kibana'];
  assert.deepEqual([...enabled(compose, [])].sort(), infrastructure);
  assert.deepEqual([...enabled(compose, ['all'])].sort(), Object.keys(compose.services).sort());
  assert.deepEqual([...enabled(compose, ['pipeline'])].sort(), [...infrastructure, 'enricher', 'kibana-setup', 'poller', 'simulator', 'sink'].sort());
  // Compose refuses a model where an enabled service depends on a disabled one.
  for (const profiles of [[], ['pipeline'], ['all']]) {
    const on = enabled(compose, profiles);
    for (const name of on) {
      const deps = Object.keys(compose.services[name].depends_on ?? {});
      for (const dep of deps) assert.ok(on.has(dep), `profiles [${profiles.join(',')}]: ${name} depends on ${dep}, which is not enabled`);
    }
  }
});

test('README and docs/deploy.md start the whole stack with --profile all, and stop it with the same', () => {
  for (const file of ['README.md', 'docs/deploy.md']) {
    const text = readFileSync(join(repoRoot, file), 'utf8');
    assert.match(text, /^docker compose --profile all up -d$/m, `${file}: start command`);
    assert.match(text, /`docker compose --profile all down`/, `${file}: stop command`);
    assert.doesNotMatch(text, /^docker compose up -d$/m, `${file}: a plain up starts the infrastructure only`);
  }
});
