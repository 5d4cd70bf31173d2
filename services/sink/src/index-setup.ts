/**
 * The index template and ILM policy, installed at start and on every start
 * (both PUTs are idempotent). The template matches the sink's data streams,
 * takes its mappings from the enricher's field definitions, names no ingest
 * pipeline, and has a priority above Fleet's managed template for the same
 * pattern, so the integration's pipeline never rewrites our documents. ILM is
 * optional: a cluster without it (the OSS distribution, serverless) gets the
 * template alone.
 */
import type { Client } from '@elastic/elasticsearch';
import { indexMappings } from '@pra-pipeline/enricher/fields';
import { formatDuration, type Logger } from '@pra-pipeline/shared';
import { DATA_STREAM_PREFIX } from './bulk-body.js';

export interface IndexSetupOptions {
  indexTemplateName: string;
  indexTemplatePriority: number;
  indexShards: number;
  indexReplicas: number;
  indexRefreshInterval: string;
  ilmPolicy: string;
  ilmRolloverMaxAge: number;
  ilmDeleteAfter?: number | undefined;
}

export const INDEX_PATTERN = `${DATA_STREAM_PREFIX}*`;

/** The composable template body; `ilmPolicy` only when the cluster has ILM. */
export function indexTemplateBody(options: IndexSetupOptions, mappings: object, ilmPolicy: string | undefined): Record<string, unknown> {
  return {
    index_patterns: [INDEX_PATTERN],
    data_stream: {},
    priority: options.indexTemplatePriority,
    template: {
      settings: {
        number_of_shards: options.indexShards,
        number_of_replicas: options.indexReplicas,
        refresh_interval: options.indexRefreshInterval,
        // Documents arrive in their final ECS form; no pipeline may touch them.
        default_pipeline: '_none',
        final_pipeline: '_none',
        ...(ilmPolicy ? { 'lifecycle.name': ilmPolicy } : {}),
      },
      mappings,
    },
    _meta: { managed_by: 'pra-pipeline', description: 'BeyondTrust PRA access-session events indexed by the pra-pipeline sink.' },
  };
}

export function ilmPolicyBody(options: IndexSetupOptions): Record<string, unknown> {
  return {
    policy: {
      _meta: { managed_by: 'pra-pipeline' },
      phases: {
        hot: { min_age: '0ms', actions: { rollover: { max_age: formatDuration(options.ilmRolloverMaxAge), max_primary_shard_size: '50gb' } } },
        ...(options.ilmDeleteAfter ? { delete: { min_age: formatDuration(options.ilmDeleteAfter), actions: { delete: {} } } } : {}),
      },
    },
  };
}

/**
 * Whether the sink can use ILM. Any 4xx means no: a missing endpoint (the OSS
 * distribution answers 400/405, serverless 410) or credentials without ILM
 * privileges (403), which must not stop the sink. Other failures are thrown.
 */
export async function hasIlm(client: Client, logger?: Logger): Promise<boolean> {
  try {
    await client.transport.request({ method: 'GET', path: '/_ilm/status' });
    return true;
  } catch (err) {
    const status = (err as { meta?: { statusCode?: number } }).meta?.statusCode;
    if (status !== undefined && status >= 400 && status < 500) {
      if (status === 401 || status === 403) logger?.warn({ status }, 'No permission to read the ILM status; the template names no ILM policy.');
      return false;
    }
    throw err;
  }
}

export interface SetupResult {
  template: string;
  ilmPolicy: string | undefined;
}

export async function ensureIndexSetup(client: Client, options: IndexSetupOptions, logger: Logger): Promise<SetupResult> {
  const ilm = await hasIlm(client, logger);
  if (ilm) {
    await client.transport.request({
      method: 'PUT',
      path: `/_ilm/policy/${encodeURIComponent(options.ilmPolicy)}`,
      body: ilmPolicyBody(options),
    });
  }
  const policy = ilm ? options.ilmPolicy : undefined;
  await client.transport.request({
    method: 'PUT',
    path: `/_index_template/${encodeURIComponent(options.indexTemplateName)}`,
    body: indexTemplateBody(options, indexMappings(), policy),
  });
  logger.info({ template: options.indexTemplateName, pattern: INDEX_PATTERN, ilmPolicy: policy ?? null }, ilm ? 'Index template and ILM policy are in place.' : 'Index template is in place; the cluster has no ILM.');
  return { template: options.indexTemplateName, ilmPolicy: policy };
}
