/**
 * Configuration from environment variables: one declarative schema per service,
 * defaults beside each variable, validated once at start, typed and frozen.
 *
 * Each variable is named after its key (`kafkaBrokers` -> `KAFKA_BROKERS`). Every
 * variable may also be given as a file (`KAFKA_SASL_PASSWORD_FILE=/run/secrets/x`),
 * which is how Kubernetes and Docker hand over secrets. The same schema drives the
 * configuration reference in the docs, so the two cannot drift.
 */
import { readFileSync } from 'node:fs';
import { ConfigError } from './errors.js';

export type VarKind = 'string' | 'integer' | 'number' | 'boolean' | 'duration' | 'enum' | 'list' | 'url' | 'json';

export interface VarSpec<T> {
  readonly kind: VarKind;
  readonly doc: string;
  /** Absent means required; `undefined` as a value means optional with no default. */
  readonly default?: T | undefined;
  readonly required: boolean;
  readonly secret: boolean;
  readonly unit?: string;
  readonly values?: readonly string[];
  /** Converts the raw text; throws an Error whose message says what is wrong. */
  parse(raw: string): T;
  /** How the default is written in the docs. */
  readonly defaultText?: string;
}

interface CommonOptions {
  doc: string;
  secret?: boolean;
}
type WithDefault<T> = CommonOptions & { default: T; unit?: string };
type Optional = CommonOptions & { optional: true; unit?: string };
type Required = CommonOptions & { unit?: string };
type Opts<T> = WithDefault<T> | Optional | Required;

type Result<T, O> = O extends { default: T } ? T : O extends { optional: true } ? T | undefined : T;

function make<T, O extends Opts<T>>(
  kind: VarKind,
  opts: O,
  parse: (raw: string) => T,
  extra: Partial<Pick<VarSpec<T>, 'values' | 'defaultText'>> = {},
): VarSpec<Result<T, O>> {
  const hasDefault = 'default' in opts;
  const optional = 'optional' in opts && opts.optional;
  return {
    kind,
    doc: opts.doc,
    secret: opts.secret ?? false,
    required: !hasDefault && !optional,
    ...(hasDefault ? { default: (opts as WithDefault<T>).default } : {}),
    ...('unit' in opts && opts.unit ? { unit: opts.unit } : {}),
    ...extra,
    parse: parse as (raw: string) => Result<T, O>,
  } as VarSpec<Result<T, O>>;
}

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Parses "500ms", "30s", "5m", "1h30m", "7d" into milliseconds. */
export function parseDuration(raw: string): number {
  const text = raw.trim();
  if (!/^(\d+(\.\d+)?(ms|s|m|h|d))+$/.test(text)) {
    throw new Error(`"${raw}" is not a duration; write it like 500ms, 30s, 5m, 1h30m or 7d`);
  }
  let total = 0;
  for (const [, amount, , unit] of text.matchAll(/(\d+(\.\d+)?)(ms|s|m|h|d)/g)) {
    total += Number(amount) * (DURATION_UNITS[unit as string] as number);
  }
  return Math.round(total);
}

export function formatDuration(ms: number): string {
  for (const [unit, size] of [['d', 86_400_000], ['h', 3_600_000], ['m', 60_000], ['s', 1000]] as const) {
    if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}

export interface IntegerOptions {
  min?: number;
  max?: number;
}

/** The variable constructors. */
export const v = {
  string<O extends Opts<string>>(opts: O): VarSpec<Result<string, O>> {
    return make('string', opts, (raw) => {
      if (raw.length === 0) throw new Error('is empty');
      return raw;
    });
  },
  integer<O extends Opts<number>>(opts: O & IntegerOptions): VarSpec<Result<number, O>> {
    return make('integer', opts, (raw) => {
      const text = raw.trim();
      if (!/^-?\d+$/.test(text)) throw new Error(`"${raw}" is not an integer`);
      const n = Number(text);
      if (opts.min !== undefined && n < opts.min) throw new Error(`${n} is below the minimum ${opts.min}`);
      if (opts.max !== undefined && n > opts.max) throw new Error(`${n} is above the maximum ${opts.max}`);
      return n;
    });
  },
  number<O extends Opts<number>>(opts: O & IntegerOptions): VarSpec<Result<number, O>> {
    return make('number', opts, (raw) => {
      const n = Number(raw.trim());
      if (raw.trim() === '' || !Number.isFinite(n)) throw new Error(`"${raw}" is not a number`);
      if (opts.min !== undefined && n < opts.min) throw new Error(`${n} is below the minimum ${opts.min}`);
      if (opts.max !== undefined && n > opts.max) throw new Error(`${n} is above the maximum ${opts.max}`);
      return n;
    });
  },
  boolean<O extends Opts<boolean>>(opts: O): VarSpec<Result<boolean, O>> {
    return make('boolean', opts, (raw) => {
      const text = raw.trim().toLowerCase();
      if (['true', '1', 'yes', 'on'].includes(text)) return true;
      if (['false', '0', 'no', 'off'].includes(text)) return false;
      throw new Error(`"${raw}" is not a boolean; use true or false`);
    });
  },
  /** A duration in milliseconds, written with a unit ("30s"). */
  duration<O extends Opts<number>>(opts: O & { min?: number }): VarSpec<Result<number, O>> {
    return make(
      'duration',
      { ...opts, unit: 'duration' },
      (raw) => {
        const ms = parseDuration(raw);
        if (opts.min !== undefined && ms < opts.min) {
          throw new Error(`${raw} is shorter than the minimum ${formatDuration(opts.min)}`);
        }
        return ms;
      },
      'default' in opts ? { defaultText: formatDuration(opts.default as number) } : {},
    );
  },
  enum<const E extends string, O extends Opts<E>>(values: readonly E[], opts: O): VarSpec<Result<E, O>> {
    return make(
      'enum',
      opts,
      (raw) => {
        const text = raw.trim();
        if (!(values as readonly string[]).includes(text)) {
          throw new Error(`"${raw}" is not one of ${values.join(', ')}`);
        }
        return text as E;
      },
      { values },
    );
  },
  /** A comma-separated list. */
  list<O extends Opts<readonly string[]>>(opts: O): VarSpec<Result<readonly string[], O>> {
    return make(
      'list',
      opts,
      (raw) => {
        const items = raw.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
        if (items.length === 0) throw new Error('is an empty list');
        return Object.freeze(items);
      },
      'default' in opts ? { defaultText: (opts.default as readonly string[]).join(',') } : {},
    );
  },
  url<O extends Opts<string>>(opts: O & { protocols?: readonly string[] }): VarSpec<Result<string, O>> {
    const protocols = opts.protocols ?? ['http:', 'https:'];
    return make('url', opts, (raw) => {
      let url: URL;
      try {
        url = new URL(raw.trim());
      } catch {
        throw new Error(`"${raw}" is not a URL`);
      }
      if (!protocols.includes(url.protocol)) {
        throw new Error(`"${url.protocol}" is not an accepted scheme (${protocols.join(', ')})`);
      }
      return raw.trim().replace(/\/+$/, '');
    });
  },
  json<T, O extends Opts<T>>(opts: O, check: (value: unknown) => T): VarSpec<Result<T, O>> {
    return make('json', opts, (raw) => {
      let value: unknown;
      try {
        value = JSON.parse(raw);
      } catch (err) {
        throw new Error(`is not valid JSON: ${(err as Error).message}`);
      }
      return check(value);
    });
  },
};

export type Schema = Record<string, VarSpec<unknown>>;
export type ConfigOf<S extends Schema> = { readonly [K in keyof S]: S[K] extends VarSpec<infer T> ? T : never };

/** `kafkaBrokers` -> `KAFKA_BROKERS`, `requestTimeout` -> `REQUEST_TIMEOUT`. */
export function envName(key: string): string {
  return key.replace(/([a-z0-9])([A-Z])/g, '$1_$2').replace(/([A-Z])([A-Z][a-z])/g, '$1_$2').toUpperCase();
}

export interface LoadOptions {
  env?: Record<string, string | undefined>;
  readFile?: (path: string) => string;
}

export interface Loaded<S extends Schema> {
  readonly config: ConfigOf<S>;
  /** Values of the variables marked secret, so the logger can scrub them from any text. */
  readonly secrets: readonly string[];
}

/** Reads and validates every variable; throws one ConfigError listing every problem. */
export function loadConfig<S extends Schema>(
  service: string,
  schema: S,
  options: LoadOptions = {},
  check?: (config: ConfigOf<S>) => string[],
): Loaded<S> {
  const env = options.env ?? process.env;
  const readFile = options.readFile ?? ((p: string) => readFileSync(p, 'utf8'));
  const out: Record<string, unknown> = {};
  const problems: { variable: string; message: string }[] = [];
  const secrets: string[] = [];

  for (const [key, spec] of Object.entries(schema)) {
    const name = envName(key);
    const direct = env[name];
    const file = env[`${name}_FILE`];
    let raw: string | undefined;
    if (direct !== undefined && direct !== '' && file !== undefined && file !== '') {
      problems.push({ variable: name, message: `both ${name} and ${name}_FILE are set; set only one` });
      continue;
    }
    if (file !== undefined && file !== '') {
      try {
        raw = readFile(file).replace(/\r?\n$/, '');
      } catch (err) {
        problems.push({ variable: `${name}_FILE`, message: `cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}` });
        continue;
      }
    } else if (direct !== undefined && direct !== '') {
      raw = direct;
    }
    if (raw === undefined) {
      if (spec.required) {
        problems.push({ variable: name, message: `is required: ${spec.doc}` });
      } else {
        out[key] = spec.default;
      }
      continue;
    }
    try {
      out[key] = spec.parse(raw);
      if (spec.secret) secrets.push(raw);
      secrets.push(...urlCredentials(raw));
    } catch (err) {
      // A secret's value never goes into the message.
      const message = spec.secret ? 'is not valid' : (err as Error).message;
      problems.push({ variable: name, message });
    }
  }
  if (problems.length === 0 && check) {
    for (const message of check(out as ConfigOf<S>)) {
      const variable = /^([A-Z0-9_]+)/.exec(message)?.[1] ?? service;
      problems.push({ variable, message: message.slice(variable.length).replace(/^[:\s]+/, '') });
    }
  }
  if (problems.length > 0) throw new ConfigError(service, problems);
  return Object.freeze({ config: Object.freeze(out) as ConfigOf<S>, secrets: Object.freeze(secrets) });
}

/** A password written into a URL (`https://user:secret@host`) is a secret too, in either spelling. */
function urlCredentials(raw: string): string[] {
  if (!raw.includes('@') || !raw.includes('://')) return [];
  const found: string[] = [];
  for (const part of raw.split(',')) {
    try {
      const { password } = new URL(part.trim());
      if (password) found.push(password, decodeURIComponent(password));
    } catch {
      // Not a URL: nothing embedded.
    }
  }
  return [...new Set(found)];
}

export interface VarDoc {
  name: string;
  kind: VarKind;
  required: boolean;
  secret: boolean;
  default: string;
  unit: string;
  doc: string;
}

/** Rows of the configuration reference for one schema. */
export function describeSchema(schema: Schema): VarDoc[] {
  return Object.entries(schema).map(([key, spec]) => ({
    name: envName(key),
    kind: spec.kind,
    required: spec.required,
    secret: spec.secret,
    default:
      spec.defaultText ??
      (spec.default === undefined ? '' : Array.isArray(spec.default) ? spec.default.join(',') : String(spec.default)),
    unit: spec.unit ?? (spec.values ? spec.values.join(' | ') : ''),
    doc: spec.doc,
  }));
}
