/** `pra-pipeline enricher`: wiring only. */
import { runService, type RunServiceOptions } from '@pra-pipeline/shared';
import { enricherService } from './service.js';

/** Runs the enricher until SIGTERM or SIGINT; resolves with the exit code once its drain has finished. */
export function runEnricher(options: RunServiceOptions = {}): Promise<number> {
  return runService(enricherService, options);
}
