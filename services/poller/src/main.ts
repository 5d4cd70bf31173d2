/** Wiring only: configuration, logger, metrics, the app, the operations endpoint, signals. */
import { buildOpsApp, createLifecycle, createLogger, listenOpsApp, Metrics, type LoadOptions } from '@pra-pipeline/shared';
import { PollerApp } from './app.js';
import { loadPollerConfig } from './config.js';

export interface RunOptions extends LoadOptions {
  /** Called with the exit code instead of ending the process. */
  exit?: (code: number) => void;
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
  const finished = new Promise<number>((resolve) => lifecycle.handleSignals(resolve));
  try {
    await app.start();
  } catch (err) {
    logger.error({ err }, 'The poller could not start.');
    await app.stop().catch(() => undefined);
    await lifecycle.shutdown('start failed');
    return 1;
  }
  lifecycle.onStop('poller', () => app.stop());
  logger.info('Poller started.');
  return finished;
}
