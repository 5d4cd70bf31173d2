/**
 * Which schema ids the sink accepts: the versions of the enriched topic's subject
 * (`<topic>-value`), as the registry lists them. A value naming any other id (one
 * of another subject, or one the registry does not know) is refused, so a record
 * cannot pass with a schema of its producer's choosing. The list is read again
 * when an id is missing from it, at most once per `refreshMs`, since the enricher
 * may just have registered a new version.
 */
import { PipelineError, type SchemaRegistry } from '@pra-pipeline/shared';

interface SubjectApi {
  latestVersion(args: { subject: string }): Promise<{ data(): { id: number; version: number } }>;
  version(args: { subject: string; version: number }): Promise<{ data(): { id: number; version: number } }>;
}

/** The registry's answer was 404: the subject or version does not exist. */
function notFound(err: unknown): boolean {
  return (err as { status?: unknown }).status === 404 || /\b404\b|not found/i.test(String((err as Error).message));
}

export class SubjectSchemas {
  readonly subject: string;
  readonly #api: SubjectApi;
  readonly #refreshMs: number;
  /** Schema id per version, for the versions seen so far. */
  readonly #versions = new Map<number, number>();
  #ids = new Set<number>();
  #refreshing: Promise<void> | undefined;
  #refreshedAt = 0;

  constructor(registry: SchemaRegistry, subject: string, refreshMs = 1000) {
    this.subject = subject;
    this.#api = (registry as unknown as { api: { Subject: SubjectApi } }).api.Subject;
    this.#refreshMs = refreshMs;
  }

  /**
   * Resolves when `id` is a version of the subject. Throws PIPE_SCHEMA_UNKNOWN
   * (retryable: the caller bounds the attempts) when it is not, and PIPE_REGISTRY
   * when the registry cannot be asked.
   */
  async check(id: number): Promise<void> {
    if (this.#ids.has(id)) return;
    if (Date.now() - this.#refreshedAt >= this.#refreshMs) await this.#refresh();
    if (this.#ids.has(id)) return;
    throw new PipelineError('PIPE_SCHEMA_UNKNOWN', `Schema id ${id} is not a version of subject ${this.subject} (known ids: ${[...this.#ids].join(', ') || 'none'}).`, {
      retryable: true,
      context: { schemaId: id, subject: this.subject },
    });
  }

  #refresh(): Promise<void> {
    this.#refreshing ??= this.#load().finally(() => {
      this.#refreshing = undefined;
    });
    return this.#refreshing;
  }

  async #load(): Promise<void> {
    let latest: { id: number; version: number };
    try {
      latest = (await this.#api.latestVersion({ subject: this.subject })).data();
    } catch (err) {
      this.#refreshedAt = Date.now();
      if (notFound(err)) return;
      throw new PipelineError('PIPE_REGISTRY', `Reading the versions of subject ${this.subject} failed: ${(err as Error).message}`, { cause: err, retryable: true });
    }
    this.#versions.set(latest.version, latest.id);
    // Versions are numbered from 1; read the ones not seen yet (deleted ones answer 404).
    for (let version = latest.version - 1; version >= 1; version--) {
      if (this.#versions.has(version)) continue;
      try {
        this.#versions.set(version, (await this.#api.version({ subject: this.subject, version })).data().id);
      } catch (err) {
        if (!notFound(err)) throw new PipelineError('PIPE_REGISTRY', `Reading version ${version} of subject ${this.subject} failed: ${(err as Error).message}`, { cause: err, retryable: true });
        this.#versions.set(version, -1);
      }
    }
    this.#ids = new Set([...this.#versions.values()].filter((id) => id >= 0));
    this.#refreshedAt = Date.now();
  }
}
