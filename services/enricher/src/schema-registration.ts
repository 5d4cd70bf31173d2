/**
 * How the enricher gets the id of its document schema (docs/consuming.md,
 * "Schema policy").
 *
 * SCHEMA_AUTO_REGISTER=true (the default): the enricher owns its subject. It
 * sets the subject's compatibility level to SCHEMA_COMPATIBILITY when the level
 * differs (not at every start), then registers the schema; the registry refuses
 * a version that breaks that level.
 *
 * SCHEMA_AUTO_REGISTER=false: the subject is governed elsewhere (a central
 * registry, a CI job that registers schemas/pra.ecs.access-session.v1.json).
 * The enricher only looks its schema up and refuses to start when the subject
 * is absent or has no version equal to it; it writes nothing to the registry.
 */
import { request as httpRequest, type RequestOptions } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { COMPATIBILITY, PipelineError, registerJsonSchema, registryAgent, v, type Logger, type RegistryOptions, type SchemaRegistry } from '@pra-pipeline/shared';

export const COMPATIBILITY_LEVELS = Object.values(COMPATIBILITY) as readonly COMPATIBILITY[];

/** FORWARD_TRANSITIVE: every consumer, on any earlier version, reads what the enricher writes now. */
export const DEFAULT_COMPATIBILITY = COMPATIBILITY.FORWARD_TRANSITIVE;

export const schemaRegistrationVars = {
  schemaCompatibility: v.enum(COMPATIBILITY_LEVELS, {
    default: DEFAULT_COMPATIBILITY,
    doc: 'Compatibility level the enricher sets on its subject (<topic>-value) before registering; FORWARD_TRANSITIVE lets a new version add optional fields to the open document schema while every older reader still validates new documents (docs/consuming.md, "Schema policy"). Not used with SCHEMA_AUTO_REGISTER=false.',
  }),
  schemaAutoRegister: v.boolean({
    default: true,
    doc: 'Register the document schema and set the subject\'s compatibility level at start. false: only look the schema up, change nothing in the registry, and refuse to start when the subject lacks this exact schema (for a registry whose subjects are managed centrally).',
  }),
};

export interface SchemaRegistrationSettings extends RegistryOptions {
  schemaCompatibility: COMPATIBILITY | `${COMPATIBILITY}`;
  schemaAutoRegister: boolean;
}

interface RegistryReply {
  status: number;
  body: Record<string, unknown>;
}

/** One call to the registry's Confluent API, with the registry's credentials and CA. */
function call(settings: RegistryOptions, method: 'GET' | 'PUT' | 'POST', path: string, body?: unknown): Promise<RegistryReply> {
  const url = new URL(`${settings.schemaRegistryUrl.replace(/\/+$/, '')}${path}`);
  const payload = body === undefined ? undefined : JSON.stringify(body);
  const options: RequestOptions = {
    method,
    headers: {
      Accept: 'application/vnd.schemaregistry.v1+json, application/json',
      ...(payload ? { 'Content-Type': 'application/vnd.schemaregistry.v1+json', 'Content-Length': Buffer.byteLength(payload) } : {}),
      ...(settings.schemaRegistryUsername
        ? { Authorization: `Basic ${Buffer.from(`${settings.schemaRegistryUsername}:${settings.schemaRegistryPassword ?? ''}`).toString('base64')}` }
        : {}),
    },
    timeout: 10_000,
  };
  const agent = url.protocol === 'https:' ? registryAgent(settings) : undefined;
  if (agent) options.agent = agent;
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = send(url, options, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let parsed: Record<string, unknown> = {};
        try {
          parsed = text ? (JSON.parse(text) as Record<string, unknown>) : {};
        } catch {
          parsed = { message: text.slice(0, 200) };
        }
        resolve({ status: res.statusCode ?? 0, body: parsed });
      });
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer from the registry within 10 s (${method} ${url.pathname})`)));
    req.on('error', (err) =>
      reject(new PipelineError('PIPE_REGISTRY', `The schema registry could not be reached: ${err.message}`, { cause: err, context: { path: url.pathname } })),
    );
    req.end(payload);
  });
}

function refused(subject: string, what: string, reply: RegistryReply): PipelineError {
  return new PipelineError('PIPE_REGISTRY', `${what} for subject ${subject} failed: HTTP ${reply.status} ${String(reply.body.message ?? '')}`.trim(), {
    retryable: reply.status >= 500 || reply.status === 429,
    context: { subject, status: reply.status },
  });
}

/** The subject's own compatibility level, or the registry's default for it; undefined when the subject does not exist. */
export async function subjectCompatibility(settings: RegistryOptions, subject: string): Promise<string | undefined> {
  const reply = await call(settings, 'GET', `/config/${encodeURIComponent(subject)}`);
  if (reply.status === 404) return undefined;
  if (reply.status !== 200) throw refused(subject, 'Reading the compatibility level', reply);
  return String(reply.body.compatibilityLevel ?? reply.body.compatibility ?? '').toUpperCase() || undefined;
}

/**
 * The id of `schema` under `subject` without writing to the registry. Throws a
 * PIPE_REGISTRY error that is not retryable when the subject is absent or has
 * no version equal to `schema`.
 */
export async function lookUpSchema(settings: RegistryOptions, subject: string, schema: object): Promise<number> {
  const reply = await call(settings, 'POST', `/subjects/${encodeURIComponent(subject)}`, { schemaType: 'JSON', schema: JSON.stringify(schema) });
  if (reply.status === 200 && typeof reply.body.id === 'number') return reply.body.id;
  if (reply.status !== 404) throw refused(subject, 'Looking the schema up', reply);
  const latest = await call(settings, 'GET', `/subjects/${encodeURIComponent(subject)}/versions/latest`);
  const problem =
    latest.status === 200
      ? `has no version equal to the enricher's document schema (its latest is version ${String(latest.body.version)}, id ${String(latest.body.id)})`
      : 'does not exist';
  throw new PipelineError(
    'PIPE_REGISTRY',
    `SCHEMA_AUTO_REGISTER is false and subject ${subject} ${problem}: register schemas/${subject.replace(/-value$/, '')}.json under it (docs/consuming.md, "Schema policy"), or set SCHEMA_AUTO_REGISTER=true.`,
    { retryable: false, context: { subject } },
  );
}

/** The id of the enricher's document schema under `subject`, registered or looked up as the settings say. */
export async function registerDocumentSchema(
  registry: SchemaRegistry,
  settings: SchemaRegistrationSettings,
  subject: string,
  schema: object,
  logger: Logger,
): Promise<number> {
  if (!settings.schemaAutoRegister) {
    const id = await lookUpSchema(settings, subject, schema);
    logger.info({ subject, schemaId: id }, 'Document schema found in the registry (SCHEMA_AUTO_REGISTER=false); registry configuration left as it is.');
    return id;
  }
  const level = settings.schemaCompatibility as COMPATIBILITY;
  const current = await subjectCompatibility(settings, subject);
  // A new subject gets its level with its first version (registerJsonSchema).
  if (current !== undefined && current !== level) {
    const reply = await call(settings, 'PUT', `/config/${encodeURIComponent(subject)}`, { compatibility: level });
    if (reply.status !== 200) throw refused(subject, `Setting compatibility ${level}`, reply);
    logger.info({ subject, from: current, to: level }, 'Subject compatibility level set from SCHEMA_COMPATIBILITY.');
  }
  return registerJsonSchema(registry, subject, schema, level);
}
