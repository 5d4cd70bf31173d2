/**
 * What every long-running stage is, and the one runner that runs any of them:
 * configuration errors, logging, the operations endpoint, signals, readiness,
 * liveness and the exit code are handled here once, so each service's main is
 * a few lines and every service starts, fails and stops the same way.
 */
import { ConfigError } from './errors.js';
import { buildOpsApp, listenOpsApp, type ReadinessCheck } from './http-server.js';
import { createLifecycle } from './lifecycle.js';
import { createLogger, type Logger, type LogLevel } from './logger.js';
import { Metrics } from './metrics.js';
import { recordBuildInfo } from './stage-metrics.js';
import { startTracing } from './tracing.js';
import type { LoadOptions } from './config.js';

/** A stage as the runner and the all-in-one mode see it. */
export interface Service {
  /** Starts the work; resolves once it runs. Throws when it cannot start. */
  start(): Promise<void>;
  /** Stops taking work, finishes and commits what is in flight within `graceMs`, then releases everything. */
  stop(graceMs: number): Promise<void>;
  /** One check per dependency, for /readyz. */
  readonly readiness: Record<string, ReadinessCheck>;
  /** False once the service cannot recover by itself: /livez fails and the runner exits 1 so it is restarted. */
  live?(): boolean;
}

/** The settings every service has (opsVars). */
export interface OpsSettings {
  logLevel: LogLevel;
  httpHost: string;
  httpPort: number;
  shutdownGrace: number;
}

/** How to load and build one service. */
export interface ServiceDefinition<C> {
  name: string;
  load(options: LoadOptions): { config: C; secrets: readonly string[]; ops: OpsSettings };
  build(config: C, deps: { logger: Logger; metrics: Metrics }): Service;
}

export interface RunServiceOptions extends LoadOptions {
  /** Where a configuration error is printed (default stderr). */
  printError?: (text: string) => void;
  /** How often liveness is checked (default 2 s). */
  liveCheckMs?: number;
}

/** Room left in the grace period for closing the endpoint and the clients after the service's drain. */
const CLOSE_MARGIN_MS = 2000;

/**
 * Runs a service until SIGTERM or SIGINT, or until it stops being live.
 * Resolves with the exit code only once shutdown has finished: 0 after a clean
 * stop, 1 when it could not start, was not live or overran the grace period,
 * 2 for bad configuration (nothing started then).
 */
export async function runService<C>(definition: ServiceDefinition<C>, options: RunServiceOptions = {}): Promise<number> {
  let loaded: ReturnType<ServiceDefinition<C>['load']>;
  try {
    loaded = definition.load(options);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    (options.printError ?? ((text) => console.error(text)))(err.message);
    return 2;
  }
  const { config, secrets, ops: settings } = loaded;
  const logger = createLogger({ service: definition.name, level: settings.logLevel, secrets });
  const metrics = new Metrics();
  recordBuildInfo(metrics);
  const lifecycle = createLifecycle({ logger, graceMs: settings.shutdownGrace });
  // Registered first, so it stops last and exports the spans of the drain.
  const tracing = startTracing({ service: `pra-${definition.name}`, env: { ...process.env, ...options.env } });
  lifecycle.onStop('tracing', () => tracing.shutdown());
  const service = definition.build(config, { logger, metrics });
  const ops = buildOpsApp({ metrics, readiness: service.readiness, logger, ...(service.live ? { live: () => service.live!() } : {}) });
  const address = await listenOpsApp(ops, settings.httpHost, settings.httpPort);
  lifecycle.onStop('operations endpoint', () => ops.close());
  logger.info({ address }, `The ${definition.name} is starting.`);

  // Registered before start, so a signal during start stops what has started.
  lifecycle.onStop(definition.name, () => service.stop(Math.max(500, settings.shutdownGrace - CLOSE_MARGIN_MS)));
  let exitWith!: (code: number) => void;
  const finished = new Promise<number>((resolve) => (exitWith = resolve));
  lifecycle.handleSignals(exitWith);
  try {
    await service.start();
  } catch (err) {
    logger.fatal({ err }, `The ${definition.name} could not start.`);
    await lifecycle.shutdown('start failed');
    return 1;
  }
  if (service.live) {
    // What cannot recover by itself (a fenced producer, a consumer that stopped for good) recovers by a
    // restart: exit non-zero, so any orchestrator restarts it, not only one that watches /livez.
    const watch = setInterval(() => {
      if (service.live!() || lifecycle.isStopping) return;
      logger.error(`The ${definition.name} cannot recover by itself; exiting so that it is restarted.`);
      void lifecycle.shutdown('not live').then(() => exitWith(1));
    }, options.liveCheckMs ?? 2000);
    watch.unref();
    lifecycle.onStop('liveness watch', () => clearInterval(watch));
  }
  logger.info(`The ${definition.name} started.`);
  return finished;
}
