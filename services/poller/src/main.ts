/** Wiring only: configuration, logger, metrics, the app, the operations endpoint, signals. */
import { buildOpsApp, createLifecycle, createLogger, listenOpsApp, Metrics, type LoadOptions } from '@pra-pipeline/shared';
import { PollerApp } from './app.js';
import { loadPollerConfig } from './config.js';

export interface RunOptions extends LoadOptions {
  /** Called with the exit code instead of ending the process. */
  exit?: (code: number) => void;
  /** How often to check whether a site was fenced (default 2 s). */
  fencedCheckMs?: number;
}

/** Runs the poller until SIGTERM or SIGINT; resolves with the exit code. Throws ConfigError on bad configuration. */
export async function runPoller(options: RunOptions = {}): Promise<number> {
  const config = loadPollerConfig(options);
  const env = config.env;
  const logger = createLogger({ service: 'poller', level: env.logLevel, secrets: config.secrets });
  const metrics = new Metrics();
  const lifecycle = createLifecycle({ logger, graceMs: env.shutdownGrace });
  const app = new PollerApp({ config, logger, metrics });
  const ops = buildOpsApp({ metrics, readiness: app.readiness(), logger, live: () => app.live() });
  const address = await listenOpsApp(ops, env.httpHost, env.httpPort);
  lifecycle.onStop('operations endpoint', () => ops.close());
  logger.info({ address, sites: config.sites.map((s) => s.name) }, 'Poller starting.');
  let exitWith!: (code: number) => void;
  const finished = new Promise<number>((resolve) => (exitWith = resolve));
  lifecycle.handleSignals(exitWith);
  try {
    await app.start();
  } catch (err) {
    logger.error({ err }, 'The poller could not start.');
    await app.stop().catch(() => undefined);
    await lifecycle.shutdown('start failed');
    return 1;
  }
  lifecycle.onStop('poller', () => app.stop());
  // A site taken over by another poller (or whose transaction the broker timed out, which looks the
  // same to the client) recovers only by a restart, which reads its cursor back: exit non-zero so
  // any orchestrator restarts the poller, not only one that watches /livez.
  const watch = setInterval(() => {
    if (app.live() || lifecycle.isStopping) return;
    logger.error('A site was taken over by another poller or its transaction expired; exiting so this poller is restarted.');
    void lifecycle.shutdown('fenced').then(() => exitWith(1));
  }, options.fencedCheckMs ?? 2000);
  watch.unref();
  lifecycle.onStop('fencing watch', () => clearInterval(watch));
  logger.info('Poller started.');
  return finished;
}
