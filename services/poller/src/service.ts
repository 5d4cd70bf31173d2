/** The poller as a service: how the runner loads and builds it. */
import type { Logger, Metrics, ServiceDefinition } from '@pra-pipeline/shared';
import { PollerApp, type PollerAppDeps } from './app.js';
import { loadPollerConfig, type PollerConfig } from './config.js';

/** The poller over Kafka, or over the publisher the all-in-one mode hands in. */
export function buildPoller(config: PollerConfig, deps: { logger: Logger; metrics: Metrics } & Omit<PollerAppDeps, 'config' | 'logger' | 'metrics'>): PollerApp {
  return new PollerApp({ config, ...deps });
}

export const pollerService: ServiceDefinition<PollerConfig> = {
  name: 'poller',
  load(options) {
    const config = loadPollerConfig(options);
    return { config, secrets: config.secrets, ops: config.env };
  },
  build: buildPoller,
};
