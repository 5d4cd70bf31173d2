/**
 * The server versions the harness runs, all from Maven Central. Changing one
 * here is enough: the harness downloads and unpacks what is missing.
 */
export const KAFKA_VERSION = '4.1.1';
export const KAFKA_SCALA = '2.13';
/** Kafka 4.0/4.1 ship log4j2 2.24.x behind the SLF4J 1.7 API. */
export const LOG4J_VERSION = '2.24.3';
export const APICURIO_VERSION = '3.3.3';
export const ELASTICSEARCH_VERSION = '8.19.7';
/**
 * The 9.x line CI also runs the sink's integration tests and one end-to-end
 * test against (scripts/test.ts): the newest 9.x integ-test-zip that resolves
 * from Maven Central when it was chosen.
 */
export const ELASTICSEARCH_9_VERSION = '9.2.4';

/**
 * The Elasticsearch version a harness run starts: PRA_ES_VERSION, either a
 * major (`8`, `9`) or a full version, else ELASTICSEARCH_VERSION.
 */
export function elasticsearchVersion(env: NodeJS.ProcessEnv = process.env): string {
  const wanted = env.PRA_ES_VERSION?.trim();
  if (!wanted || wanted === '8') return ELASTICSEARCH_VERSION;
  if (wanted === '9') return ELASTICSEARCH_9_VERSION;
  if (!/^\d+\.\d+\.\d+$/.test(wanted)) throw new Error(`PRA_ES_VERSION="${wanted}": give 8, 9 or a full version such as ${ELASTICSEARCH_9_VERSION}`);
  return wanted;
}

export const APICURIO_ARTIFACT = `io.apicurio:apicurio-registry-app:${APICURIO_VERSION}:tar.gz:all`;
export const elasticsearchArtifact = (version: string = ELASTICSEARCH_VERSION): string => `org.elasticsearch.distribution.integ-test-zip:elasticsearch:${version}:zip`;
