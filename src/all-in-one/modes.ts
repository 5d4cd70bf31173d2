/**
 * Which parts of the all-in-one mode are real and which are embedded: each
 * default is switched off by configuring the real thing.
 */
export interface Modes {
  /** KAFKA_BROKERS set: the stages talk through Kafka, exactly as the separate services do. */
  kafka: boolean;
  /** PRA_SITES, PRA_SITES_FILE or PRA_URL set: poll those sites; otherwise the embedded simulator. */
  sites: boolean;
  /** ES_NODE or ES_CLOUD_ID set: index into Elasticsearch; otherwise NDJSON files. */
  elasticsearch: boolean;
}

const set = (value: string | undefined) => value !== undefined && value.trim() !== '';

export function detectModes(env: Record<string, string | undefined>): Modes {
  return {
    kafka: set(env.KAFKA_BROKERS),
    sites: set(env.PRA_SITES) || set(env.PRA_SITES_FILE) || set(env.PRA_URL),
    elasticsearch: set(env.ES_NODE) || set(env.ES_CLOUD_ID),
  };
}

/**
 * The stages' schemas require the Kafka and registry addresses. In-process they
 * are never used, so placeholders stand in; a real value always wins.
 */
export function inProcessEnv(env: Record<string, string | undefined>, modes: Modes): Record<string, string | undefined> {
  if (modes.kafka) return env;
  return { SCHEMA_REGISTRY_URL: 'http://in-process.invalid', ...env, KAFKA_BROKERS: 'in-process.invalid:9092' };
}

export function describeModes(modes: Modes, where: { sites: string; dataDir: string; esNode?: string | undefined }): string[] {
  return [
    `Reading from: ${modes.sites ? where.sites : `the embedded PRA simulator at ${where.sites}`}`,
    `Joined by:    ${modes.kafka ? 'Kafka (the same topics as the separate services)' : 'in-process queues (no Kafka configured)'}`,
    `Writing to:   ${modes.elasticsearch ? `Elasticsearch ${where.esNode ?? ''}`.trim() : `NDJSON files in ${where.dataDir}`}`,
  ];
}
