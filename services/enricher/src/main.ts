/** `pra-pipeline enricher`: wiring only. */
import { buildOpsApp, createLifecycle, createLogger, listenOpsApp, Metrics } from '@pra-pipeline/shared';
import { buildEnricherApp } from './app.js';
import { loadEnricherConfig } from './config.js';

export async function runEnricher(env: Record<string, string | undefined> = process.env): Promise<number> {
  const { config, secrets } = loadEnricherConfig({ env });
  const logger = createLogger({ service: 'enricher', level: config.logLevel, secrets });
  const metrics = new Metrics();
  const lifecycle = createLifecycle({ logger, graceMs: config.shutdownGrace });
  const app = await buildEnricherApp(config, { logger, metrics });
  const ops = buildOpsApp({ metrics, readiness: app.readiness, live: () => app.live() });
  await listenOpsApp(ops, config.httpHost, config.httpPort);
  lifecycle.onStop('ops endpoint', () => ops.close());
  lifecycle.onStop('enricher', () => app.stop());
  lifecycle.handleSignals();
  await app.start();
  return lifecycle.stopping.then(() => 0);
}
