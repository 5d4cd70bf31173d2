/**
 * GeoIP from MaxMind-format databases in one directory: the only file I/O of
 * the enricher's mapping. Databases are told apart by their metadata
 * (databaseType), not their file names. A poll of the files' sizes and mtimes
 * reloads them when they change; the new readers replace the old ones in one
 * assignment, so lookups never see a half-loaded set, and a failed reload keeps
 * the old set. Without any database, lookups return nothing.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Reader, type AsnResponse, type CityResponse } from 'maxmind';
import { asnToAs, cityToGeo, type GeoLookup, type GeoResult } from './geo-fields.js';
import { LruCache } from './lru.js';

export type GeoDatabaseKind = 'city' | 'asn' | 'country';

export interface GeoDatabaseStatus {
  kind: GeoDatabaseKind;
  file: string;
  databaseType: string;
  /** When MaxMind built it (ISO 8601). */
  buildEpoch: string;
  /** Whether lookups use it (one database of each kind is used). */
  used: boolean;
}

export interface GeoIpStatus {
  dir: string;
  city: boolean;
  asn: boolean;
  country: boolean;
  databases: GeoDatabaseStatus[];
  /** Files that could not be read as databases, with the reason. */
  problems: { file: string; message: string }[];
  /** Age in seconds of the oldest database in use, or undefined. */
  ageSeconds: number | undefined;
  loadedAt: string | undefined;
}

export interface GeoIpOptions {
  dir: string;
  /** Addresses whose result is cached; default 10000. */
  cacheSize?: number;
  /** How often to look for changed files; default 60 s; 0 = never. */
  pollIntervalMs?: number;
  /** Called after a reload that changed the databases. */
  onReload?: (status: GeoIpStatus) => void;
  /** Called when the directory cannot be read or a reload fails. */
  onError?: (err: Error) => void;
}

interface Candidate {
  kind: GeoDatabaseKind;
  file: string;
  reader: Reader<never>;
  built: number;
  type: string;
}

interface Loaded {
  signature: string;
  /** Every readable database by file name, to fall back on when a new version cannot be read. */
  byFile: Map<string, Candidate>;
  city: Reader<CityResponse> | undefined;
  asn: Reader<AsnResponse> | undefined;
  country: Reader<CityResponse> | undefined;
  databases: GeoDatabaseStatus[];
  problems: { file: string; message: string }[];
  loadedAt: string | undefined;
}

const EMPTY: Loaded = { signature: '', byFile: new Map(), city: undefined, asn: undefined, country: undefined, databases: [], problems: [], loadedAt: undefined };

/** The kind of a database from its metadata type, e.g. "GeoLite2-City", "GeoIP2-ISP". */
export function databaseKind(databaseType: string): GeoDatabaseKind | undefined {
  if (/City|Enterprise/i.test(databaseType)) return 'city';
  if (/ASN|ISP/i.test(databaseType)) return 'asn';
  if (/Country/i.test(databaseType)) return 'country';
  return undefined;
}

async function mmdbFiles(dir: string): Promise<{ files: string[]; signature: string }> {
  const names = (await readdir(dir)).filter((n) => n.endsWith('.mmdb')).sort();
  const parts: string[] = [];
  for (const name of names) {
    const s = await stat(join(dir, name));
    parts.push(`${name}:${s.size}:${s.mtimeMs}`);
  }
  return { files: names, signature: parts.join('|') };
}

async function load(dir: string, files: string[], signature: string, previous: Loaded): Promise<Loaded> {
  const candidates: Candidate[] = [];
  const problems: Loaded['problems'] = [];
  for (const file of files) {
    try {
      const reader = new Reader<never>(await readFile(join(dir, file)));
      const type = reader.metadata.databaseType;
      const kind = databaseKind(type);
      if (kind === undefined) problems.push({ file, message: `Unsupported database type ${type}` });
      else candidates.push({ kind, file, reader, type, built: reader.metadata.buildEpoch.getTime() });
    } catch (err) {
      // A file being replaced may be half-written: keep its last good version.
      const last = previous.byFile.get(file);
      if (last !== undefined) candidates.push(last);
      problems.push({ file, message: `${(err as Error).message}${last === undefined ? '' : ' (the previous version stays in use)'}` });
    }
  }
  // Newest build wins; equal builds: the first file name.
  candidates.sort((a, b) => b.built - a.built || a.file.localeCompare(b.file));
  const chosen = new Map<GeoDatabaseKind, Candidate>();
  for (const c of candidates) if (!chosen.has(c.kind)) chosen.set(c.kind, c);
  return {
    signature,
    byFile: new Map(candidates.map((c) => [c.file, c])),
    city: chosen.get('city')?.reader as Reader<CityResponse> | undefined,
    asn: chosen.get('asn')?.reader as Reader<AsnResponse> | undefined,
    country: chosen.get('country')?.reader as Reader<CityResponse> | undefined,
    databases: candidates.map((c) => ({
      kind: c.kind, file: c.file, databaseType: c.type, buildEpoch: new Date(c.built).toISOString(), used: chosen.get(c.kind) === c,
    })),
    problems,
    loadedAt: new Date().toISOString(),
  };
}

export class GeoIpDatabases implements GeoLookup {
  readonly #options: GeoIpOptions;
  readonly #cache: LruCache<string, GeoResult | null>;
  #loaded: Loaded = EMPTY;
  #timer: NodeJS.Timeout | undefined;
  #reloading: Promise<boolean> | undefined;

  private constructor(options: GeoIpOptions) {
    this.#options = options;
    this.#cache = new LruCache(options.cacheSize ?? 10_000);
  }

  /** Loads what the directory holds (nothing if it is missing) and starts polling. */
  static async open(options: GeoIpOptions): Promise<GeoIpDatabases> {
    const db = new GeoIpDatabases(options);
    await db.reload();
    const interval = options.pollIntervalMs ?? 60_000;
    if (interval > 0) {
      db.#timer = setInterval(() => void db.reload(), interval);
      db.#timer.unref();
    }
    return db;
  }

  /** Reloads when the files changed; resolves true if the set changed. */
  reload(): Promise<boolean> {
    this.#reloading ??= this.#reload().finally(() => {
      this.#reloading = undefined;
    });
    return this.#reloading;
  }

  async #reload(): Promise<boolean> {
    let listing: { files: string[]; signature: string };
    try {
      listing = await mmdbFiles(this.#options.dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') this.#options.onError?.(err as Error);
      listing = { files: [], signature: '' };
    }
    if (listing.signature === this.#loaded.signature) return false;
    let next: Loaded;
    try {
      next = await load(this.#options.dir, listing.files, listing.signature, this.#loaded);
    } catch (err) {
      this.#options.onError?.(err as Error);
      return false;
    }
    this.#loaded = next;
    this.#cache.clear();
    this.#options.onReload?.(this.status());
    return true;
  }

  lookup(ip: string): GeoResult | undefined {
    const cached = this.#cache.get(ip);
    if (cached !== undefined) return cached ?? undefined;
    const { city, asn, country } = this.#loaded;
    let result: GeoResult | null = null;
    try {
      const geo = cityToGeo(city?.get(ip) ?? country?.get(ip));
      const as = asnToAs(asn?.get(ip));
      if (geo !== undefined || as !== undefined) {
        result = {};
        if (geo !== undefined) result.geo = geo;
        if (as !== undefined) result.as = as;
      }
    } catch {
      result = null; // not an address the databases know
    }
    this.#cache.set(ip, result);
    return result ?? undefined;
  }

  status(now: number = Date.now()): GeoIpStatus {
    const l = this.#loaded;
    const used = l.databases.filter((d) => d.used);
    const oldest = used.length === 0 ? undefined : Math.min(...used.map((d) => Date.parse(d.buildEpoch)));
    return {
      dir: this.#options.dir,
      city: l.city !== undefined,
      asn: l.asn !== undefined,
      country: l.country !== undefined,
      databases: l.databases.map((d) => ({ ...d })),
      problems: l.problems.map((p) => ({ ...p })),
      ageSeconds: oldest === undefined ? undefined : Math.max(0, Math.floor((now - oldest) / 1000)),
      loadedAt: l.loadedAt,
    };
  }

  close(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
  }
}
