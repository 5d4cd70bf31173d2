/**
 * What the sink installs in Elasticsearch at start (every PUT is idempotent and
 * repeated on every start), laid out the way Fleet lays out an integration:
 *
 * - `<template>@package`, a component template with our mappings (from the
 *   enricher's field definitions) and settings; replaced on every start.
 * - `logs-beyondtrust_pra.access_session@custom`, an empty component template
 *   for the user's own settings and mappings. Created when missing, never
 *   overwritten; Fleet's template composes the same one.
 * - `<template>@final`, the final ingest pipeline that stamps `event.ingested`
 *   (as Fleet's `.fleet_final_pipeline-1` does), where the cluster can run it.
 * - The ILM policy, where the cluster has ILM; else the data stream lifecycle.
 * - The index template, composing the stack's `logs@mappings`, `logs@settings`
 *   and `ecs@mappings` where the cluster has them, at a priority below Fleet's
 *   (see PRIORITY in docs/kibana.md#templates): with the integration installed,
 *   its template wins and our documents, sent with `pipeline=_none`, still pass
 *   only the final pipelines.
 */
import type { Client } from '@elastic/elasticsearch';
import { formatDuration, indexMappings, retry, type Logger } from '@pra-pipeline/shared';
import { DATA_STREAM_PREFIX } from './bulk-body.js';

export interface IndexSetupOptions {
  indexTemplateName: string;
  indexTemplatePriority: number;
  indexShards: number;
  /** Unset: `auto_expand_replicas: 0-1`, green on one node, one replica where there are more. */
  indexReplicas?: number | undefined;
  indexRefreshInterval: string;
  ilmPolicy: string;
  ilmRolloverMaxAge: number;
  ilmDeleteAfter?: number | undefined;
}

export const INDEX_PATTERN = `${DATA_STREAM_PREFIX}*`;
/** The user's hook, named as Fleet names it for the data stream (`<type>-<dataset>@custom`). */
export const CUSTOM_COMPONENT = 'logs-beyondtrust_pra.access_session@custom';
/** Further @custom hooks Fleet composes (all types of the stack, all of the package); composed when present. */
export const OPTIONAL_CUSTOM_COMPONENTS = ['logs@custom', 'beyondtrust_pra@custom', CUSTOM_COMPONENT] as const;
/** The stack's templates (x-pack's stack plugin), in the order Fleet composes them. */
export const STACK_COMPONENTS = ['logs@mappings', 'logs@settings', 'ecs@mappings'] as const;
/** Fleet's integration templates have priority 200, the stack's `logs` template 100. */
export const FLEET_PRIORITY = 200;

export const packageComponentName = (o: Pick<IndexSetupOptions, 'indexTemplateName'>): string => `${o.indexTemplateName}@package`;
export const finalPipelineName = (o: Pick<IndexSetupOptions, 'indexTemplateName'>): string => `${o.indexTemplateName}@final`;

/** What the cluster offers that the setup depends on. */
export interface ClusterFeatures {
  ilm: boolean;
  /** Of STACK_COMPONENTS, those the cluster has. */
  stackComponents: string[];
  /** The constant_keyword mapper (x-pack's constant-keyword module). */
  constantKeyword: boolean;
}

export interface SetupResult {
  template: string;
  ilmPolicy: string | undefined;
  /** `pipeline`: the final pipeline stamps event.ingested; `sink`: the cluster cannot run it, the sink stamps. */
  ingested?: 'pipeline' | 'sink';
  components?: string[];
}

function statusOf(err: unknown): number | undefined {
  return (err as { meta?: { statusCode?: number } }).meta?.statusCode;
}

/** The final pipeline: event.ingested from the time the node ingests the document. */
export function finalPipelineBody(): Record<string, unknown> {
  return {
    description: 'Stamps event.ingested with the time Elasticsearch ingests the document (as Fleet\'s final pipeline does).',
    processors: [{ set: { field: 'event.ingested', copy_from: '_ingest.timestamp', tag: 'event-ingested' } }],
    _meta: { managed_by: 'pra-pipeline' },
  };
}

/** The `@package` component template: mappings, settings and, without ILM, the data stream lifecycle. */
export function packageComponentBody(options: IndexSetupOptions, features: ClusterFeatures, mappings: object, finalPipeline: string | undefined): Record<string, unknown> {
  const ilmPolicy = features.ilm ? options.ilmPolicy : undefined;
  return {
    template: {
      settings: {
        index: {
          number_of_shards: options.indexShards,
          ...(options.indexReplicas === undefined ? { auto_expand_replicas: '0-1' } : { number_of_replicas: options.indexReplicas, auto_expand_replicas: false }),
          refresh_interval: options.indexRefreshInterval,
          // Documents arrive in their final ECS form: no default pipeline (logs@settings names one).
          default_pipeline: '_none',
          final_pipeline: finalPipeline ?? '_none',
          // logs@settings ignores malformed values everywhere; we keep refusing them (dead letters), but where a field says so.
          mapping: { ignore_malformed: false },
          ...(ilmPolicy ? { lifecycle: { name: ilmPolicy } } : {}),
        },
      },
      mappings,
      ...(ilmPolicy
        ? {}
        : { lifecycle: { enabled: true, ...(options.ilmDeleteAfter ? { data_retention: formatDuration(options.ilmDeleteAfter) } : {}) } }),
    },
    _meta: { managed_by: 'pra-pipeline', description: 'Mappings and settings of the pra-pipeline sink; replaced at every sink start. Edit the @custom component instead.' },
  };
}

/** The composable index template: only composition, so that @custom can override what @package sets. */
export function indexTemplateBody(options: IndexSetupOptions, features: Pick<ClusterFeatures, 'stackComponents'>): Record<string, unknown> {
  const has = (name: string) => features.stackComponents.includes(name);
  const composedOf = [
    ...['logs@mappings', 'logs@settings'].filter(has),
    packageComponentName(options),
    ...OPTIONAL_CUSTOM_COMPONENTS,
    ...['ecs@mappings'].filter(has),
  ];
  return {
    index_patterns: [INDEX_PATTERN],
    data_stream: {},
    priority: options.indexTemplatePriority,
    composed_of: composedOf,
    ignore_missing_component_templates: [...OPTIONAL_CUSTOM_COMPONENTS],
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
    const status = statusOf(err);
    if (status !== undefined && status >= 400 && status < 500) {
      if (status === 401 || status === 403) logger?.warn({ status }, 'No permission to read the ILM status; the template names no ILM policy.');
      return false;
    }
    throw err;
  }
}

/** Which of the stack's component templates the cluster has (404: not this one; other 4xx: none). */
async function stackComponents(client: Client, logger?: Logger): Promise<string[]> {
  const found: string[] = [];
  for (const name of STACK_COMPONENTS) {
    try {
      await client.transport.request({ method: 'GET', path: `/_component_template/${encodeURIComponent(name)}`, querystring: { filter_path: 'component_templates.name' } });
      found.push(name);
    } catch (err) {
      const status = statusOf(err);
      if (status === 404) continue;
      if (status !== undefined && status >= 400 && status < 500) {
        logger?.warn({ status }, 'Cannot read the stack\'s component templates; composing none of them.');
        return [];
      }
      throw err;
    }
  }
  return found;
}

/** Whether every node has the constant_keyword mapper; without the node list, whether logs@mappings (which uses it) exists. */
async function constantKeyword(client: Client, stack: readonly string[]): Promise<boolean> {
  try {
    const res = (await client.transport.request({ method: 'GET', path: '/_nodes/plugins', querystring: { filter_path: 'nodes.*.modules.name,nodes.*.plugins.name' } })) as {
      nodes?: Record<string, { modules?: { name: string }[]; plugins?: { name: string }[] }>;
    };
    const nodes = Object.values(res.nodes ?? {});
    if (nodes.length === 0) return stack.includes('logs@mappings');
    return nodes.every((n) => [...(n.modules ?? []), ...(n.plugins ?? [])].some((m) => m.name === 'constant-keyword'));
  } catch (err) {
    const status = statusOf(err);
    if (status !== undefined && status >= 400 && status < 500) return stack.includes('logs@mappings');
    throw err;
  }
}

export async function clusterFeatures(client: Client, logger?: Logger): Promise<ClusterFeatures> {
  const ilm = await hasIlm(client, logger);
  const stack = await stackComponents(client, logger);
  return { ilm, stackComponents: stack, constantKeyword: await constantKeyword(client, stack) };
}

/**
 * Installs the final pipeline; false when the cluster cannot run it: no `set`
 * processor (a distribution without the ingest-common module answers 400) or
 * no permission (403). Other failures are thrown.
 */
export async function ensureFinalPipeline(client: Client, name: string, logger?: Logger): Promise<boolean> {
  try {
    await client.transport.request({ method: 'PUT', path: `/_ingest/pipeline/${encodeURIComponent(name)}`, body: finalPipelineBody() });
    return true;
  } catch (err) {
    const status = statusOf(err);
    if (status !== undefined && status >= 400 && status < 500) {
      logger?.warn({ status, err }, 'The cluster cannot run the final pipeline that stamps event.ingested; the sink stamps it when it sends each bulk request.');
      return false;
    }
    throw err;
  }
}

/** Creates the empty @custom component template unless it exists; a user's edits are never touched. */
export async function ensureCustomComponent(client: Client): Promise<boolean> {
  try {
    await client.transport.request({
      method: 'PUT',
      path: `/_component_template/${encodeURIComponent(CUSTOM_COMPONENT)}`,
      querystring: { create: true },
      body: { template: {}, _meta: { description: 'Your settings and mappings for the BeyondTrust PRA access-session data streams; the sink creates it empty and never changes it.' } },
    });
    return true;
  } catch (err) {
    // 400 resource_already_exists_exception (older: illegal_argument_exception "already exists").
    if (statusOf(err) === 400 && /already exists/i.test(String((err as Error).message) + JSON.stringify((err as { meta?: { body?: unknown } }).meta?.body ?? ''))) return false;
    throw err;
  }
}

/** Clients whose cluster cannot run the final pipeline: their bulk sender stamps event.ingested (es-client.ts). */
const sinkStamps = new WeakSet<Client>();
export function sinkStampsIngested(client: Client): boolean {
  return sinkStamps.has(client);
}

export async function ensureIndexSetup(client: Client, options: IndexSetupOptions, logger: Logger): Promise<SetupResult> {
  const features = await clusterFeatures(client, logger);
  if (features.ilm) {
    await client.transport.request({ method: 'PUT', path: `/_ilm/policy/${encodeURIComponent(options.ilmPolicy)}`, body: ilmPolicyBody(options) });
  }
  const pipeline = (await ensureFinalPipeline(client, finalPipelineName(options), logger)) ? finalPipelineName(options) : undefined;
  if (pipeline) sinkStamps.delete(client);
  else sinkStamps.add(client);
  await ensureCustomComponent(client);
  await client.transport.request({
    method: 'PUT',
    path: `/_component_template/${encodeURIComponent(packageComponentName(options))}`,
    body: packageComponentBody(options, features, indexMappings({ constantKeyword: features.constantKeyword }), pipeline),
  });
  const body = indexTemplateBody(options, features);
  await client.transport.request({ method: 'PUT', path: `/_index_template/${encodeURIComponent(options.indexTemplateName)}`, body });
  const policy = features.ilm ? options.ilmPolicy : undefined;
  const result: SetupResult = { template: options.indexTemplateName, ilmPolicy: policy, ingested: pipeline ? 'pipeline' : 'sink', components: body.composed_of as string[] };
  logger.info(
    { template: options.indexTemplateName, pattern: INDEX_PATTERN, ilmPolicy: policy ?? null, lifecycle: policy ? 'ilm' : 'data stream lifecycle', composedOf: result.components, eventIngested: result.ingested },
    'Index template, component templates and lifecycle are in place.',
  );
  return result;
}

/** Backoff between attempts to install the index setup. */
export const INDEX_SETUP_RETRY = { baseMs: 500, maxMs: 15_000 } as const;

export interface IndexSetupRetry {
  /** Checked before the first attempt and after each failure: once true, no more attempts. */
  stopping: () => boolean;
  /** Each failed attempt, for readiness to report it. */
  onFailure?: (err: unknown) => void;
}

/**
 * The one place that installs the index setup (the sink service and the
 * all-in-one Elasticsearch destination): ensureIndexSetup again and again with
 * backoff until it succeeds, since Elasticsearch may come up after us. With
 * SINK_SETUP_INDEX off nothing is installed. Resolves undefined when stopping
 * before the first attempt; rejects with the last failure when stopping after one.
 */
export async function installIndexSetupWithRetry(
  client: Client,
  options: IndexSetupOptions & { sinkSetupIndex: boolean },
  logger: Logger,
  control: IndexSetupRetry,
): Promise<SetupResult | undefined> {
  if (!options.sinkSetupIndex) return { template: options.indexTemplateName, ilmPolicy: undefined };
  if (control.stopping()) return undefined;
  return retry(
    async () => {
      try {
        return await ensureIndexSetup(client, options, logger);
      } catch (err) {
        control.onFailure?.(err);
        throw err;
      }
    },
    {
      ...INDEX_SETUP_RETRY,
      attempts: Infinity,
      shouldRetry: () => !control.stopping(),
      onRetry: (err, attempt) => logger.warn({ err, attempt }, 'Installing the index template failed; trying again.'),
    },
  );
}
