/** The all-in-one mode's own variables (the stages read theirs). */
import { LOG_LEVELS, opsVars, v } from '@pra-pipeline/shared';

export const startSchema = {
  ...opsVars,
  // The progress lines are what a person watches here; LOG_LEVEL=info adds the stages' own logs.
  // A first look on a laptop: the operations endpoint stays on this machine unless asked.
  httpHost: v.string({ default: '127.0.0.1', doc: 'Address of the operations endpoint (/livez, /readyz, /metrics).' }),
  logLevel: v.enum(LOG_LEVELS, { default: 'warn', doc: 'Log level (JSON logs on stdout, beside the progress lines).' }),
  dataDir: v.string({ default: './data', doc: 'Where the all-in-one mode writes: NDJSON documents (without Elasticsearch), cursors (without Kafka), dead letters, the embedded simulator\'s ground truth and GeoIP databases. Also --data-dir.' }),
  ndjsonMaxFileBytes: v.integer({ default: 64 * 1024 * 1024, min: 1024, unit: 'bytes', doc: 'NDJSON files are rotated at this size.' }),
  progressInterval: v.duration({ default: 10_000, min: 1000, doc: 'How often a progress line is printed.' }),
  simulatorSeed: v.integer({ default: 7, doc: 'Seed of the embedded simulator (used when no PRA site is configured).' }),
  simulatorHistory: v.duration({ default: 86_400_000, min: 60_000, doc: 'History the embedded simulator starts with, so the first poll finds data.' }),
  simulatorSessionsPerMinute: v.number({ default: 0.5, min: 0.01, max: 600, doc: 'New sessions per minute on the embedded simulator.' }),
  simulatorPollInterval: v.duration({ default: 15_000, min: 1000, doc: 'Poll interval against the embedded simulator (PRA_INTERVAL applies to real sites).' }),
};
