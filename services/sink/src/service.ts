/** The sink as a service: how the runner loads and builds it. */
import type { Logger, Metrics, Service, ServiceDefinition } from '@pra-pipeline/shared';
import { buildSinkApp } from './app.js';
import { loadSinkConfig, type SinkConfig } from './config.js';

/** The sink on its consumer group; `live()` is false once the consumer is gone for good. */
export function buildSink(config: SinkConfig, deps: { logger: Logger; metrics: Metrics }): Service & { live(): boolean } {
  const app = buildSinkApp(config, deps);
  return {
    readiness: app.readiness,
    live: () => app.live().ok,
    start: () => app.start(),
    stop: (graceMs) => app.stop(graceMs),
  };
}

export const sinkService: ServiceDefinition<SinkConfig> = {
  name: 'sink',
  load(options) {
    const { config, secrets } = loadSinkConfig(options);
    return { config, secrets, ops: config };
  },
  build: buildSink,
};
