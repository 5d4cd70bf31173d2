/** The Elasticsearch client from configuration, and the raw `_bulk` call the indexer uses. */
import { readFileSync } from 'node:fs';
import { Client, type ClientOptions } from '@elastic/elasticsearch';
import type { Logger } from '@pra-pipeline/shared';
import type { BulkResponse, BulkSend } from './bulk-indexer.js';
import { sinkStampsIngested } from './index-setup.js';
import { stampIngested } from './ingested-stamp.js';

export interface EsConnectionOptions {
  esNode?: readonly string[] | undefined;
  esCloudId?: string | undefined;
  esApiKey?: string | undefined;
  esUsername?: string | undefined;
  esPassword?: string | undefined;
  esBearerToken?: string | undefined;
  esCaFile?: string | undefined;
  esTlsInsecure?: boolean;
  esRequestTimeout: number;
  esCompression?: boolean;
}

export function esClientOptions(config: EsConnectionOptions, logger?: Logger): ClientOptions {
  if (config.esTlsInsecure) logger?.warn('ES_TLS_INSECURE is set: Elasticsearch certificates are not verified.');
  const options: ClientOptions = {
    requestTimeout: config.esRequestTimeout,
    compression: config.esCompression ?? true,
    // The sink retries with its own backoff and keeps the documents; the client must not retry underneath it.
    maxRetries: 0,
    // Works with Elasticsearch 8 and 9: the 8.x client sends compatible-with=8 headers, which 9 accepts.
    tls: {
      rejectUnauthorized: !config.esTlsInsecure,
      ...(config.esCaFile ? { ca: readFileSync(config.esCaFile, 'utf8') } : {}),
    },
  };
  if (config.esCloudId) options.cloud = { id: config.esCloudId };
  else options.nodes = [...(config.esNode ?? [])];
  if (config.esApiKey) options.auth = { apiKey: config.esApiKey };
  else if (config.esUsername) options.auth = { username: config.esUsername, password: config.esPassword ?? '' };
  else if (config.esBearerToken) options.auth = { bearer: config.esBearerToken };
  return options;
}

export function createEsClient(config: EsConnectionOptions, logger?: Logger): Client {
  return new Client(esClientOptions(config, logger));
}

/**
 * `_bulk` with a prepared NDJSON body; the response keeps only what
 * classification needs. `pipeline=_none` skips any default pipeline (Fleet's
 * template names the integration's, for raw agent events); final pipelines
 * still run. Where the index setup found no way to run ours, the body is
 * stamped with event.ingested here (ingested-stamp.ts).
 */
export function bulkSender(client: Client, requestTimeoutMs: number): BulkSend {
  return async (body, signal) =>
    (await client.transport.request(
      {
        method: 'POST',
        path: '/_bulk',
        // Named, so the client's own span (when a tracer is registered) is a `bulk` span.
        meta: { name: 'bulk' },
        querystring: { filter_path: 'errors,items.*.status,items.*.error', pipeline: '_none' },
        bulkBody: sinkStampsIngested(client) ? stampIngested(body) : body,
      },
      { signal, requestTimeout: requestTimeoutMs },
    )) as BulkResponse;
}
