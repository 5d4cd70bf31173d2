/** `pra-pipeline sink`: wiring only. */
import { runService, type RunServiceOptions } from '@pra-pipeline/shared';
import { sinkService } from './service.js';

/** Runs the sink until SIGTERM or SIGINT; resolves with the exit code once its drain has finished. */
export function runSink(options: RunServiceOptions = {}): Promise<number> {
  return runService(sinkService, options);
}
