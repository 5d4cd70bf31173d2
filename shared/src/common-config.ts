/**
 * Variables shared by several services. Each service's schema spreads the groups
 * it needs beside its own variables, so a name means the same thing everywhere.
 */
import { LOG_FORMATS, LOG_LEVELS } from './logger.js';
import { v } from './config.js';

export const opsVars = {
  logLevel: v.enum(LOG_LEVELS, { default: 'info', doc: 'Log level.' }),
  logFormat: v.enum(LOG_FORMATS, { default: 'json', doc: 'Shape of the JSON log lines on stdout: json (pino\'s, with service and message) or ecs (Elastic Common Schema: @timestamp, log.level, service.name, error.*, our fields under pra.*).' }),
  httpHost: v.string({ default: '0.0.0.0', doc: 'Address of the operations endpoint (/livez, /readyz, /metrics).' }),
  httpPort: v.integer({ default: 9464, min: 0, max: 65535, doc: 'Port of the operations endpoint; 0 picks a free one.' }),
  shutdownGrace: v.duration({ default: 25_000, min: 1000, doc: 'Time to finish in-flight work after SIGTERM before exiting.' }),
};

export const kafkaVars = {
  kafkaBrokers: v.list({ doc: 'Kafka bootstrap servers, comma-separated host:port.' }),
  kafkaClientId: v.string({ default: 'pra-pipeline', doc: 'Kafka client id (shows in broker logs and quotas).' }),
  kafkaTls: v.boolean({ default: false, doc: 'Connect to Kafka over TLS.' }),
  kafkaTlsCaFile: v.string({ optional: true, doc: 'PEM CA bundle for the Kafka brokers (default: system CAs).' }),
  kafkaTlsCertFile: v.string({ optional: true, doc: 'PEM client certificate for mutual TLS.' }),
  kafkaTlsKeyFile: v.string({ optional: true, doc: 'PEM client key for mutual TLS.' }),
  kafkaTlsInsecure: v.boolean({ default: false, doc: 'Skip verification of the brokers\' certificates (never in production; logged as a warning).' }),
  kafkaSaslMechanism: v.enum(['none', 'plain', 'scram-sha-256', 'scram-sha-512'] as const, { default: 'none', doc: 'SASL mechanism.' }),
  kafkaSaslUsername: v.string({ optional: true, doc: 'SASL user name.' }),
  kafkaSaslPassword: v.string({ optional: true, secret: true, doc: 'SASL password.' }),
  kafkaDlqTopic: v.string({ default: 'pra.dlq.v1', doc: 'Dead letter topic: records that cannot be processed, with the reason in headers.' }),
  kafkaDlqMaxMessageBytes: v.integer({
    default: 17 * 1024 * 1024,
    min: 64 * 1024,
    doc: 'max.message.bytes of the dead letter topic when a service creates it: the raw topic\'s limit (POLLER_RAW_TOPIC_MAX_MESSAGE_BYTES) plus room for the reason headers. A dead letter larger than the topic takes is written as its head, with pra.dlq.truncated and pra.dlq.original_bytes.',
  }),
  kafkaCreateTopics: v.boolean({ default: true, doc: 'Create missing topics at start (off where topics are managed elsewhere).' }),
  kafkaTopicPartitions: v.integer({ default: 6, min: 1, doc: 'Partitions of topics this service creates.' }),
  kafkaReplicationFactor: v.integer({ default: -1, min: -1, doc: 'Replication factor of topics this service creates; -1 is the broker default.' }),
};

/** The key the enricher signs enriched records with and the sink checks them against (record-signature.ts). */
export const signingVars = {
  pipelineSigningKey: v.string({
    optional: true,
    secret: true,
    doc: 'Shared secret (at least 32 bytes) with which the enricher signs each enriched record (header pra.signature) and the sink checks it; with it set, the sink dead-letters records that are unsigned or badly signed. Set the same value on both (or PIPELINE_SIGNING_KEY_FILE).',
  }),
};

export const registryVars = {
  schemaRegistryUrl: v.url({ doc: 'Confluent-compatible schema registry base URL (Apicurio: .../apis/ccompat/v7).' }),
  schemaRegistryUsername: v.string({ optional: true, doc: 'Registry basic-auth user.' }),
  schemaRegistryPassword: v.string({ optional: true, secret: true, doc: 'Registry basic-auth password.' }),
  schemaRegistryCaFile: v.string({ optional: true, doc: 'PEM CA bundle for an https:// registry (default: system CAs).' }),
};

/** What plaintextCredentialWarnings looks at; any subset of a service's configuration. */
export interface TransportSettings {
  kafkaTls?: boolean;
  kafkaSaslMechanism?: string;
  esNode?: readonly string[] | undefined;
  esCloudId?: string | undefined;
  esApiKey?: string | undefined;
  esUsername?: string | undefined;
  esBearerToken?: string | undefined;
  schemaRegistryUrl?: string | undefined;
  schemaRegistryUsername?: string | undefined;
}

function httpOnly(urls: readonly string[]): string[] {
  return urls.filter((u) => /^http:\/\//i.test(u.trim())).map((u) => u.replace(/(:\/\/[^\s/:@]*:)[^\s/@]+@/, '$1[REDACTED]@'));
}

/**
 * Credentials that would travel over a plaintext connection: SASL without KAFKA_TLS, an
 * Elasticsearch API key, password or token to an http:// node, registry basic auth to an
 * http:// registry. One sentence each, for a warning at start.
 */
export function plaintextCredentialWarnings(c: TransportSettings): string[] {
  const out: string[] = [];
  const mechanism = c.kafkaSaslMechanism ?? 'none';
  if (mechanism !== 'none' && !c.kafkaTls) {
    out.push(
      `KAFKA_SASL_MECHANISM is ${mechanism} but KAFKA_TLS is off: ${mechanism === 'plain' ? 'the SASL password travels in clear' : 'the SASL exchange'} and every record travel over a plaintext connection.`,
    );
  }
  const esAuth = c.esApiKey ? 'ES_API_KEY' : c.esUsername ? 'ES_USERNAME/ES_PASSWORD' : c.esBearerToken ? 'ES_BEARER_TOKEN' : undefined;
  const esPlain = c.esCloudId ? [] : httpOnly(c.esNode ?? []);
  if (esAuth && esPlain.length > 0) out.push(`${esAuth} is sent to ${esPlain.join(', ')} over plain http://: the credentials travel in clear.`);
  const registryPlain = httpOnly(c.schemaRegistryUrl ? [c.schemaRegistryUrl] : []);
  if (c.schemaRegistryUsername && registryPlain.length > 0) {
    out.push(`SCHEMA_REGISTRY_USERNAME/SCHEMA_REGISTRY_PASSWORD are sent to ${registryPlain.join(', ')} over plain http://: the credentials travel in clear.`);
  }
  return out;
}

/** Cross-field checks for the Kafka group, for a service's `check` function. */
export function checkKafkaVars(config: {
  kafkaSaslMechanism: string;
  kafkaSaslUsername?: string | undefined;
  kafkaSaslPassword?: string | undefined;
}): string[] {
  const problems: string[] = [];
  if (config.kafkaSaslMechanism !== 'none') {
    if (!config.kafkaSaslUsername) problems.push(`KAFKA_SASL_USERNAME is required when KAFKA_SASL_MECHANISM is ${config.kafkaSaslMechanism}`);
    if (!config.kafkaSaslPassword) problems.push(`KAFKA_SASL_PASSWORD is required when KAFKA_SASL_MECHANISM is ${config.kafkaSaslMechanism}`);
  }
  return problems;
}
