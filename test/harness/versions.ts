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

export const APICURIO_ARTIFACT = `io.apicurio:apicurio-registry-app:${APICURIO_VERSION}:tar.gz:all`;
export const ELASTICSEARCH_ARTIFACT = `org.elasticsearch.distribution.integ-test-zip:elasticsearch:${ELASTICSEARCH_VERSION}:zip`;
