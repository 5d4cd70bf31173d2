/**
 * The metrics every stage shares, defined once: dead letters, errors and
 * consumer lag, each labelled with the stage and, where it applies, an error
 * code of the registry (errors.ts), and the build information. A call site
 * passes an ErrorCode, never a string of its own.
 */
import { createRequire } from 'node:module';
import type { ErrorCode } from './errors.js';
import type { Metrics } from './metrics.js';

/** The pipeline's version: the workspace packages are released together, under one version. */
export const PIPELINE_VERSION: string = (createRequire(import.meta.url)('../package.json') as { version: string }).version;

export type StageName = 'poller' | 'enricher' | 'sink';

export function stageMetrics(metrics: Metrics, stage: StageName) {
  const deadLetters = metrics.counter('pra_dead_letters_total', 'Records sent to the dead letter topic, by stage and error code (docs/errors.md).', ['stage', 'code']);
  const errors = metrics.counter('pra_errors_total', 'Errors by stage and error code (docs/errors.md); the code gives the error type.', ['stage', 'code']);
  const lag = metrics.gauge('pra_consumer_lag_records', 'Records in a partition after the stage\'s committed offset (high watermark minus committed).', ['stage', 'topic', 'partition']);
  return {
    deadLetter(code: ErrorCode, count = 1): void {
      if (count > 0) deadLetters.inc({ stage, code }, count);
    },
    error(code: ErrorCode, count = 1): void {
      if (count > 0) errors.inc({ stage, code }, count);
    },
    lag(topic: string, partition: number, records: number): void {
      lag.set({ stage, topic, partition: String(partition) }, records);
    },
    /** A partition this process no longer consumes: its lag is another member's to report. */
    forgetLag(topic: string, partition: number): void {
      lag.remove({ stage, topic, partition: String(partition) });
    },
  };
}

export type StageMetrics = ReturnType<typeof stageMetrics>;

/** `pra_build_info{version} 1`: which build a process runs, for dashboards and alerts joined on it. */
export function recordBuildInfo(metrics: Metrics, version: string = PIPELINE_VERSION): void {
  metrics.gauge('pra_build_info', 'The running build: always 1, labelled with the version.', ['version']).set({ version }, 1);
}
