/** The enricher's variables. */
import { schemaRegistrationVars } from './schema-registration.js';
import { DEFAULT_XML_LIMITS } from './xml.js';
import { checkKafkaVars, checkSigningKey, kafkaVars, loadConfig, opsVars, parseSiteNamespaces, registryVars, signingVars, v, type ConfigOf, type LoadOptions } from '@pra-pipeline/shared';

export const enricherSchema = {
  ...opsVars,
  ...kafkaVars,
  ...registryVars,
  ...schemaRegistrationVars,
  ...signingVars,
  enricherSiteNamespaces: v.string({
    optional: true,
    doc: 'site=namespace,... : the data stream namespace of each site, and the only sites whose records are mapped (others are dead-lettered). Unset, the namespace comes from the record\'s pra.namespace header, checked against Elasticsearch\'s rules: set it (or PIPELINE_SIGNING_KEY on the poller and here) so that a producer to the raw topic cannot write into another tenant\'s data stream.',
  }),
  enricherInputTopic: v.string({ default: 'pra.raw.access-session.v1', doc: 'Topic of raw session XML, as the poller writes it.' }),
  enricherOutputTopic: v.string({ default: 'pra.ecs.access-session.v1', doc: 'Topic of ECS documents; its JSON Schema is registered as <topic>-value.' }),
  enricherGroupId: v.string({ default: 'pra-enricher', doc: 'Consumer group of the enricher.' }),
  enricherTransactionalIdPrefix: v.string({
    optional: true,
    doc: 'Prefix of the transactional ids, one per input partition (<prefix>-<topic>-<partition>); defaults to the consumer group. Enrichers of one group must share it, so that the new owner of a partition fences the old one.',
  }),
  enricherTransactionTimeout: v.duration({ default: 60_000, doc: 'Kafka transaction timeout of one chunk (documents, dead letters and input offsets); the broker aborts a transaction left open longer.' }),
  enricherPartitionsConcurrency: v.integer({ default: 2, min: 1, max: 64, doc: 'Partitions processed at once by one enricher.' }),
  enricherChunkRecords: v.integer({ default: 200, min: 1, doc: 'Sessions transformed, produced and committed together; bounds memory per partition.' }),
  enricherChunkBytes: v.integer({ default: 8 * 1024 * 1024, min: 1024, unit: 'bytes', doc: 'Raw bytes transformed, produced and committed together; also the most document bytes held before they are produced.' }),
  enricherProduceMaxBytes: v.integer({ default: 768 * 1024, min: 1024, unit: 'bytes', doc: 'Largest produce request (before compression); keep it below the broker\'s message.max.bytes (1 MiB by default).' }),
  geoipDir: v.string({ optional: true, doc: 'Directory of MaxMind .mmdb files (City and ASN); without it documents carry no geo fields.' }),
  geoipReloadInterval: v.duration({ default: 60_000, doc: 'How often to look for changed GeoIP database files ; files are swapped without a restart.' }),
  geoipCacheSize: v.integer({ default: 10_000, min: 0, doc: 'Addresses whose GeoIP result is cached.' }),
  xmlMaxBytes: v.integer({ default: DEFAULT_XML_LIMITS.maxBytes, min: 1024, unit: 'bytes', doc: 'Largest session XML accepted; larger ones are dead-lettered.' }),
  xmlMaxDepth: v.integer({ default: DEFAULT_XML_LIMITS.maxDepth, min: 8, doc: 'Deepest XML nesting accepted; deeper input is dead-lettered.' }),
};

export type EnricherConfig = ConfigOf<typeof enricherSchema>;

export function loadEnricherConfig(options: LoadOptions = {}) {
  return loadConfig('enricher', enricherSchema, options, (c) => {
    const problems = [...checkKafkaVars(c), ...checkSigningKey(c.pipelineSigningKey)];
    if (c.enricherSiteNamespaces !== undefined) {
      try {
        parseSiteNamespaces(c.enricherSiteNamespaces);
      } catch (err) {
        problems.push(`ENRICHER_SITE_NAMESPACES: ${(err as Error).message}`);
      }
    }
    return problems;
  });
}
