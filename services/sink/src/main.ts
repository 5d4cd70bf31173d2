/** `pra-pipeline sink`: configuration, parts, start, signals. */
import { buildOpsApp, createLifecycle, createLogger, listenOpsApp, Metrics } from '@pra-pipeline/shared';
import { buildSinkApp } from './app.js';
import { loadSinkConfig } from './config.js';

/** Runs the sink until SIGTERM/SIGINT; resolves with the exit code. */
export async function runSink(env: Record<string, string | undefined> = process.env): Promise<number> {
  const { config, secrets } = loadSinkConfig({ env });
  const logger = createLogger({ service: 'sink', level: config.logLevel, secrets });
  const metrics = new Metrics();
  // Shutdown steps get the grace period less a margin for committing and disconnecting.
  const drainMs = Math.max(500, config.shutdownGrace - 3000);
  const lifecycle = createLifecycle({ logger, graceMs: config.shutdownGrace });
  const app = buildSinkApp(config, { logger, metrics });
  const ops = buildOpsApp({ metrics, readiness: app.readiness, logger, live: () => app.live().ok });
  const address = await listenOpsApp(ops, config.httpHost, config.httpPort);
  logger.info({ address }, 'Operations endpoint listening.');
  lifecycle.onStop('operations endpoint', () => ops.close());
  lifecycle.onStop('sink', () => app.stop(drainMs));

  const exited = new Promise<number>((resolve) => lifecycle.handleSignals(resolve));
  app.start().catch((err: unknown) => {
    logger.fatal({ err }, 'The sink could not start.');
    void lifecycle.shutdown('start failed').then(() => process.exit(1));
  });
  return exited;
}
