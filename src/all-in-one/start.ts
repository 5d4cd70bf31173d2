/**
 * `pra-pipeline start` (`npm start`): poller, enricher and sink in one process,
 * the same stage code as the separate services. Embedded defaults make it run
 * on a fresh machine: no PRA site -> the simulator; no Kafka -> in-process
 * queues; no Elasticsearch -> NDJSON files under the data directory.
 */
import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { buildOpsApp, createLifecycle, createLogger, listenOpsApp, loadConfig, Metrics, recordBuildInfo, startTracing, type ReadinessCheck, type Service } from '@pra-pipeline/shared';
import { buildEnricher, loadEnricherConfig } from '@pra-pipeline/enricher';
import { buildPoller, loadPollerConfig } from '@pra-pipeline/poller';
import { buildSink, loadSinkConfig } from '@pra-pipeline/sink';
import { startSimulator, writeDemoGeoIpDatabases, type Simulator } from '@pra-pipeline/pra-simulator';
import { startSchema } from './config.js';
import { DeadLetterFile } from './dead-letter-file.js';
import { FileCursorPublisher } from './file-publisher.js';
import { elasticsearchDestination, inProcessPipeline, ndjsonDestination, type Destination } from './in-process.js';
import { environmentSecrets } from '../environment-secrets.js';
import { kafkaNdjsonWriter } from './kafka-ndjson.js';
import { describeModes, detectModes, inProcessEnv } from './modes.js';
import { progressFigures, progressLine } from './progress.js';

export const GROUND_TRUTH_FILE = 'simulator-ground-truth.ndjson';
const SIMULATOR_SITE = 'simulator';

export interface StartOptions {
  env: Record<string, string | undefined>;
  dataDir?: string | undefined;
  /** Where the human-readable lines go (default stdout). */
  print?: (line: string) => void;
}

interface Part {
  name: string;
  stop(): Promise<void>;
}

async function embeddedSimulator(start: { simulatorSeed: number; simulatorHistory: number; simulatorSessionsPerMinute: number; simulatorPollInterval: number }) {
  const clientSecret = `demo-${Math.random().toString(36).slice(2)}`;
  const simulator = await startSimulator({
    seed: start.simulatorSeed,
    clock: 'wall',
    historySeconds: Math.round(start.simulatorHistory / 1000),
    profile: { sessionsPerMinute: start.simulatorSessionsPerMinute },
    sites: [{ name: SIMULATOR_SITE, clientId: 'demo', clientSecret }],
  });
  const env = {
    PRA_SITE_NAME: SIMULATOR_SITE,
    PRA_URL: simulator.siteUrl(SIMULATOR_SITE),
    PRA_CLIENT_ID: 'demo',
    PRA_CLIENT_SECRET: clientSecret,
    // The embedded simulator speaks plain HTTP on 127.0.0.1, inside this process's own host.
    PRA_ALLOW_INSECURE_HTTP: 'true',
    PRA_INITIAL_INTERVAL: `${Math.round(start.simulatorHistory / 1000)}s`,
    PRA_INTERVAL: `${Math.round(start.simulatorPollInterval / 1000)}s`,
    // The poller insists that a request times out before the next poll is due.
    PRA_HTTP_TIMEOUT: `${Math.max(100, Math.min(30_000, Math.floor(start.simulatorPollInterval / 2)))}ms`,
    PRA_SAFETY_LAG: '5s',
  };
  return { simulator, env };
}

export async function runStart(options: StartOptions): Promise<number> {
  const print = options.print ?? ((line: string) => console.log(line));
  const { config: start, secrets } = loadConfig('start', startSchema, { env: options.env });
  const dataDir = resolve(options.dataDir ?? start.dataDir);
  await mkdir(dataDir, { recursive: true });
  const modes = detectModes(options.env);
  // The stages' secrets too (registry, Kafka, Elasticsearch, sites), which the start schema does not hold.
  const logger = createLogger({ service: 'pra-pipeline', level: start.logLevel, secrets: [...secrets, ...environmentSecrets(options.env)] });
  const metrics = new Metrics();
  recordBuildInfo(metrics);
  const lifecycle = createLifecycle({ logger, graceMs: start.shutdownGrace });
  const tracing = startTracing({ service: 'pra-pipeline', env: options.env });
  lifecycle.onStop('tracing', () => tracing.shutdown());
  const parts: Part[] = [];
  const stopAll = async () => {
    for (const part of [...parts].reverse()) {
      try {
        await part.stop();
      } catch (err) {
        logger.warn({ err, part: part.name }, 'Stopping a part failed.');
      }
    }
  };
  lifecycle.onStop('pipeline', stopAll);
  const finished = new Promise<number>((resolveExit) => lifecycle.handleSignals(resolveExit));
  let counts: () => { written?: number; duplicates?: number; deadLetters?: number } = () => ({});

  try {
    let env: Record<string, string | undefined> = { ...options.env };
    let simulator: Simulator | undefined;
    if (!modes.sites) {
      const embedded = await embeddedSimulator(start);
      simulator = embedded.simulator;
      env = { ...env, ...embedded.env };
      const truthPath = join(dataDir, GROUND_TRUTH_FILE);
      const writeTruth = () => simulator!.writeGroundTruth(truthPath);
      const timer = setInterval(() => void writeTruth().catch((err: unknown) => logger.warn({ err }, 'Writing the ground truth failed.')), start.progressInterval);
      parts.push({
        name: 'simulator',
        stop: async () => {
          clearInterval(timer);
          await writeTruth();
          await simulator!.stop();
        },
      });
    }
    if (!env.GEOIP_DIR) {
      // Out of the box: small databases for the simulator's addresses. Production mounts MaxMind's.
      const dir = join(dataDir, 'geoip');
      await writeDemoGeoIpDatabases(dir);
      env.GEOIP_DIR = dir;
    }
    const stageEnv = inProcessEnv(env, modes);
    const pollerConfig = loadPollerConfig({ env: stageEnv });
    const { config: enricherConfig } = loadEnricherConfig({ env: stageEnv });

    for (const line of describeModes(modes, {
      sites: simulator ? simulator.siteUrl(SIMULATOR_SITE) : pollerConfig.sites.map((s) => s.url).join(', '),
      dataDir,
      esNode: env.ES_NODE ?? env.ES_CLOUD_ID,
    })) print(line);
    print(`GeoIP from:   ${env.GEOIP_DIR}`);
    if (simulator) print(`Ground truth: ${join(dataDir, GROUND_TRUTH_FILE)}`);

    const readiness: Record<string, ReadinessCheck> = {};
    const live: Service[] = [];
    /** Starts a stage as the separate service would run; its checks join /readyz under its name. */
    const run = async (name: string, service: Service) => {
      for (const [check, fn] of Object.entries(service.readiness)) readiness[check.startsWith(`${name}.`) ? check : `${name}.${check}`] = fn;
      if (service.live) live.push(service);
      parts.push({ name, stop: () => service.stop(start.shutdownGrace) });
      await service.start();
    };
    const stageDeps = (stage: string) => ({ logger: logger.child({ stage }), metrics });
    let poller: Service;

    if (modes.kafka) {
      await run('enricher', buildEnricher(enricherConfig, stageDeps('enricher')));
      if (modes.elasticsearch) {
        await run('sink', buildSink(loadSinkConfig({ env }).config, stageDeps('sink')));
      } else {
        const writer = await kafkaNdjsonWriter({ env, dataDir, maxFileBytes: start.ndjsonMaxFileBytes, logger: logger.child({ stage: 'ndjson' }) });
        parts.push({ name: 'ndjson writer', stop: () => writer.stop() });
        counts = () => writer.counts();
        await writer.start();
      }
      poller = buildPoller(pollerConfig, stageDeps('poller'));
    } else {
      const deadLetters = new DeadLetterFile(dataDir);
      let destination: Destination;
      if (modes.elasticsearch) {
        const { config: sinkConfig } = loadSinkConfig({ env: stageEnv });
        destination = await elasticsearchDestination(sinkConfig, deadLetters, { ...stageDeps('sink'), stopping: () => lifecycle.isStopping });
      } else {
        destination = await ndjsonDestination(dataDir, start.ndjsonMaxFileBytes);
      }
      const pipeline = await inProcessPipeline({ enricherConfig, destination, deadLetters, ...stageDeps('enricher') });
      parts.push({ name: 'enricher and destination', stop: () => pipeline.close() });
      counts = () => ({ ...destination.counts(), deadLetters: deadLetters.count });
      poller = buildPoller(pollerConfig, { ...stageDeps('poller'), publisher: new FileCursorPublisher(dataDir, pipeline.deliver) });
    }
    // The poller's checks keep their site names; it stops first, so its unit in hand finishes through the stages after it.
    Object.assign(readiness, poller.readiness);
    if (poller.live) live.push(poller);
    parts.push({ name: 'poller', stop: () => poller.stop(start.shutdownGrace) });

    const ops = buildOpsApp({ metrics, readiness, logger, live: () => live.every((service) => service.live!()) });
    const address = await listenOpsApp(ops, start.httpHost, start.httpPort);
    parts.push({ name: 'operations endpoint', stop: () => ops.close() });
    print(`Metrics:      ${address}/metrics (and /livez, /readyz)`);

    await poller.start();
    const progress = setInterval(() => {
      void progressFigures(metrics, counts())
        .then((figures) => print(progressLine(figures, modes.elasticsearch ? 'indexed' : 'written')))
        .catch((err: unknown) => logger.debug({ err }, 'Progress figures failed.'));
    }, start.progressInterval);
    parts.push({ name: 'progress', stop: async () => clearInterval(progress) });
    print('Running. Ctrl-C stops it cleanly.');
  } catch (err) {
    logger.error({ err }, 'The pipeline could not start.');
    await lifecycle.shutdown('start failed');
    throw err;
  }
  const code = await finished;
  const figures = await progressFigures(metrics, counts()).catch(() => undefined);
  if (figures) print(`Stopped. ${progressLine(figures, modes.elasticsearch ? 'indexed' : 'written')}`);
  return code;
}

