/**
 * The schema registry (Confluent API; Apicurio serves it at /apis/ccompat/v7):
 * register a JSON Schema for a subject, and encode and decode values in the
 * Confluent wire format (magic byte, 4-byte schema id, JSON). Encoding validates
 * the value against the schema, so a document the schema rejects never reaches
 * the topic.
 */
import { readFileSync } from 'node:fs';
import { Agent } from 'node:https';
import { COMPATIBILITY, SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import { fullFormats } from 'ajv-formats/dist/formats.js';
import { PipelineError } from './errors.js';

export { COMPATIBILITY, SchemaRegistry };

export interface RegistryOptions {
  schemaRegistryUrl: string;
  schemaRegistryUsername?: string | undefined;
  schemaRegistryPassword?: string | undefined;
  /** PEM CA bundle for an https:// registry. */
  schemaRegistryCaFile?: string | undefined;
}

/** The https agent that trusts SCHEMA_REGISTRY_CA_FILE; undefined without one (system CAs). */
export function registryAgent(options: Pick<RegistryOptions, 'schemaRegistryCaFile'>): Agent | undefined {
  return options.schemaRegistryCaFile ? new Agent({ ca: readFileSync(options.schemaRegistryCaFile, 'utf8'), keepAlive: true }) : undefined;
}

export function createRegistry(options: RegistryOptions): SchemaRegistry {
  const agent = registryAgent(options);
  return new SchemaRegistry(
    {
      host: options.schemaRegistryUrl,
      ...(agent ? { agent } : {}),
      ...(options.schemaRegistryUsername
        ? { auth: { username: options.schemaRegistryUsername, password: options.schemaRegistryPassword ?? '' } }
        : {}),
      retry: { retries: 5, initialRetryTimeInSecs: 0.2, maxRetryTimeInSecs: 5 },
    },
    // allErrors: the dead letter says every way a document is wrong, not just the first.
    // Formats (date-time, ipv4...) are checked, not ignored with a warning.
    { [SchemaType.JSON]: { strict: false, allErrors: true, formats: fullFormats } },
  );
}

/** Registers (or finds) the schema under `subject` with the given compatibility; returns its id. */
export async function registerJsonSchema(
  registry: SchemaRegistry,
  subject: string,
  schema: object,
  compatibility: COMPATIBILITY = COMPATIBILITY.BACKWARD,
): Promise<number> {
  try {
    const { id } = await registry.register(
      { type: SchemaType.JSON, schema: JSON.stringify(schema) },
      { subject, compatibility },
    );
    return id;
  } catch (err) {
    throw new PipelineError('PIPE_REGISTRY', `Registering the schema for subject ${subject} failed: ${(err as Error).message}`, {
      cause: err,
      // An incompatible change will not fix itself; a network failure may.
      retryable: !/incompatible|409/i.test(String((err as Error).message)),
      context: { subject },
    });
  }
}

/** Encodes `value` in wire format; a value the schema rejects is a PIPE_SCHEMA_REJECTED error. */
export async function encodeValue(registry: SchemaRegistry, schemaId: number, value: unknown): Promise<Buffer> {
  try {
    return await registry.encode(schemaId, value);
  } catch (err) {
    const e = err as Error & { paths?: unknown };
    if (e.name === 'ConfluentSchemaRegistryValidationError' || /invalid payload/i.test(e.message)) {
      throw new PipelineError('PIPE_SCHEMA_REJECTED', `The schema rejects the document: ${e.message}${e.paths ? ` ${JSON.stringify(e.paths)}` : ''}`, {
        cause: err,
        context: { schemaId },
      });
    }
    throw new PipelineError('PIPE_REGISTRY', `Encoding with schema ${schemaId} failed: ${e.message}`, { cause: err });
  }
}

export async function decodeValue<T = unknown>(registry: SchemaRegistry, buffer: Buffer): Promise<T> {
  return (await registry.decode(buffer)) as T;
}

/** The schema id of a wire-format value, without asking the registry. */
export function wireSchemaId(buffer: Buffer): number | undefined {
  if (buffer.length < 5 || buffer[0] !== 0) return undefined;
  return buffer.readInt32BE(1);
}
