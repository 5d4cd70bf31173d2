/** The enricher as a service: how the runner loads and builds it. */
import type { ServiceDefinition } from '@pra-pipeline/shared';
import { buildEnricher } from './app.js';
import { loadEnricherConfig, type EnricherConfig } from './config.js';

export const enricherService: ServiceDefinition<EnricherConfig> = {
  name: 'enricher',
  load(options) {
    const { config, secrets } = loadEnricherConfig(options);
    return { config, secrets, ops: config };
  },
  build: buildEnricher,
};
