/** The sink's variables. Names follow the keys: `bulkMaxBytes` is BULK_MAX_BYTES. */
import { checkKafkaVars, checkSigningKey, kafkaVars, loadConfig, opsVars, parseSiteNamespaces, registryVars, signingVars, v, type ConfigOf, type Loaded, type LoadOptions } from '@pra-pipeline/shared';

const MIB = 1024 * 1024;

export const sinkSchema = {
  ...opsVars,
  ...kafkaVars,
  ...registryVars,
  ...signingVars,
  sinkTopic: v.string({ default: 'pra.ecs.access-session.v1', doc: 'Topic of enriched ECS documents to index.' }),
  sinkGroupId: v.string({ default: 'pra-pipeline-sink', doc: 'Consumer group of the sink.' }),
  sinkPartitionsConcurrency: v.integer({ default: 3, min: 1, doc: 'Partitions whose batches are read at the same time.' }),
  sinkMaxBufferBytes: v.integer({ default: 64 * MIB, min: 1024, doc: 'Bytes of records held between reading and indexing (batching, in flight, retrying); reading pauses at this size.' }),
  sinkSessionTimeout: v.duration({ default: 30_000, min: 6000, doc: 'Consumer group session timeout: how soon the partitions of a sink that died move to another.' }),
  sinkCommitInterval: v.duration({ default: 1000, min: 10, doc: 'How often finished offsets are committed.' }),
  sinkItemRetryLimit: v.integer({ default: 0, min: 0, doc: 'Attempts before a document Elasticsearch keeps refusing with 429/5xx goes to the dead letter topic; 0 retries until it is indexed.' }),
  sinkSiteNamespaces: v.string({
    optional: true,
    doc: 'The data stream namespace of each site, as site=namespace,... (the site is the first part of the record key <site>/<lsid>). Set, a document goes only to its site\'s namespace, and one of another site, or whose data_stream.namespace disagrees, is dead-lettered: this is what stops cross-tenant writes. Unset, the namespace in the document is taken when it is valid.',
  }),
  sinkUnknownSchemaAttempts: v.integer({ default: 5, min: 1, max: 100, doc: 'Attempts at a record whose schema id is not a version of the topic\'s subject (<SINK_TOPIC>-value) before it is dead-lettered (backoff from 0.5 s, doubling).' }),
  sinkSetupIndex: v.boolean({ default: true, doc: 'Install or update the index template (and ILM policy) at start; off where they are managed elsewhere.' }),
  esNode: v.list({ optional: true, doc: 'Elasticsearch node URLs, comma-separated (or ES_CLOUD_ID).' }),
  esCloudId: v.string({ optional: true, doc: 'Elastic Cloud deployment id, instead of ES_NODE.' }),
  esApiKey: v.string({ optional: true, secret: true, doc: 'API key (the base64 "id:key" form).' }),
  esUsername: v.string({ optional: true, doc: 'Basic-auth user.' }),
  esPassword: v.string({ optional: true, secret: true, doc: 'Basic-auth password.' }),
  esBearerToken: v.string({ optional: true, secret: true, doc: 'Bearer token (service account token).' }),
  esCaFile: v.string({ optional: true, doc: 'PEM CA bundle for the Elasticsearch nodes (default: system CAs).' }),
  esTlsInsecure: v.boolean({ default: false, doc: 'Skip verification of the nodes\' certificates (never in production; logged as a warning).' }),
  esRequestTimeout: v.duration({ default: 60_000, min: 1000, doc: 'Timeout of one Elasticsearch request; a timed-out bulk request is sent again.' }),
  esCompression: v.boolean({ default: true, doc: 'Gzip request bodies.' }),
  bulkMaxDocuments: v.integer({ default: 1000, min: 1, doc: 'Documents per bulk request at most.' }),
  bulkMaxBytes: v.integer({ default: 5 * MIB, min: 1024, doc: 'Bytes per bulk request body at most (a larger single document goes alone).' }),
  bulkLinger: v.duration({ default: 200, doc: 'How long a batch waits for more documents before it is sent.' }),
  bulkConcurrency: v.integer({ default: 4, min: 1, max: 64, doc: 'Bulk requests in flight at once.' }),
  bulkRetryBase: v.duration({ default: 200, min: 1, doc: 'First retry delay for failed documents and requests (doubles per attempt, full jitter).' }),
  bulkRetryMax: v.duration({ default: 10_000, min: 1, doc: 'Longest retry delay.' }),
  indexTemplateName: v.string({ default: 'pra-pipeline-logs-beyondtrust_pra.access_session', doc: 'Name of the composable index template the sink installs.' }),
  indexTemplatePriority: v.integer({ default: 150, min: 0, doc: 'Template priority: 150 is above the stack\'s logs template (100) and below Fleet\'s integration template (200), which wins where both are installed (docs/kibana.md#templates).' }),
  indexShards: v.integer({ default: 1, min: 1, doc: 'Primary shards of each backing index.' }),
  indexReplicas: v.integer({ optional: true, min: 0, doc: 'Replicas of each backing index; unset: auto_expand_replicas 0-1 (none on a single node, so it is green; one where there are more).' }),
  indexRefreshInterval: v.string({ default: '5s', doc: 'index.refresh_interval of the backing indices (-1 disables refresh).' }),
  ilmPolicy: v.string({ default: 'pra-pipeline-access-session', doc: 'ILM policy the sink installs and names in the template, when the cluster has ILM.' }),
  ilmRolloverMaxAge: v.duration({ default: 30 * 86_400_000, min: 3_600_000, doc: 'Roll over the backing index after this age (or 50 GB per primary shard).' }),
  ilmDeleteAfter: v.duration({ optional: true, min: 3_600_000, doc: 'Delete backing indices this long after rollover; unset keeps them.' }),
};

export type SinkConfig = ConfigOf<typeof sinkSchema>;

export function checkSinkConfig(config: SinkConfig): string[] {
  const problems = checkKafkaVars(config);
  problems.push(...checkSigningKey(config.pipelineSigningKey));
  if (config.sinkSiteNamespaces !== undefined) {
    try {
      parseSiteNamespaces(config.sinkSiteNamespaces);
    } catch (err) {
      problems.push(`SINK_SITE_NAMESPACES: ${(err as Error).message}`);
    }
  }
  if (!config.esNode && !config.esCloudId) problems.push('ES_NODE: set ES_NODE or ES_CLOUD_ID');
  if (config.esNode && config.esCloudId) problems.push('ES_CLOUD_ID: set ES_NODE or ES_CLOUD_ID, not both');
  for (const url of config.esNode ?? []) {
    if (!/^https?:\/\/[^/]/.test(url)) problems.push(`ES_NODE: "${url}" is not an http(s) URL`);
  }
  const auths = [config.esApiKey, config.esUsername, config.esBearerToken].filter((a) => a !== undefined).length;
  if (auths > 1) problems.push('ES_API_KEY: set one of ES_API_KEY, ES_USERNAME/ES_PASSWORD and ES_BEARER_TOKEN');
  if (config.esUsername && !config.esPassword) problems.push('ES_PASSWORD: is required with ES_USERNAME');
  if (config.esPassword && !config.esUsername) problems.push('ES_USERNAME: is required with ES_PASSWORD');
  if (config.bulkMaxBytes > config.sinkMaxBufferBytes) problems.push('SINK_MAX_BUFFER_BYTES: must be at least BULK_MAX_BYTES');
  if (config.bulkRetryBase > config.bulkRetryMax) problems.push('BULK_RETRY_BASE: must not be longer than BULK_RETRY_MAX');
  if (!/^(-1|\d+(ms|s|m|h|d)?)$/.test(config.indexRefreshInterval)) problems.push(`INDEX_REFRESH_INTERVAL: "${config.indexRefreshInterval}" is not an Elasticsearch time value (5s, 1m, -1)`);
  return problems;
}

export function loadSinkConfig(options: LoadOptions = {}): Loaded<typeof sinkSchema> {
  return loadConfig('sink', sinkSchema, options, checkSinkConfig);
}
