/** `pra-pipeline poller`: wiring only. */
import { runService, type RunServiceOptions } from '@pra-pipeline/shared';
import { pollerService } from './service.js';

/** Runs the poller until SIGTERM or SIGINT, or until a site is fenced; resolves with the exit code once stopped. */
export function runPoller(options: RunServiceOptions = {}): Promise<number> {
  return runService(pollerService, options);
}
