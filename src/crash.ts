/**
 * The process's last resort: an exception nothing caught, or a promise rejection
 * nothing handled, is logged as one JSON line on stdout (the log stream, in the
 * LOG_FORMAT of the environment, scrubbed of its secrets) and the process exits 1.
 */
import { writeSync } from 'node:fs';
import { createLogger, logFormatOf } from '@pra-pipeline/shared';
import { environmentSecrets } from './environment-secrets.js';

export const EXIT_CRASH = 1;

export function installCrashHandlers(env: Record<string, string | undefined> = process.env): void {
  const logger = createLogger({
    service: 'pra-pipeline',
    format: logFormatOf(env),
    level: 'fatal',
    secrets: environmentSecrets(env),
    // Written synchronously: the process exits right after.
    destination: { write: (line: string) => void writeSync(1, line) },
  });
  const crash = (message: string) => (err: unknown) => {
    try {
      logger.fatal({ err }, message);
    } finally {
      process.exit(EXIT_CRASH);
    }
  };
  process.on('uncaughtException', crash('Uncaught exception; exiting.'));
  process.on('unhandledRejection', crash('Unhandled promise rejection; exiting.'));
}
